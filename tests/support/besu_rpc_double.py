"""Test support: a JSON-RPC double of a Besu node's validator-vote API, on 127.0.0.1.

No client with the IBFT 2.0 or QBFT methods installs here, so the ``validators sync`` tests talk to
this double. It follows Besu's documented JSON-RPC API (besu.hyperledger.org, "JSON-RPC API
methods": IBFT 2.0 and QBFT sections): ``<p>_getValidatorsByBlockNumber(blockNumber)`` returns a
list of addresses, ``<p>_getPendingVotes()`` a map of address to true (add) / false (remove),
``<p>_proposeValidatorVote(address, proposal)`` and ``<p>_discardValidatorVote(address)`` return
true; ``<p>`` is ``ibft`` or ``qbft``. It also answers the few ``eth_`` calls the CLI makes
(chain id, and ``getValidators()`` of a ValidatorSet at :attr:`validator_set`), and records every
call with its parameters.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_utils.crypto import keccak
from tests.support.rpc_stub import RpcStub

GET_VALIDATORS = "0x" + bytes(keccak(text="getValidators()"))[:4].hex()
VALIDATOR_SET = "0x4ED7c95CB286AAa9cf94afb71fCFADb678D5B5DF"


class BesuRpcDouble(RpcStub):
    """A Besu-like node: its validators, its pending votes, and the on-chain ValidatorSet. The HTTP
    server is :class:`rpc_stub.RpcStub`'s; :meth:`answer` is this node's."""

    def __init__(self, prefix: str, *, chain_id: int = 2024, on_chain: list[str], validators: list[str],
                 pending: dict[str, bool] | None = None, refuse_votes: bool = False) -> None:
        assert prefix in ("ibft", "qbft")
        super().__init__(chain_id)
        self.prefix = prefix
        self.on_chain = list(on_chain)
        self.validators = list(validators)
        self.pending = dict(pending or {})
        self.refuse_votes = refuse_votes
        self.validator_set = VALIDATOR_SET
        self.requests: list[tuple[str, list[Any]]] = []

    def writes(self) -> list[tuple[str, list[Any]]]:
        """The calls that change the node's votes."""
        return [c for c in self.requests if c[0].endswith(("proposeValidatorVote", "discardValidatorVote"))]

    def apply_votes(self) -> None:
        """What the network does once a majority proposed: the pending changes take effect (the
        proposals stay pending on the node until discarded, as in Besu)."""
        for address, add in self.pending.items():
            if add and address not in self.validators:
                self.validators.append(address)
            if not add and address in self.validators:
                self.validators.remove(address)

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        method, params = request["method"], list(request.get("params") or [])
        self.requests.append((method, params))
        p = self.prefix
        result: Any
        if method == "eth_chainId":
            result = hex(self.chain_id)
        elif method == "eth_getCode":
            result = "0x6080" if params[0].lower() == self.validator_set.lower() else "0x"
        elif method == "eth_call" and params[0].get("data", params[0].get("input", "")).startswith(GET_VALIDATORS):
            result = "0x" + encode(["address[]"], [self.on_chain]).hex()
        elif method == f"{p}_getValidatorsByBlockNumber" and params == ["latest"]:
            result = list(self.validators)
        elif method == f"{p}_getPendingVotes" and params == []:
            result = dict(self.pending)
        elif method == f"{p}_proposeValidatorVote" and len(params) == 2 and isinstance(params[1], bool):
            if self.refuse_votes:
                return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": "Method not enabled"}}
            self.pending[params[0]] = params[1]
            result = True
        elif method == f"{p}_discardValidatorVote" and len(params) == 1:
            self.pending.pop(params[0], None)
            result = True
        else:
            return {"jsonrpc": "2.0", "id": request["id"],
                    "error": {"code": -32601, "message": f"Method not found: {method} {params}"}}
        return {"jsonrpc": "2.0", "id": request["id"], "result": result}

    def __enter__(self) -> BesuRpcDouble:
        super().__enter__()
        return self
