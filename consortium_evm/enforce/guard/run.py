"""The guard's loop: a peer pass and an audit of the new blocks every ``interval`` seconds, the audit
resumed from a state file (the last block audited, with the chain's genesis hash so that a state file
of another chain is refused), findings as JSON lines, counters as Prometheus metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from consortium_evm.errors import ConfigError
from consortium_evm.enforce.guard.audit import AuditFinding, audit_blocks
from consortium_evm.enforce.guard.peers import PeerPlan, reconcile_peers
from consortium_evm.enforce.guard.sealer import SealerMethod
from consortium_evm.util.atomic import write_json_atomic

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

Rpc = Callable[[str, str, Sequence[Any]], Any]


class GuardMetrics:
    """The guard's counters, in their own registry (served by ``--metrics HOST:PORT``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.dropped = Counter("consortium_guard_peers_dropped", "Peers dropped because the rules refuse them",
                               registry=self.registry)
        self.added = Counter("consortium_guard_peers_added", "Registered nodes added as peers", registry=self.registry)
        self.findings = Counter("consortium_guard_audit_findings",
                                "Transactions included although the rules refused their sender at the parent block",
                                ["sealer"], registry=self.registry)
        self.audited = Gauge("consortium_guard_audited_block", "The last block audited", registry=self.registry)


@dataclass(frozen=True)
class PassResult:
    """One pass: the peer work and the audit of blocks ``first``..``last``."""

    peers: PeerPlan | None
    first: int
    last: int
    findings: tuple[AuditFinding, ...]


class Guard:
    """A guard over one node; ``run_pass`` does one pass, ``run`` loops."""

    def __init__(self, client: ConsortiumClient, rpc_url: str, state_file: Path, rpc: Rpc, *,
                 peers: bool = True, from_block: int | None = None, emit: Callable[[str], None] = print,
                 known_nodes: Sequence[str] = (), sealer: SealerMethod | None = "clique") -> None:
        self.client, self.rpc_url, self.state_file, self.rpc = client, rpc_url, state_file, rpc
        self.known_nodes = tuple(known_nodes)
        self.sealer = sealer
        self.peers, self.emit = peers, emit
        self.metrics = GuardMetrics()
        self.genesis = "0x" + bytes(client.w3.eth.get_block(0)["hash"]).hex()
        self.audited_to = self._load(from_block)

    def _load(self, from_block: int | None) -> int:
        if from_block is not None:
            return from_block - 1
        if self.state_file.exists():
            state = json.loads(self.state_file.read_text())
            if state.get("genesisHash") != self.genesis:
                raise ConfigError(
                    f"{self.state_file} records the audit of another chain (genesis {state.get('genesisHash')}, "
                    f"this one {self.genesis}): move it aside or give --from-block"
                )
            return int(state["auditedTo"])
        return self.client.block_number()

    def run_pass(self) -> PassResult:
        plan = reconcile_peers(self.client, self.rpc_url, self.rpc, self.known_nodes) if self.peers else None
        if plan is not None:
            self.metrics.dropped.inc(len(plan.dropped))
            self.metrics.added.inc(len(plan.added))
            for enode in plan.dropped:
                self.emit(json.dumps({"event": "peer_dropped", "enode": enode}))
            for enode in plan.added:
                self.emit(json.dumps({"event": "peer_added", "enode": enode}))
        head = self.client.block_number()
        first = self.audited_to + 1
        findings = audit_blocks(self.client, self.rpc_url, first, head, self.rpc, self.sealer) if head >= first else []
        for finding in findings:
            self.metrics.findings.labels(finding.sealer or "unknown").inc()
            self.emit(json.dumps({"event": "refused_sender_included", **finding.to_json()}))
        if head >= first:
            self.audited_to = head
            self.metrics.audited.set(head)
            write_json_atomic(self.state_file, {"genesisHash": self.genesis, "auditedTo": head})
        return PassResult(plan, first, head, tuple(findings))

    def run(self, interval: float, passes: int | None = None) -> None:
        done = 0
        while passes is None or done < passes:
            started = time.monotonic()
            self.run_pass()
            done += 1
            if passes is None or done < passes:
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
