"""Beside a node whose admin API is on the loopback: keep its peers to the consortium's nodes and
report the blocks that let in a transaction the rules refuse (``consortium-evm guard``)."""

from consortium_evm.enforce.guard.audit import AuditFinding, audit_blocks
from consortium_evm.enforce.guard.peers import PeerPlan, reconcile_peers

__all__ = ["AuditFinding", "PeerPlan", "audit_blocks", "reconcile_peers"]
