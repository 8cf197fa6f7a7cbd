"""connect(): the chain id check before anything is sent, unreachable nodes, the PoA middleware,
the embedded chain. Uses a tiny JSON-RPC stub server on 127.0.0.1 (also used by test_fees)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from web3.exceptions import ExtraDataLengthError

from consortium_evm.connect import Connection, connect, has_poa_middleware, redact_url
from consortium_evm.errors import ChainMismatchError, RPCError
from consortium_evm.networks import Network, ZeroGasPrice, load_network
from consortium_evm.tester import TESTER_CHAIN_ID


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


@pytest.fixture
def stub() -> Iterator[RpcStub]:
    """A stub node: chain id 1337, no base fee, gas price 2 gwei."""
    with RpcStub() as server:
        yield server


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def network(url: str, chain_id: int = 1337, consensus: str = "dev", timeout: float = 5.0) -> Network:
    return Network(name="stubnet", url=url, chain_id=chain_id, consensus=consensus, timeout=timeout)


# -- reachability and chain id --------------------------------------------------------------------


def test_unreachable_endpoint_is_an_rpc_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(RPCError) as info:
        connect(network(url))
    message = str(info.value)
    assert message.startswith(f"cannot reach the JSON-RPC endpoint at {url}: ")
    assert "connection refused" in message
    assert "stubnet" in message
    assert time.monotonic() - started < 2  # no retries with back-off on the probe


def test_chain_id_mismatch(stub: RpcStub) -> None:
    with pytest.raises(ChainMismatchError) as info:
        connect(network(stub.url, chain_id=2024))
    assert str(info.value) == f"network stubnet expects chain id 2024 but the node at {stub.url} reports 1337"
    assert stub.calls == ["eth_chainId"]


def test_chain_id_is_checked_before_anything_else_is_sent(stub: RpcStub) -> None:
    connection = connect(network(stub.url))
    assert isinstance(connection, Connection)
    assert stub.calls == ["eth_chainId"]
    assert connection.chain_id == 1337
    assert connection.name == "stubnet"


def test_request_timeout_applies() -> None:
    with RpcStub(delay=1.0) as slow:
        started = time.monotonic()
        with pytest.raises(RPCError) as info:
            connect(network(slow.url, timeout=0.2))
        assert time.monotonic() - started < 0.9
    assert f"cannot reach the JSON-RPC endpoint at {slow.url}: no answer within 0.2 s" in str(info.value)


def test_an_endpoint_that_is_not_json_rpc_is_an_rpc_error_naming_the_url() -> None:
    class NotFound(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send_error(404)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/rpc"
    try:
        with pytest.raises(RPCError) as info:
            connect(network(url))
    finally:
        server.shutdown()
        server.server_close()
    assert url in str(info.value)


def test_passwords_in_urls_are_not_shown() -> None:
    assert redact_url("https://alice:s3cret@rpc.example.org:8545/x?y=1") == "https://alice:***@rpc.example.org:8545/x?y=1"
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    port = free_port()
    with pytest.raises(RPCError) as info:
        connect(network(f"http://alice:s3cret@127.0.0.1:{port}"))
    assert "s3cret" not in str(info.value)
    assert f"http://alice:***@127.0.0.1:{port}" in str(info.value)


# -- proof-of-authority middleware ----------------------------------------------------------------


def test_poa_middleware_for_clique_reads_long_extra_data() -> None:
    with RpcStub(extra_data_bytes=97) as poa:
        connection = connect(network(poa.url, consensus="clique"))
        assert has_poa_middleware(connection.w3)
        # layer 0: the innermost, last in the outermost-first listing
        assert connection.w3.middleware_onion.middleware[-1][1] == "extradata_to_poa"
        block = connection.w3.eth.get_block("latest")
        assert len(block["proofOfAuthorityData"]) == 97


@pytest.mark.parametrize("consensus", ["ibft2", "qbft"])
def test_poa_middleware_for_bft(stub: RpcStub, consensus: str) -> None:
    assert has_poa_middleware(connect(network(stub.url, consensus=consensus)).w3)


def test_no_poa_middleware_for_dev() -> None:
    with RpcStub(extra_data_bytes=97) as poa:
        connection = connect(network(poa.url, consensus="dev"))
        assert not has_poa_middleware(connection.w3)
        with pytest.raises(ExtraDataLengthError):
            connection.w3.eth.get_block("latest")


# -- the embedded chain, names, the connection --------------------------------------------------


def test_tester_needs_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no networks.yaml here
    connection = connect("tester")
    assert connection.w3.eth.chain_id == TESTER_CHAIN_ID
    assert connection.network.is_tester
    unlocked = list(connection.w3.eth.accounts)
    assert connection.account(0) == unlocked[0]
    assert connection.account("3") == unlocked[3]
    assert "maxFeePerGas" in connection.fees()  # eth-tester has a base fee: auto picks eip1559
    assert connection.is_confirmed(int(connection.w3.eth.block_number))
    assert not has_poa_middleware(connection.w3)


def test_connect_by_name_from_a_file(tmp_path: Path, stub: RpcStub) -> None:
    file = tmp_path / "networks.yaml"
    file.write_text(
        "networks:\n"
        "  stub:\n"
        "    url: ${STUB_URL}\n"
        "    chain_id: 1337\n"
        "    consensus: qbft\n"
        "    gas_price: zero\n"
        "    confirmations: 3\n"
        "    accounts:\n"
        "      ci: {private_key_env: STUB_KEY}\n"
    )
    env = {"STUB_URL": stub.url, "STUB_KEY": "0x" + "42" * 32}
    connection = connect("stub", networks_file=file, environ=env)
    assert connection.network == load_network("stub", file, environ=env)
    assert isinstance(connection.fee_policy, ZeroGasPrice)
    assert connection.fees() == {"gasPrice": 0}
    assert connection.confirmations == 3
    assert connection.is_confirmed(14)  # the stub's latest block is 16: 14, 15, 16
    assert not connection.is_confirmed(15)
    assert connection.accounts.names() == ["ci"]
    account = connection.account("ci")
    assert not isinstance(account, str)
    assert account.key.hex().removeprefix("0x") == "42" * 32
