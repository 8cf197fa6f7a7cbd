"""``consortium-evm access ...`` (the chain's permission answers) and ``consortium-evm events``
(the consortium's history, and ``--follow`` for new events as blocks arrive)."""

from __future__ import annotations

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client
from consortium_evm.cli.output import ADDRESS, echo_json
from consortium_evm.errors import ConfigError


@click.group("access")
def access_group() -> None:
    """Ask the permissioning contracts what the chain's nodes ask them."""


@access_group.command("check-account")
@click.argument("sender", type=ADDRESS)
@click.option("--to", "target", type=ADDRESS, default=None, help="The transaction's target address.")
@click.option("--deploy", is_flag=True, help="Ask about creating a contract instead.")
@client_options
def access_check_account(options: ClientOptions, sender: str, target: str | None, deploy: bool) -> None:
    """Whether SENDER may send a transaction --to TARGET (or --deploy a contract)."""
    if deploy == (target is not None):
        raise ConfigError("give either --to TARGET or --deploy")
    allowed = make_client(options).access.account_allowed(sender, None if deploy else target)
    what = "create a contract" if deploy else f"send to {target}"
    if options.as_json:
        echo_json({"sender": sender, "target": None if deploy else target, "allowed": allowed})
        return
    click.echo(f"{sender} {'MAY' if allowed else 'may NOT'} {what}")


@access_group.command("check-node")
@click.argument("enode")
@click.option("--host", default=None, help="The host it connects from (with an enode id instead of a URL).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Its P2P port (with an enode id).")
@client_options
def access_check_node(options: ClientOptions, enode: str, host: str | None, port: int | None) -> None:
    """Whether a node may connect: ENODE is an enode URL, or an enode id with --host and --port."""
    allowed = make_client(options).access.node_allowed(enode, host, port)
    if options.as_json:
        echo_json({"enode": enode, "host": host, "port": port, "allowed": allowed})
        return
    click.echo(f"node {enode if len(enode) < 40 else enode[:40] + '…'} {'MAY' if allowed else 'may NOT'} connect")
