"""Test support: a tiny JSON-RPC stub server on 127.0.0.1 that answers what a test sets."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RpcStub:
    """A JSON-RPC server that answers a few methods with chosen values and records every call.

    ``base_fee=None`` means blocks without ``baseFeePerGas`` (a pre-London or legacy chain).
    """

    def __init__(
        self,
        chain_id: int = 1337,
        *,
        base_fee: int | None = None,
        gas_price: int = 2_000_000_000,
        extra_data_bytes: int = 32,
        fee_history: dict[str, Any] | None = None,
        max_priority_fee: int | None = None,
        balance: int = 0,
        delay: float = 0.0,
    ) -> None:
        self.chain_id = chain_id
        self.base_fee = base_fee
        self.gas_price = gas_price
        self.extra_data_bytes = extra_data_bytes
        self.fee_history = fee_history
        self.max_priority_fee = max_priority_fee
        self.balance = balance
        self.delay = delay
        self.calls: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if stub.delay:
                    time.sleep(stub.delay)
                answer = [stub.answer(r) for r in body] if isinstance(body, list) else stub.answer(body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def block(self) -> dict[str, Any]:
        block: dict[str, Any] = {
            "number": "0x10",
            "hash": "0x" + "ab" * 32,
            "parentHash": "0x" + "cd" * 32,
            "nonce": "0x0000000000000000",
            "sha3Uncles": "0x" + "00" * 32,
            "logsBloom": "0x" + "00" * 256,
            "transactionsRoot": "0x" + "00" * 32,
            "stateRoot": "0x" + "00" * 32,
            "receiptsRoot": "0x" + "00" * 32,
            "miner": "0x" + "00" * 20,
            "difficulty": "0x1",
            "totalDifficulty": "0x10",
            "extraData": "0x" + "ee" * self.extra_data_bytes,
            "size": "0x200",
            "gasLimit": "0x1c9c380",
            "gasUsed": "0x0",
            "timestamp": "0x6553f100",
            "transactions": [],
            "uncles": [],
            "mixHash": "0x" + "00" * 32,
        }
        if self.base_fee is not None:
            block["baseFeePerGas"] = hex(self.base_fee)
        return block

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        method = request["method"]
        self.calls.append(method)
        result: Any
        if method == "eth_chainId":
            result = hex(self.chain_id)
        elif method == "eth_gasPrice":
            result = hex(self.gas_price)
        elif method == "eth_blockNumber":
            result = "0x10"
        elif method in ("eth_getBlockByNumber", "eth_getBlockByHash"):
            result = self.block()
        elif method == "eth_getBalance":
            result = hex(self.balance)
        elif method == "eth_feeHistory" and self.fee_history is not None:
            result = self.fee_history
        elif method == "eth_maxPriorityFeePerGas" and self.max_priority_fee is not None:
            result = hex(self.max_priority_fee)
        else:
            return {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": f"the method {method} does not exist/is not available"}}
        return {"jsonrpc": "2.0", "id": request["id"], "result": result}

    def __enter__(self) -> RpcStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
