"""What runs of a local network: each recorded process, and what its node answers over JSON-RPC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consortium_evm.node.errors import NodeError
from consortium_evm.node.processes import is_our_geth, pid_alive, read_pid_file
from consortium_evm.node.rpc import rpc_call, rpc_int
from consortium_evm.node.state import NetworkState, load_state


@dataclass(frozen=True)
class NodeStatus:
    """One node as seen now: its process and what it answers over JSON-RPC."""

    name: str
    rpc_url: str
    pid: int | None
    alive: bool
    signer: str
    block_number: int | None = None
    peer_count: int | None = None
    signers: tuple[str, ...] | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rpcUrl": self.rpc_url,
            "pid": self.pid,
            "alive": self.alive,
            "signer": self.signer,
            "blockNumber": self.block_number,
            "peerCount": self.peer_count,
            "signers": list(self.signers) if self.signers is not None else None,
            "error": self.error,
        }


@dataclass(frozen=True)
class NetworkStatus:
    """A local network's recorded state and each node's live status."""

    state: NetworkState
    nodes: tuple[NodeStatus, ...] = field(default_factory=tuple)

    @property
    def running(self) -> bool:
        """Every node's process is alive."""
        return bool(self.nodes) and all(n.alive for n in self.nodes)

    @property
    def any_alive(self) -> bool:
        return any(n.alive for n in self.nodes)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataDir": str(self.state.root_dir),
            "stateFile": str(self.state.state_file),
            "running": self.running,
            "chainId": self.state.chain_id,
            "period": self.state.period,
            "genesisSigners": list(self.state.signers),
            "devAccounts": list(self.state.dev_accounts),
            "devKeysFile": str(self.state.dev_keys_file),
            "local": self.state.local_entry(),
            "nodes": [n.to_json() for n in self.nodes],
        }


def network_status(root_dir: Path | str | None = None, *, rpc_timeout: float = 3.0) -> NetworkStatus | None:
    """Each recorded node's URL, PID, whether it runs, block number, peer count and the signers it
    knows (``clique_getSigners``); None when ``root_dir`` holds no network."""
    state = load_state(root_dir)
    if state is None:
        return None
    statuses = []
    for node in state.nodes:
        pid = node.pid if node.pid is not None else read_pid_file(node.pid_file)
        alive = pid is not None and pid_alive(pid) and is_our_geth(pid, node.data_dir)
        status = NodeStatus(name=node.name, rpc_url=node.rpc_url, pid=pid, alive=alive, signer=node.signer)
        if alive:
            try:
                block = rpc_int(node.rpc_url, "eth_blockNumber", rpc_timeout)
                peers = rpc_int(node.rpc_url, "net_peerCount", rpc_timeout)
                signers = rpc_call(node.rpc_url, "clique_getSigners", [], rpc_timeout)
                status = NodeStatus(
                    **{
                        **status.__dict__,
                        "block_number": block,
                        "peer_count": peers,
                        "signers": tuple(str(s).lower() for s in signers or ()),
                    }
                )
            except NodeError as exc:
                status = NodeStatus(**{**status.__dict__, "error": str(exc)})
        statuses.append(status)
    return NetworkStatus(state=state, nodes=tuple(statuses))
