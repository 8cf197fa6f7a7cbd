"""Test support: a JSON-RPC double of a GoQuorum IBFT/QBFT node's validator votes, on 127.0.0.1.

GoQuorum has no ``qbft_*``/``ibft_*`` methods: its votes are the ``istanbul`` namespace (Consensys/
quorum, docs/Consensus/istanbul-rpc-api.md): ``istanbul_getValidators(blockNumber | nil)`` returns
the validators (nil meaning the latest block), ``istanbul_candidates()`` the proposals the node
votes for (address -> true to add, false to remove), ``istanbul_propose(address, auth)`` and
``istanbul_discard(address)`` return nothing. GoQuorum itself is not in the package registries: the
double follows that document; the ``eth_`` answers are :class:`BesuRpcDouble`'s.
"""

from __future__ import annotations

from typing import Any

from tests.support.besu_rpc_double import BesuRpcDouble


class GoQuorumRpcDouble(BesuRpcDouble):
    """A GoQuorum-like node: its validators, its candidates, and the on-chain ValidatorSet."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("qbft", **kwargs)

    def writes(self) -> list[tuple[str, list[Any]]]:
        return [c for c in self.requests if c[0] in ("istanbul_propose", "istanbul_discard")]

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        method, params = request["method"], list(request.get("params") or [])
        result: Any
        if method == "istanbul_getValidators" and params in ([], [None], ["latest"]):
            self.requests.append((method, params))
            result = list(self.validators)
        elif method == "istanbul_candidates" and params == []:
            self.requests.append((method, params))
            result = dict(self.pending)
        elif method == "istanbul_propose" and len(params) == 2 and isinstance(params[1], bool):
            self.requests.append((method, params))
            self.pending[params[0]] = params[1]
            result = None
        elif method == "istanbul_discard" and len(params) == 1:
            self.requests.append((method, params))
            self.pending.pop(params[0], None)
            result = None
        elif method.startswith(("qbft_", "ibft_")):
            self.requests.append((method, params))
            return {"jsonrpc": "2.0", "id": request["id"],
                    "error": {"code": -32601, "message": f"the method {method} does not exist/is not available"}}
        else:
            return super().answer(request)
        return {"jsonrpc": "2.0", "id": request["id"], "result": result}

    def __enter__(self) -> GoQuorumRpcDouble:
        super().__enter__()
        return self
