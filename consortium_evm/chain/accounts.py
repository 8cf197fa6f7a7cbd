"""Named accounts of a network: keystore files, private keys from the environment, tester accounts.

- ``keystore: FILE`` (an eth-account JSON keystore, relative to the networks file) with
  ``password_env: VAR``: the password is ``$VAR``; when ``VAR`` is not set (or no ``password_env``
  is configured) the password is asked for with a hidden prompt, but only when stdin is a
  terminal; otherwise a ConfigError names the variable to set.
- ``private_key_env: VAR``: the private key (64 hex digits, ``0x`` optional) is ``$VAR`` (for CI).
- ``dev_account: N``: account ``N`` of the well-known development mnemonic
  (:mod:`consortium_evm.domain.devkeys`), funded by the local network (0 to 4), anvil (0 to 9) or a
  genesis whose ``alloc`` names it; its key is public: development only.
- ``signer: {kind: clef|web3signer, url: URL, address: 0x...}``: a remote signer holds the key
  (:mod:`consortium_evm.chain.signers`); a bearer token, if any, is ``$token_env``. Nothing is asked
  of the signer until it signs.
- On the built-in ``tester`` network, accounts are the embedded chain's unlocked accounts, named by
  index (``"0"``, ``"1"``, ...); :meth:`AccountLoader.get` returns their addresses.

Secrets never appear in messages. Accounts are loaded when first asked for, then kept.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from consortium_evm.chain.signers import RemoteSigner, remote_signer
from consortium_evm.config.accounts import AccountConfig, SignerConfig
from consortium_evm.config.networks import Network
from consortium_evm.errors import ConfigError
from consortium_evm.tx.signer import Sender, TransactionSigner

PasswordPrompt = Callable[[str], str]
"""Asks a person for a password, given the prompt text."""


def click_password_prompt(text: str) -> str:
    """The default prompt: ``click.prompt`` with the input hidden (click is imported here, when a
    password is asked for, so that a back-end importing the client does not load it)."""
    import click

    return str(click.prompt(text, hide_input=True))


def stdin_is_tty() -> bool:
    """True when stdin is an interactive terminal (a password may be asked for)."""
    stream = sys.stdin
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed or detached stdin
        return False


def read_keystore(path: Path) -> dict[str, Any]:
    """The JSON of a keystore file; a missing or malformed file raises ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"keystore file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read keystore file {path}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"keystore file {path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or "crypto" not in {str(k).lower() for k in data}:
        raise ConfigError(f"keystore file {path} is not an eth-account JSON keystore (no 'crypto' section)")
    return data


def decrypt_keystore(path: Path, password: str) -> LocalAccount:
    """The account in keystore ``path``; a wrong password raises ConfigError, not a traceback."""
    data = read_keystore(path)
    try:
        key = Account.decrypt(data, password)
    except ValueError as exc:
        if "mismatch" in str(exc).lower():  # MAC mismatch (v3) / Checksum mismatch (v4)
            raise ConfigError(f"wrong password for keystore {path}") from exc
        raise ConfigError(f"cannot decrypt keystore {path}: {exc}") from exc
    except (KeyError, TypeError, NotImplementedError) as exc:
        raise ConfigError(f"keystore file {path} is malformed or uses an unsupported format: {exc!r}") from exc
    account: LocalAccount = Account.from_key(key)
    return account


def private_key_account(variable: str, environ: Mapping[str, str] | None = None, *, what: str = "") -> LocalAccount:
    """The account whose private key is in environment variable ``variable``."""
    env = os.environ if environ is None else environ
    value = env.get(variable)
    label = f"{what}: " if what else ""
    if value is None or not value.strip():
        raise ConfigError(f"{label}environment variable {variable} (private_key_env) is not set")
    digits = value.strip().removeprefix("0x").removeprefix("0X")
    if len(digits) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ConfigError(
            f"{label}environment variable {variable} does not hold a private key "
            "(expected 64 hex digits, 0x optional)"
        )
    try:
        account: LocalAccount = Account.from_key("0x" + digits)
    except (ValueError, TypeError) as exc:  # e.g. zero or above the curve order
        raise ConfigError(f"{label}environment variable {variable} does not hold a valid private key") from exc
    return account


class AccountLoader:
    """Loads a network's named accounts on demand (see the module documentation)."""

    def __init__(
        self,
        network: Network,
        w3: Web3 | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        prompt: PasswordPrompt | None = None,
        interactive: bool | None = None,
    ) -> None:
        """``w3`` is needed for the tester network only. ``environ`` defaults to ``os.environ``;
        ``prompt`` to :func:`click_password_prompt`; ``interactive`` (may a password be asked
        for?) to :func:`stdin_is_tty`, checked when a password is needed."""
        self.network = network
        self.w3 = w3
        self.environ = environ
        self.prompt = prompt or click_password_prompt
        self.interactive = interactive
        self._loaded: dict[str, LocalAccount] = {}
        self._signers: dict[str, RemoteSigner] = {}

    def names(self) -> list[str]:
        """The account names of the network (indexes as strings on ``tester``)."""
        if self.network.is_tester:
            return [str(i) for i in range(len(self._tester_accounts()))]
        return list(self.network.accounts)

    def get(self, name: str | int) -> Sender:
        """The account ``name``: a LocalAccount, a remote signer, or an unlocked address on ``tester``."""
        if self.network.is_tester:
            return self._tester_account(name)
        config = self._config(str(name))
        if config.signer is not None:
            return self.remote_signer(str(name))
        return self.local_account(str(name))

    def signer(self, name: str) -> TransactionSigner:
        """The account ``name`` as a transaction signer (a local key or a remote signer); not for
        ``tester``, whose accounts the node unlocks."""
        sender = self.get(name)
        if isinstance(sender, str):
            raise ConfigError(
                f"network {self.network.name!r} has unlocked node accounts (by index), not signers"
            )
        return sender

    def remote_signer(self, name: str) -> RemoteSigner:
        """The remote signer (Clef, Web3Signer) of account ``name``, made without asking it anything."""
        if name in self._signers:
            return self._signers[name]
        config = self._config(name)
        if config.signer is None:
            raise ConfigError(f"{self._where(name)}: account {name!r} has no signer: entry")
        signer = self._remote(name, config.signer)
        self._signers[name] = signer
        return signer

    def _remote(self, name: str, config: SignerConfig) -> RemoteSigner:
        token = None
        if config.token_env is not None:
            env = os.environ if self.environ is None else self.environ
            token = env.get(config.token_env)
            if not token:
                raise ConfigError(
                    f"{self._where(name)}: environment variable {config.token_env} (signer.token_env) is not "
                    f"set; it must hold the bearer token for the {config.kind} signer at {config.url}"
                )
        return remote_signer(config.kind, config.url, config.address, timeout=config.timeout, token=token)

    def describe(self, name: str) -> tuple[str, str | None, str]:
        """``(kind, address or None, where)`` of account ``name``, read from the configuration only
        (nothing decrypted, no signer asked): kind is ``keystore``, ``private_key_env``,
        ``dev_account``, ``clef`` or ``web3signer``; the address is known for a dev account, a
        signer, an entry with ``address:``, and a keystore file that names it."""
        config = self._config(name)
        if config.signer is not None:
            return config.signer.kind, config.signer.address, config.signer.url
        if config.dev_account is not None:
            from consortium_evm.domain.devkeys import dev_account

            return "dev_account", dev_account(config.dev_account).address, f"dev_account {config.dev_account}"
        if config.private_key_env is not None:
            return "private_key_env", config.address, f"${config.private_key_env}"
        assert config.keystore is not None
        path = Path(config.keystore).expanduser()
        if not path.is_absolute():
            path = self.network.base_dir / path
        address = config.address
        if address is None:
            try:
                raw = read_keystore(path).get("address")
                address = Web3.to_checksum_address("0x" + str(raw).removeprefix("0x")) if raw else None
            except (ConfigError, ValueError):
                address = None
        return "keystore", address, str(path)

    def _config(self, name: str) -> AccountConfig:
        config = self.network.accounts.get(name)
        if config is None:
            known = ", ".join(self.network.accounts) or "none configured"
            raise ConfigError(f"network {self.network.name!r} has no account named {name!r}; its accounts: {known}")
        return config

    def address(self, name: str | int) -> str:
        """The checksummed address of account ``name`` (a remote signer's from the configuration)."""
        sender = self.get(name)
        return Web3.to_checksum_address(sender if isinstance(sender, str) else sender.address)

    def local_account(self, name: str) -> LocalAccount:
        """The signing account ``name`` (keystore or private key); not for ``tester``."""
        if self.network.is_tester:
            raise ConfigError(
                f"network {self.network.name!r} has unlocked node accounts (by index), not local keys"
            )
        if name in self._loaded:
            return self._loaded[name]
        config = self._config(name)
        if config.signer is not None:
            raise ConfigError(
                f"{self._where(name)}: account {name!r} signs through the {config.signer.kind} signer at "
                f"{config.signer.url}; it has no local key"
            )
        account = self._load(name, config)
        self._loaded[name] = account
        return account

    def _where(self, name: str) -> str:
        return self.network.locations.get(name) or f"account {name!r} of network {self.network.name!r}"

    def _load(self, name: str, config: AccountConfig) -> LocalAccount:
        where = self._where(name)
        if config.dev_account is not None:
            account = _dev_account(config.dev_account, where)
        elif config.private_key_env is not None:
            account = private_key_account(config.private_key_env, self.environ, what=where)
        else:
            assert config.keystore is not None  # the model requires one of the two
            path = Path(config.keystore).expanduser()
            if not path.is_absolute():
                path = self.network.base_dir / path
            if not path.is_file():
                raise ConfigError(f"{where}: keystore file {path} does not exist")
            password = self._password(path, config.password_env, where)
            try:
                account = decrypt_keystore(path, password)
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from exc.__cause__
        if config.address is not None and account.address.lower() != config.address.lower():
            raise ConfigError(f"{where}: the key is for {account.address}, but the configured address is {config.address}")
        return account

    def _password(self, path: Path, variable: str | None, where: str) -> str:
        env = os.environ if self.environ is None else self.environ
        if variable is not None and variable in env:
            return env[variable]
        interactive = stdin_is_tty() if self.interactive is None else self.interactive
        if not interactive:
            if variable is None:
                raise ConfigError(
                    f"{where}: no password for keystore {path}: configure password_env and set that "
                    "variable (stdin is not a terminal, so the password cannot be asked for)"
                )
            raise ConfigError(
                f"{where}: environment variable {variable} is not set; it must hold the password for "
                f"keystore {path} (stdin is not a terminal, so the password cannot be asked for)"
            )
        return self.prompt(f"Password for keystore {path}")

    def _tester_accounts(self) -> list[str]:
        if self.w3 is None:
            raise ConfigError("the tester network's accounts need its Web3 (use connect('tester'))")
        return [str(a) for a in self.w3.eth.accounts]

    def _tester_account(self, name: str | int) -> str:
        accounts = self._tester_accounts()
        try:
            index = int(name)
        except (TypeError, ValueError):
            index = -1
        if not 0 <= index < len(accounts):
            raise ConfigError(
                f"the tester network's accounts are named by index: 0 to {len(accounts) - 1}, not {name!r}"
            )
        return accounts[index]


__all__ = [
    "AccountLoader",
    "PasswordPrompt",
    "click_password_prompt",
    "decrypt_keystore",
    "private_key_account",
    "read_keystore",
    "stdin_is_tty",
]


def _dev_account(index: int, where: str) -> LocalAccount:
    """Account ``index`` of the development mnemonic (:mod:`consortium_evm.domain.devkeys`): the local
    network's funded dev accounts are 0 to 4, anvil's 0 to 9; a genesis funds whom its alloc names."""
    from consortium_evm.domain.devkeys import dev_account

    try:
        return dev_account(index)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
