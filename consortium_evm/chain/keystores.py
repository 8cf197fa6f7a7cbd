"""Keystore files for the accounts of ``networks.yaml``: make one, import a key into one, list them.

A keystore is eth-account's JSON (version 3, scrypt key derivation), written atomically with mode
0600 and never over an existing file. The password comes from the caller (the CLI reads it from an
environment variable or a hidden prompt); neither the password nor the key appears in a message or
in what is returned. :func:`networks_entry` is the ``accounts:`` entry that uses the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from consortium_evm.chain.accounts import read_keystore
from consortium_evm.errors import ConfigError
from consortium_evm.util.atomic import write_text_atomic

MIN_PASSWORD = 8
"""Shortest password a new keystore takes (scrypt slows guessing; it does not make "1234" safe)."""


@dataclass(frozen=True)
class Keystore:
    """A keystore file and the address it holds."""

    path: Path
    address: str

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "address": self.address}


def _write(path: Path, account: LocalAccount, password: str) -> Keystore:
    if path.exists():
        raise ConfigError(f"{path} exists already: choose another name (a keystore is never overwritten)")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password is shorter than {MIN_PASSWORD} characters")
    data = Account.encrypt(account.key, password, kdf="scrypt")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=2) + "\n", mode=0o600)
    return Keystore(path, account.address)


def new_keystore(path: Path, password: str) -> Keystore:
    """A new random account, in a keystore at ``path`` encrypted with ``password``."""
    account: LocalAccount = Account.create()
    return _write(path, account, password)


def import_keystore(path: Path, private_key: str, password: str) -> Keystore:
    """The account of ``private_key`` (64 hex digits, ``0x`` optional), in a keystore at ``path``."""
    text = private_key.strip().removeprefix("0x")
    if len(text) != 64:
        raise ConfigError("the private key is not 64 hex digits")
    try:
        account: LocalAccount = Account.from_key(bytes.fromhex(text))
    except ValueError:
        raise ConfigError("the private key is not 64 hex digits, or not a valid secp256k1 key") from None
    return _write(path, account, password)


def list_keystores(directory: Path) -> list[Keystore]:
    """The keystores in ``directory`` (``*.json`` holding an ``address``), by file name."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            address = read_keystore(path).get("address")
        except ConfigError:
            continue
        if isinstance(address, str) and len(address.removeprefix("0x")) == 40:
            found.append(Keystore(path, _checksum(address)))
    return found


def _checksum(address: str) -> str:
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address("0x" + address.removeprefix("0x")))


def networks_entry(name: str, keystore: Path, password_env: str, networks_dir: Path | None = None) -> str:
    """The ``accounts:`` entry of networks.yaml that uses ``keystore`` (relative to the networks
    file's folder when it is below it)."""
    path = keystore
    base = (networks_dir or Path.cwd()).resolve()
    try:
        path = keystore.resolve().relative_to(base)
    except ValueError:
        path = keystore.resolve()
    return f"{name}:\n  keystore: {path.as_posix()}\n  password_env: {password_env}"

