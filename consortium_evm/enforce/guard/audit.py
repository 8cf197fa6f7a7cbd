"""The guard's audit: each new block's transactions asked of the rules as they stood at its parent
block; a transaction whose sender was not allowed is a finding (block, transaction, sender, and the
signer that sealed the block, which let it in). The guard cannot undo it: it reports it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from consortium_evm.enforce.guard.sealer import SealerMethod, block_sealer
from consortium_evm.node.errors import NodeError

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

Rpc = Callable[[str, str, Sequence[Any]], Any]


@dataclass(frozen=True)
class AuditFinding:
    """A transaction the rules refused at its parent block, included anyway."""

    block: int
    transaction: str
    sender: str
    sealer: str | None
    """The signer that sealed (proposed) the block, by the network's consensus
    (:mod:`.sealer`); None where it cannot be told."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def audit_blocks(
    client: ConsortiumClient, rpc_url: str, first: int, last: int, rpc: Rpc, method: SealerMethod | None = "clique"
) -> list[AuditFinding]:
    """The findings of blocks ``first``..``last`` (block 0 has no parent: it is skipped); each
    block's sealer told by ``method`` (:func:`.sealer.sealer_method` of the network)."""
    findings: list[AuditFinding] = []
    for number in range(max(first, 1), last + 1):
        block: Any = client.w3.eth.get_block(number, full_transactions=True)
        sealer: str | None = None
        for tx in block["transactions"]:
            if client.access.transaction_allowed(tx, block=number - 1):
                continue
            if sealer is None:
                sealer = block_sealer(block, method)
                if sealer is None and method == "clique":
                    sealer = _clique_get_signer(rpc_url, number, rpc)
            findings.append(AuditFinding(number, "0x" + bytes(tx["hash"]).hex(),
                                         str(to_checksum_address(str(tx["from"]))), sealer))
    return findings


def _clique_get_signer(rpc_url: str, number: int, rpc: Rpc) -> str | None:
    try:
        signer = rpc(rpc_url, "clique_getSigner", [hex(number)])
    except NodeError:
        return None
    return str(to_checksum_address(str(signer))) if isinstance(signer, str) else None
