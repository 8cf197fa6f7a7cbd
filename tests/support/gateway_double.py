"""Test support for the gateway: a JSON-RPC double of a node with a PermissionIngress (built on
tests/rpc_stub.py), and a gateway in front of it."""

from __future__ import annotations

import json
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.support.rpc_stub import RpcStub
from consortium_evm.enforce.gateway import GatewayConfig
from consortium_evm.domain.permission import TRANSACTION_SELECTOR as SELECTOR
from consortium_evm.domain.permission import ZERO_ADDRESS

CHAIN_ID = 4242
INGRESS = "0x00000000000000000000000000000000000A11CE"
TRUE = "0x" + "00" * 31 + "01"
FALSE = "0x" + "00" * 32


class IngressNode(RpcStub):
    """A node whose ingress allows the accounts in :attr:`allowed` (from the head it is told)."""

    def __init__(self) -> None:
        super().__init__(chain_id=CHAIN_ID)
        self.head = 16
        self.allowed: set[str] = set()
        self.answer_override: Any = None
        self.call_error: str | None = None
        self.requests: list[dict[str, Any]] = []
        self.sent: list[str] = []

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        method, rid = request["method"], request.get("id")
        if method == "eth_blockNumber":
            return {"jsonrpc": "2.0", "id": rid, "result": hex(self.head)}
        if method == "eth_call" and request["params"][0].get("to", "").lower() == INGRESS.lower():
            self.calls.append(method)
            if self.call_error is not None:
                return {"jsonrpc": "2.0", "id": rid, "error": {"code": 3, "message": self.call_error}}
            data = bytes.fromhex(request["params"][0]["data"][2:])
            assert data[:4] == SELECTOR
            sender = "0x" + data[16:36].hex()
            if self.answer_override is not None:
                return {"jsonrpc": "2.0", "id": rid, "result": self.answer_override}
            ok = sender.lower() in {a.lower() for a in self.allowed}
            return {"jsonrpc": "2.0", "id": rid, "result": TRUE if ok else FALSE}
        if method == "eth_sendRawTransaction":
            self.calls.append(method)
            self.sent.append(request["params"][0])
            return {"jsonrpc": "2.0", "id": rid, "result": "0x" + "11" * 32}
        if method == "admin_peers":
            return {"jsonrpc": "2.0", "id": rid, "result": []}
        if method == "txpool_status":
            return {"jsonrpc": "2.0", "id": rid, "result": {"pending": "0x0", "queued": "0x0"}}
        return super().answer(request)

    def permission_calls(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "eth_call"]


def config(node: IngressNode, **changes: Any) -> GatewayConfig:
    return GatewayConfig(upstream=node.url, chain_id=CHAIN_ID, ingress=INGRESS, listen_port=0, upstream_timeout=5,
                         **changes)


def transfer(account: LocalAccount, kind: int = 2, chain_id: int = CHAIN_ID, nonce: int = 0,
             to: str | None = "0x000000000000000000000000000000000000bEEF", value: int = 1) -> str:
    tx: dict[str, Any] = {"nonce": nonce, "gas": 21000, "value": value, "chainId": chain_id, "data": b""}
    if to is not None:
        tx["to"] = to
    if kind == 2:
        tx.update(type=2, maxFeePerGas=3_000_000_000, maxPriorityFeePerGas=1_000_000_000)
    else:
        tx["gasPrice"] = 2_000_000_000
        if kind == 1:
            tx.update(type=1, accessList=[])
    return "0x" + account.sign_transaction(tx).raw_transaction.hex()


def rpc(url: str, payload: Any, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(url, data=payload if isinstance(payload, (bytes, str)) else json.dumps(payload),
                         headers={"Content-Type": "application/json", **(headers or {})}, timeout=10)


def send(raw: str, rid: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rid, "method": "eth_sendRawTransaction", "params": [raw]}


def new_account() -> LocalAccount:
    return Account.create()


__all__ = ["ZERO_ADDRESS"]


def unsigned_transfer(chain_id: int = CHAIN_ID) -> str:
    """An EIP-155 legacy transfer as it is before signing (v = chain id, r = s = 0)."""
    import rlp
    from eth_account._utils.legacy_transactions import serializable_unsigned_transaction_from_dict

    tx = serializable_unsigned_transaction_from_dict(
        {"nonce": 0, "gasPrice": 1, "gas": 21000, "to": "0x000000000000000000000000000000000000bEEF", "value": 1,
         "data": b"", "chainId": chain_id}
    )
    return "0x" + rlp.encode(tx).hex()
