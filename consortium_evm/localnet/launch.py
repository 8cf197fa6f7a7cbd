"""Launching the geth processes of a created network: the command line, the ports, waiting until
blocks are sealed and every node is peered, and sealing in turn for a network made from a given
genesis.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Sequence

from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.errors import NetworkStartError, NodeError
from consortium_evm.node.geth import GethBinary
from consortium_evm.node.processes import (
    CHILDREN,
    Log,
    free_ports,
    log_tail,
    pid_alive,
    ports_free,
    stop_one,
    wait_until,
)
from consortium_evm.node.rpc import rpc_call, rpc_int
from consortium_evm.node.state import CONFIG_FILE, PASSWORD_FILE, NetworkState, NodeInfo, replace_pid, save_state
from consortium_evm.util.atomic import write_text_atomic as _write_atomic


HTTP_APIS = "eth,net,web3,clique,txpool,admin,miner"

DEFAULT_START_TIMEOUT = 60.0


def _config_toml(node: NodeInfo, peers: Sequence[NodeInfo]) -> str:
    static = ", ".join(json.dumps(p.enode) for p in peers)
    return (
        "# Written by consortium-evm node start; rewritten at every start (ports may change).\n"
        "[Node.P2P]\n"
        f'ListenAddr = "127.0.0.1:{node.p2p_port}"\n'
        "NoDiscovery = true\n"
        f"MaxPeers = {max(len(peers) + 5, 10)}\n"
        f"StaticNodes = [{static}]\n"
    )


def geth_command(geth: GethBinary, state: NetworkState, node: NodeInfo) -> list[str]:
    """The command line of one signer (P2P listen address and static peers are in its config.toml)."""
    return [
        str(geth.path),
        "--datadir", str(node.data_dir),
        "--config", str(node.data_dir / CONFIG_FILE),
        "--networkid", str(state.chain_id),
        "--syncmode", "full",
        "--nodiscover",
        "--netrestrict", "127.0.0.0/8",
        "--nat", "none",
        "--http",
        "--http.addr", "127.0.0.1",
        "--http.port", str(node.http_port),
        "--http.api", HTTP_APIS,
        # the same APIs over WebSocket on the same port: subscriptions, and the gateway's cheaper way upstream
        "--ws",
        "--ws.addr", "127.0.0.1",
        "--ws.port", str(node.http_port),
        "--ws.api", HTTP_APIS,
        "--authrpc.addr", "127.0.0.1",
        "--authrpc.port", str(node.authrpc_port),
        "--ipcdisable",
        "--cache", "128",
        *(() if state.from_genesis else ("--mine",)),
        "--miner.etherbase", node.signer,
        "--unlock", node.signer,
        "--password", str(state.root_dir / PASSWORD_FILE),
        "--allow-insecure-unlock",
        "--verbosity", "3",
    ]


def launch(state: NetworkState, geth: GethBinary, *, timeout: float, say: Log) -> NetworkState:
    # A resumed network keeps its ports (so the RPC URLs written in configurations stay right)
    # when they are still free; otherwise, and for a new network, it gets fresh free ports.
    previous = [p for n in state.nodes for p in (n.http_port, n.p2p_port, n.authrpc_port)]
    if all(previous) and len(set(previous)) == len(previous) and ports_free(previous):
        ports = previous
    else:
        if any(previous):
            say("  the network's previous ports are taken: it gets new ones (new RPC URLs)")
        ports = free_ports(3 * len(state.nodes))
    nodes = [
        NodeInfo(
            name=n.name,
            signer=n.signer,
            data_dir=n.data_dir,
            http_port=ports[3 * i],
            p2p_port=ports[3 * i + 1],
            authrpc_port=ports[3 * i + 2],
            node_id=n.node_id,
            pid=None,
        )
        for i, n in enumerate(state.nodes)
    ]
    for node in nodes:
        _write_atomic(node.data_dir / CONFIG_FILE, _config_toml(node, [p for p in nodes if p is not node]))
    state = state.with_nodes(nodes, geth_path=str(geth.path), geth_version=geth.version, stopped_at=None)
    save_state(state)

    started: list[NodeInfo] = []
    try:
        for node in nodes:
            started.append(_spawn(geth, state, node))
            state = state.with_nodes(started + nodes[len(started):])
            save_state(state)
            say(f"  {node.name}: geth pid {started[-1].pid}, rpc {node.rpc_url}, p2p 127.0.0.1:{node.p2p_port}")
        state = state.with_nodes(started, started_at=time.time())
        save_state(state)
        if state.from_genesis:
            state = _start_sealing_in_turn(state, geth, timeout)
        _wait_ready(state, timeout)
    except BaseException:
        stop_network(state.root_dir, log=None)
        raise
    return state


def _wait_ready(state: NetworkState, timeout: float) -> None:
    """Until every node answers, has sealed/imported a block and (N >= 2) has N-1 peers."""
    deadline = time.monotonic() + timeout
    want_peers = len(state.nodes) - 1
    waiting_for = "the nodes to answer"
    while True:
        for node in state.nodes:
            assert node.pid is not None
            if not pid_alive(node.pid):
                raise NetworkStartError(
                    f"{node.name} (geth pid {node.pid}) exited while starting; the end of "
                    f"{node.log_file}:\n{log_tail(node.log_file)}"
                )
        try:
            pending = []
            heads = []
            for node in state.nodes:
                block = rpc_int(node.rpc_url, "eth_blockNumber", timeout=2.0)
                peers = rpc_int(node.rpc_url, "net_peerCount", timeout=2.0)
                heads.append(block)
                if block < 1:
                    pending.append(f"{node.name} to seal or import a block")
                if peers < want_peers:
                    pending.append(f"{node.name} to peer ({peers}/{want_peers})")
            if not pending and want_peers and not _same_chain(state.nodes, min(heads)):
                pending.append("the nodes to agree on one chain")
            if not pending:
                return
            waiting_for = ", ".join(pending)
        except NodeError as exc:
            waiting_for = f"the nodes to answer ({exc})"
        if time.monotonic() > deadline:
            tails = "\n".join(f"  {n.name} ({n.log_file}):\n{log_tail(n.log_file, 8)}" for n in state.nodes)
            raise NetworkStartError(
                f"the local network did not get ready within {timeout:.0f} s: still waiting for "
                f"{waiting_for}\n{tails}"
            )
        time.sleep(0.25)


def _spawn(geth: GethBinary, state: NetworkState, node: NodeInfo) -> NodeInfo:
    """Start ``node``'s geth process (its PID recorded in its PID file); returns it with the PID."""
    with open(node.log_file, "ab") as log_handle:
        log_handle.write(f"\n==> {time.strftime('%Y-%m-%d %H:%M:%S')} starting geth\n".encode())
        log_handle.flush()
        child = subprocess.Popen(
            geth_command(geth, state, node),
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    CHILDREN[child.pid] = child
    _write_atomic(node.pid_file, f"{child.pid}\n")
    return replace_pid(node, child.pid)


def _start_sealing_in_turn(state: NetworkState, geth: GethBinary, timeout: float) -> NetworkState:
    """Start sealing on a network from a given genesis (its nodes run without ``--mine``).

    Its genesis time may be long past, so every signer could seal its own next block at once, and
    a geth whose head is old counts itself as syncing and drops the blocks its peers propagate; it
    only follows a peer it knows, from the handshake, to be ahead. So: the in-turn signer of the
    next block seals it alone; the other nodes are then restarted, learn at the handshake that it
    is ahead, and fetch the block (geth's chain sync runs at least every 10 s); from then on they
    take part normally and start sealing too.
    """
    deadline = time.monotonic() + timeout
    first = state.nodes[0]
    wait_until(deadline, "the nodes to answer", lambda: all(
        rpc_int(n.rpc_url, "eth_blockNumber", timeout=2.0) >= 0 for n in state.nodes
    ))
    head = rpc_int(first.rpc_url, "eth_blockNumber", timeout=5.0)
    signers = sorted(str(a).lower() for a in rpc_call(first.rpc_url, "clique_getSigners", [], timeout=5.0) or [])
    in_turn = signers[(head + 1) % len(signers)] if signers else ""
    leader = next((n for n in state.nodes if n.signer.lower() == in_turn), None)
    if leader is None:
        raise NetworkStartError(f"no node of this network holds the key of the in-turn signer {in_turn}")
    followers = [n for n in state.nodes if n is not leader]
    for node in followers:
        stop_one(node)
    # geth unlocks the signer only once it is up: sealing before that fails for good
    wait_until(deadline, f"{leader.name} to unlock its signer", _unlocked(leader))
    rpc_call(leader.rpc_url, "miner_start", [], timeout=5.0)
    wait_until(deadline, f"{leader.name} to seal block {head + 1}",
           lambda: rpc_int(leader.rpc_url, "eth_blockNumber", timeout=2.0) > head)
    restarted = {node.name: _spawn(geth, state, node) for node in followers}
    state = state.with_nodes([restarted.get(n.name, n) for n in state.nodes])
    save_state(state)
    wait_until(deadline, f"every node to import block {head + 1}", lambda: min(
        rpc_int(n.rpc_url, "eth_blockNumber", timeout=2.0) for n in state.nodes
    ) > head and _same_chain(state.nodes, head + 1))
    for node in state.nodes:
        if node.name in restarted:
            wait_until(deadline, f"{node.name} to unlock its signer", _unlocked(node))
            rpc_call(node.rpc_url, "miner_start", [], timeout=5.0)
    return state


def _unlocked(node: NodeInfo) -> Callable[[], bool]:
    return lambda: rpc_call(node.rpc_url, "eth_sign", [node.signer, "0x00"], timeout=2.0) is not None


def _same_chain(nodes: Sequence[NodeInfo], number: int) -> bool:
    """Whether every node has the same block ``number`` (no competing forks left)."""
    hashes = set()
    for node in nodes:
        block = rpc_call(node.rpc_url, "eth_getBlockByNumber", [hex(number), False], timeout=2.0)
        hashes.add(block.get("hash") if isinstance(block, dict) else None)
    return len(hashes) == 1 and None not in hashes
