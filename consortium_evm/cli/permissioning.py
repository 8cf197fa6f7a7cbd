"""``consortium-evm permissioning``: ``preflight`` (what the rules would cut off if turned on now) and
``nodes-file`` (GoQuorum's ``permissioned-nodes.json`` from the registry)."""

from __future__ import annotations

from pathlib import Path

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client
from consortium_evm.cli.output import echo_json, table


@click.group("permissioning")
def permissioning_group() -> None:
    """Before a network enforces the consortium's rules, and GoQuorum's start-up node list."""


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
    from consortium_evm.config.networks import load_network, resolve_local_node
    from consortium_evm.client.nodes import read_enode_list
    from consortium_evm.enforce.preflight.check import preflight

    network = load_network(options.network, options.networks_file)
    url = rpc_url or resolve_local_node(network).url
    known = read_enode_list(Path(nodes_file)) if nodes_file else ()
    report = preflight(make_client(options), url, network.consensus, blocks=blocks, known_nodes=known,
                       node_client=network.client)
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


@permissioning_group.command("nodes-file")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Write here (default: <deployments>/<network>.goquorum/permissioned-nodes.json).")
@click.option("--nodes", "nodes_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Enode URLs of registered nodes that neither the registry's events nor the manifest's genesis "
                   "founders name (a genesis network: its static-nodes.json or bootnodes.txt).")
@client_options
def nodes_file_command(options: ClientOptions, out_file: str | None, nodes_file: str | None) -> None:
    """Write GoQuorum's permissioned-nodes.json from the registry: the enode URL of every registered
    node of every active member (a suspended or removed member's are left out), atomically. It lists
    what the file it replaces did not, and what it no longer lists. Refuses to write an empty list.
    After a membership change, copy it into each node's data directory."""
    from consortium_evm.client.nodes import read_enode_list
    from consortium_evm.workflows.permissioned_nodes import write_permissioned_nodes

    known = read_enode_list(Path(nodes_file)) if nodes_file else ()
    written = write_permissioned_nodes(make_client(options), network=options.network,
                                       out_dir=options.deployments_dir, path=out_file, known=known)
    if options.as_json:
        echo_json(written.to_json())
        return
    click.echo(f"Wrote {written.count} enode URL(s) to {written.path}"
               f"{'' if written.existed else ' (a new file)'}.")
    if written.existed and not written.changed:
        click.echo("The same nodes as the file it replaced.")
    if not written.existed:
        click.echo("\n".join(f"  {e}" for e in written.enodes))
    if written.existed and written.added:
        click.echo(f"Added ({len(written.added)}):")
        click.echo("\n".join(f"  {e}" for e in written.added))
    if written.removed:
        click.echo(f"Removed ({len(written.removed)}):")
        click.echo("\n".join(f"  {e}" for e in written.removed))
    click.echo("Copy it into each GoQuorum node's data directory: a node reads it when it starts.")
