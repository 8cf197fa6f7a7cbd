"""``consortium-evm permissioning preflight``: what the rules would cut off if turned on now."""

from __future__ import annotations

from pathlib import Path

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client
from consortium_evm.cli.output import echo_json, table


@click.group("permissioning")
def permissioning_group() -> None:
    """Before a network enforces the consortium's rules."""


@permissioning_group.command("preflight")
@click.option("--rpc-url", default=None,
              help="The node to ask for its peers and validators (default: the network's url; its admin API "
                   "must answer on it).")
@click.option("--blocks", type=click.IntRange(min=0), default=1000, show_default=True,
              help="How many recent blocks' senders to check.")
@click.option("--nodes", "nodes_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Enode URLs of registered nodes the registry's events do not name (a network started from a "
                   "genesis file: its static-nodes.json or bootnodes.txt).")
@client_options
def preflight_command(options: ClientOptions, rpc_url: str | None, blocks: int, nodes_file: str | None) -> None:
    """List what the rules would cut off if this network enforced them now: the node, its peers and
    the current validators' nodes that the rules refuse, and the accounts that sent transactions in
    the last --blocks blocks that they refuse. Exits 1 when anything would be cut off (or the node's
    peers cannot be listed), 0 when nothing would."""
    from consortium_evm.config.networks import LOCAL_NODE, load_network, local_node_url
    from consortium_evm.client.nodes import read_enode_list
    from consortium_evm.enforce.preflight.check import preflight

    network = load_network(options.network, options.networks_file)
    url = rpc_url or (local_node_url(network.name) if network.url == LOCAL_NODE else network.url)
    known = read_enode_list(Path(nodes_file)) if nodes_file else ()
    report = preflight(make_client(options), url, network.consensus, blocks=blocks, known_nodes=known)
    if options.as_json:
        echo_json(report.to_json())
    else:
        click.echo(f"Checked {report.nodes_checked} node(s) and {report.accounts_checked} sender(s) of blocks "
                   f"{report.from_block}..{report.head} against the rules at block {report.head}.")
        if not report.peers_listed:
            click.echo("The node's admin API did not answer admin_peers: its peers were not checked.")
        if report.nodes:
            click.echo("\nNodes the rules would refuse:")
            click.echo(table(["ROLE", "VALIDATOR", "ENODE"],
                             [[n.role, n.validator or "-", n.enode] for n in report.nodes]))
        if report.accounts:
            click.echo("\nAccounts the rules would refuse:")
            click.echo(table(["ACCOUNT", "TXS", "LAST BLOCK", "LAST TRANSACTION"],
                             [[a.address, a.transactions, a.last_block, a.last_transaction] for a in report.accounts],
                             right=["TXS", "LAST BLOCK"]))
        for validator in report.validators_without_node:
            click.echo(f"Validator {validator}: no registered node has its key (check its node with "
                       "`consortium-evm access check-node ENODE`).")
        if report.clear:
            click.echo("Nothing would be cut off.")
    if not report.clear:
        raise SystemExit(1)
