"""What every client command shares: the connection options and how a client is made.

Every command that talks to a deployed consortium takes::

    --network NAME        a network of networks.yaml (env CONSORTIUM_NETWORK)
    --account NAME        the signing account, by its name in networks.yaml (env CONSORTIUM_ACCOUNT);
                          reads need none
    --networks FILE       the networks file (default ./networks.yaml)
    --deployments DIR     where deploy wrote <network>.json (default ./deployments)
    --json                JSON for scripts instead of tables

The client is made by ``ctx.obj["client_factory"]`` when present (tests and embedding programs pass
one to run the commands against a client of their own), else by
:meth:`ConsortiumClient.connect <consortium_evm.client.core.ConsortiumClient.connect>`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from consortium_evm.cli.output import echo_json
from consortium_evm.client import ConsortiumClient
from consortium_evm.client.models import sent_json
from consortium_evm.tx.transactions import Sent

F = TypeVar("F", bound=Callable[..., Any])

networks_file_option = click.option("--networks", "networks_file", type=click.Path(dir_okay=False), default=None,
                                    help="The networks file (default: ./networks.yaml).")
"""``--networks FILE``: every command that reads networks.yaml takes it."""
network_or_tester_option = click.option("--network", "network_name", required=True,
                                        help="A network of networks.yaml, or `tester`.")
"""``--network NAME`` of the commands that also run on the embedded chain (deploy, run)."""


@dataclass(frozen=True)
class ClientOptions:
    """The connection options of one command."""

    network: str
    account: str | None
    networks_file: str | None
    deployments_dir: str
    as_json: bool


ClientFactory = Callable[[ClientOptions], ConsortiumClient]


def default_client_factory(options: ClientOptions) -> ConsortiumClient:
    """Connect by network name, reading networks.yaml and the deployment manifest."""
    return ConsortiumClient.connect(
        options.network,
        account=options.account,
        networks_file=options.networks_file,
        deployments_dir=options.deployments_dir,
    )


def client_options(command: F) -> F:
    """Adds the connection options; the command receives them as ``options: ClientOptions``."""

    @click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables.")
    @click.option("--deployments", "deployments_dir", default="deployments", show_default=True,
                  type=click.Path(file_okay=False), help="Where the deployment manifests (<network>.json) are.")
    @networks_file_option
    @click.option("--account", default=None, envvar="CONSORTIUM_ACCOUNT",
                  help="The signing account, by name in networks.yaml (env CONSORTIUM_ACCOUNT).")
    @click.option("--network", required=True, envvar="CONSORTIUM_NETWORK",
                  help="A network of networks.yaml (env CONSORTIUM_NETWORK).")
    @functools.wraps(command)
    def wrapper(network: str, account: str | None, networks_file: str | None, deployments_dir: str, as_json: bool,
                **kwargs: Any) -> Any:
        options = ClientOptions(network, account, networks_file, deployments_dir, as_json)
        return command(options=options, **kwargs)

    return wrapper  # type: ignore[return-value]


def make_client(options: ClientOptions) -> ConsortiumClient:
    """The client for ``options``, from the context's factory when one was given."""
    ctx = click.get_current_context()
    obj = ctx.find_root().obj
    factory: ClientFactory = (obj or {}).get("client_factory", default_client_factory) if isinstance(obj, dict) else default_client_factory
    return factory(options)


def report_sent(options: ClientOptions, message: str, sent: Sent, **extra: Any) -> None:
    """Print what a transaction did: a sentence with its hash, block and gas, or JSON."""
    if options.as_json:
        echo_json({**extra, **sent_json(sent)})
        return
    click.echo(f"{message} (tx {sent.tx_hash}, block {sent.block_number}, gas {sent.gas_used:,})")
