"""``consortium-evm guard``: beside a node, keep its peers to the consortium's nodes and audit blocks."""

from __future__ import annotations

from pathlib import Path

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client


@click.command("guard")
@click.option("--rpc-url", default=None, help="The node guarded (default: the network's url); its admin API must "
                                                "answer there, on the loopback.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=2.0, show_default=True,
              help="Seconds between passes.")
@click.option("--passes", type=click.IntRange(min=1), default=None, help="Stop after this many passes.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False), default=None,
              help="Where the last block audited is kept (default: .consortium/guard/<network>.json).")
@click.option("--from-block", type=click.IntRange(min=0), default=None,
              help="Audit from this block (default: where the state file stopped, else the head).")
@click.option("--no-peers", is_flag=True, help="Audit only: leave the peers alone.")
@click.option("--nodes", "nodes_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Enode URLs of registered nodes the registry's events do not name (a network started from a "
                   "genesis file: its static-nodes.json or bootnodes.txt).")
@click.option("--metrics", "metrics_listen", default=None, metavar="HOST:PORT",
              help="Serve Prometheus metrics there (keep it on the loopback).")
@client_options
def guard_command(options: ClientOptions, rpc_url: str | None, interval: float, passes: int | None,
                  state_file: str | None, from_block: int | None, no_peers: bool, nodes_file: str | None,
                  metrics_listen: str | None) -> None:
    """Every --interval seconds: drop each peer the rules refuse, add each registered node of an
    active member, and audit the new blocks: a transaction whose sender the rules refused at the
    parent block is reported as a JSON line (block, transaction, sender, the signer that sealed it:
    Clique's signer, the QBFT/IBFT proposer, by the network's consensus and client).
    Restarted, it resumes its audit where it stopped."""
    from prometheus_client import start_http_server

    from consortium_evm.client.nodes import read_enode_list
    from consortium_evm.enforce.guard.run import Guard
    from consortium_evm.enforce.guard.sealer import sealer_method
    from consortium_evm.config.networks import load_network, resolve_local_node
    from consortium_evm.node.rpc import rpc_call

    network = load_network(options.network, options.networks_file)
    url = rpc_url or resolve_local_node(network).url
    state = Path(state_file) if state_file else Path(".consortium") / "guard" / f"{network.name}.json"
    guard = Guard(make_client(options), url, state, lambda u, m, p: rpc_call(u, m, p, timeout=15.0),
                  peers=not no_peers, from_block=from_block, emit=click.echo,
                  known_nodes=read_enode_list(Path(nodes_file)) if nodes_file else (),
                  sealer=sealer_method(network.consensus, network.client))
    if metrics_listen:
        host, _, port = metrics_listen.rpartition(":")
        start_http_server(int(port), addr=host or "127.0.0.1", registry=guard.metrics.registry)
    guard.run(interval, passes)
