"""Test support: a double of Web3Signer's eth1 JSON-RPC (aiohttp, on 127.0.0.1, a free port).

It follows Web3Signer's documented API ("Web3Signer JSON-RPC API", docs.web3signer.consensys.io,
and its sources, ``EthSignTransactionResultProvider`` / ``EthSignTypedDataResultProvider``):

- JSON-RPC at the root path (``POST /``); ``GET /upcheck`` answers ``OK``;
- ``eth_accounts`` → its addresses, lowercase;
- ``eth_signTransaction([tx])``: ``from`` required, ``nonce`` required (else -32602 "Invalid
  params"), ``gas``, ``gasPrice`` or ``maxFeePerGas``/``maxPriorityFeePerGas``, ``value``,
  ``data`` (or ``input``), ``to``; any ``chainId`` in the request is ignored: it signs with the
  chain id it was started with. Returns the signed RLP as hex. A ``from`` it has no key for:
  -32000 "No unlocked account matches the Sender";
- ``eth_signTypedData([address, json])``: the typed data as a JSON string → the signature (v 27/28);
- any other method: Web3Signer forwards it downstream; this double answers -32601.

Test hooks: ``tamper`` (a function that changes the transaction before it is signed, as a
compromised signer would), ``sign_with`` (another key), ``token`` (answers 401 without
``Authorization: Bearer <token>``, as an authenticating proxy in front of it would), ``up``,
``high_s`` (typed-data signatures in their high-s form).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from tests.support.rpc_stub import free_port


class Web3SignerDouble:
    """Web3Signer in eth1 mode holding ``keys``, signing for ``chain_id``."""

    def __init__(self, keys: list[LocalAccount], *, chain_id: int) -> None:
        self.keys = {k.address.lower(): k for k in keys}
        self.chain_id = chain_id
        self.tamper: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.sign_with: LocalAccount | None = None
        self.token: str | None = None
        self.up = True
        self.high_s = False
        self.requests: list[tuple[str, list[Any]]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # -- the server ------------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._rpc)
        app.router.add_get("/upcheck", self._upcheck)
        return app

    async def _upcheck(self, request: web.Request) -> web.Response:
        return web.Response(text="OK") if self.up else web.Response(status=503, text="DOWN")

    async def _rpc(self, request: web.Request) -> web.Response:
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401, text="Unauthorized")
        body = await request.json()
        method, params, rid = body["method"], list(body.get("params") or []), body.get("id")
        self.requests.append((method, params))
        try:
            result = self._answer(method, params)
        except _RpcError as exc:
            return web.json_response({"jsonrpc": "2.0", "id": rid, "error": {"code": exc.code, "message": exc.message}})
        return web.json_response({"jsonrpc": "2.0", "id": rid, "result": result})

    def _answer(self, method: str, params: list[Any]) -> Any:
        if method == "eth_accounts":
            return list(self.keys)
        if method == "eth_signTransaction":
            if len(params) != 1 or not isinstance(params[0], dict) or "nonce" not in params[0]:
                raise _RpcError(-32602, "Invalid params")
            tx = dict(params[0])
            key = self._key(tx.pop("from", ""))
            unsigned: dict[str, Any] = {
                "nonce": int(tx["nonce"], 16), "gas": int(tx.get("gas", "0x15f90"), 16),
                "value": int(tx.get("value", "0x0"), 16), "data": tx.get("data") or tx.get("input") or "0x",
                "chainId": self.chain_id,
            }
            if tx.get("to"):
                unsigned["to"] = tx["to"]
            if "maxFeePerGas" in tx:
                unsigned["maxFeePerGas"] = int(tx["maxFeePerGas"], 16)
                unsigned["maxPriorityFeePerGas"] = int(tx.get("maxPriorityFeePerGas", "0x0"), 16)
            else:
                unsigned["gasPrice"] = int(tx.get("gasPrice", "0x0"), 16)
            if self.tamper is not None:
                unsigned = self.tamper(unsigned)
            return "0x" + bytes(key.sign_transaction(unsigned).raw_transaction).hex()
        if method == "eth_signTypedData":
            if len(params) != 2 or not isinstance(params[1], str):
                raise _RpcError(-32602, "Invalid params")
            key = self._key(params[0])
            signed = key.sign_message(encode_typed_data(full_message=json.loads(params[1])))
            signature = bytes(signed.signature)
            if self.high_s:
                order = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
                high = order - int.from_bytes(signature[32:64], "big")
                signature = signature[:32] + high.to_bytes(32, "big") + bytes([55 - signature[64]])
            return "0x" + signature.hex()
        raise _RpcError(-32601, "Method not found")

    def _key(self, address: str) -> LocalAccount:
        key = self.keys.get(str(address).lower())
        if key is None:
            raise _RpcError(-32000, "No unlocked account matches the Sender")
        return self.sign_with or key

    # -- lifetime --------------------------------------------------------------------------------

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> Web3SignerDouble:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


class _RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


__all__ = ["Account", "Web3SignerDouble"]
