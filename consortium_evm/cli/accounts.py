"""``consortium-evm accounts new|import|list``: keystore files for the accounts of networks.yaml."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from consortium_evm.cli.output import echo_json
from consortium_evm.errors import ConfigError

PASSWORD_ENV = "CONSORTIUM_KEYSTORE_PASSWORD"


@click.group("accounts")
def accounts_group() -> None:
    """Keystore files for the accounts of networks.yaml: make one, import a key, list them."""


def _password(variable: str, confirm: bool) -> str:
    """The password from ``$variable``, else a hidden prompt (a terminal only), never echoed."""
    from consortium_evm.chain.accounts import stdin_is_tty

    value = os.environ.get(variable)
    if value is not None:
        return value
    if not stdin_is_tty():
        raise ConfigError(f"no password: set {variable} (or run this in a terminal to be asked)")
    return str(click.prompt("Keystore password", hide_input=True, confirmation_prompt=confirm))


def _show(keystore: object, name: str, password_env: str, as_json: bool, what: str) -> None:
    from consortium_evm.chain.keystores import Keystore, networks_entry

    assert isinstance(keystore, Keystore)
    entry = networks_entry(name, keystore.path, password_env)
    if as_json:
        echo_json({**keystore.to_json(), "name": name, "passwordEnv": password_env, "networksEntry": entry})
        return
    click.echo(f"{what} {keystore.address} in {keystore.path} (mode 0600).")
    click.echo("Use it in networks.yaml, under a network's accounts:")
    click.echo("\n".join("  " + line for line in entry.splitlines()))
    click.echo(f"and give its password in ${password_env}.")


F = TypeVar("F", bound=Callable[..., Any])


def _common(command: F) -> F:
    """The options ``new`` and ``import`` share."""
    for option in reversed((
        click.option("--name", required=True, help="The account's name in networks.yaml (the file is DIR/NAME.json)."),
        click.option("--dir", "directory", type=click.Path(file_okay=False), default="keys", show_default=True,
                     help="Where the keystore goes."),
        click.option("--password-env", default=PASSWORD_ENV, show_default=True,
                     help="The environment variable holding the password (else you are asked, input hidden)."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts."),
    )):
        command = option(command)
    return command


@accounts_group.command("new")
@_common
def new_command(name: str, directory: str, password_env: str, as_json: bool) -> None:
    """A new account in an encrypted keystore (scrypt), and the networks.yaml entry that uses it."""
    from consortium_evm.chain.keystores import new_keystore

    keystore = new_keystore(Path(directory) / f"{name}.json", _password(password_env, confirm=True))
    _show(keystore, name, password_env, as_json, "Created")


@accounts_group.command("import")
@_common
@click.option("--key-env", default=None,
              help="The environment variable holding the private key (else you are asked, input hidden).")
def import_command(name: str, directory: str, password_env: str, as_json: bool, key_env: str | None) -> None:
    """An existing private key into an encrypted keystore; the key is never echoed."""
    from consortium_evm.chain.accounts import stdin_is_tty
    from consortium_evm.chain.keystores import import_keystore

    if key_env is not None:
        key = os.environ.get(key_env)
        if key is None:
            raise ConfigError(f"{key_env} is not set")
    elif stdin_is_tty():
        key = str(click.prompt("Private key", hide_input=True))
    else:
        raise ConfigError("no private key: give --key-env VAR (or run this in a terminal to be asked)")
    keystore = import_keystore(Path(directory) / f"{name}.json", key, _password(password_env, confirm=True))
    _show(keystore, name, password_env, as_json, "Imported")


@accounts_group.command("list")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default="keys", show_default=True,
              help="Where the keystores are.")
@click.option("--network", "network_name", default=None,
              help="List this network's named accounts from networks.yaml instead (keystores, keys from the "
                   "environment, development keys, Clef and Web3Signer signers).")
@click.option("--networks", "networks_file", type=click.Path(dir_okay=False), default=None,
              help="The networks file (default: ./networks.yaml).")
@click.option("--check", is_flag=True, help="With --network: ask each remote signer whether it is up and "
                                            "offers the account.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def list_command(directory: str, network_name: str | None, networks_file: str | None, check: bool,
                 as_json: bool) -> None:
    """The keystores in --dir and the address each holds (nothing is decrypted); with --network,
    that network's named accounts, how each signs and its address."""
    from consortium_evm.cli.output import table

    if network_name is not None:
        rows = _network_accounts(network_name, networks_file, check)
        if as_json:
            echo_json(rows)
            return
        if not rows:
            click.echo(f"Network {network_name} names no account.")
            return
        headers = ["NAME", "KIND", "ADDRESS", "SOURCE"] + (["STATUS"] if check else [])
        click.echo(table(headers, [[r["name"], r["kind"], r["address"] or "-", r["source"]]
                                   + ([r["status"]] if check else []) for r in rows]))
        return
    if check:
        raise click.UsageError("--check goes with --network")
    from consortium_evm.chain.keystores import list_keystores

    found = list_keystores(Path(directory))
    if as_json:
        echo_json([k.to_json() for k in found])
        return
    if not found:
        click.echo(f"No keystore in {directory}.")
        return
    click.echo(table(["NAME", "ADDRESS", "FILE"], [[k.path.stem, k.address, str(k.path)] for k in found]))


def _network_accounts(network_name: str, networks_file: str | None, check: bool) -> list[dict[str, Any]]:
    """One row per named account of the network (nothing decrypted; signers asked only with ``check``)."""
    from consortium_evm.chain.accounts import AccountLoader
    from consortium_evm.config.networks import load_network
    from consortium_evm.errors import ConsortiumError

    network = load_network(network_name, networks_file)
    if network.is_tester:
        raise ConfigError("the tester network's accounts are the embedded chain's unlocked accounts, by index "
                          "(0 to 9); it has no named accounts")
    loader = AccountLoader(network, interactive=False)
    rows: list[dict[str, Any]] = []
    for name in loader.names():
        kind, address, source = loader.describe(name)
        row: dict[str, Any] = {"name": name, "kind": kind, "address": address, "source": source}
        if check:
            if kind in ("clef", "web3signer"):
                try:
                    loader.remote_signer(name).check()
                    row["status"] = "ok"
                except ConsortiumError as exc:
                    row["status"] = f"error: {exc}"
            else:
                row["status"] = "-"
        rows.append(row)
    return rows
