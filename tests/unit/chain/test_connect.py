"""connect(): the chain id check before anything is sent, unreachable nodes, the PoA middleware,
the embedded chain. Uses a tiny JSON-RPC stub server on 127.0.0.1 (also used by test_fees)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from web3.exceptions import ExtraDataLengthError

from tests.support.rpc_stub import RpcStub, free_port

from consortium_evm.chain.connect import Connection, connect, has_poa_middleware, redact_url
from consortium_evm.config.fields import ZeroGasPrice
from consortium_evm.config.networks import Network, load_network
from consortium_evm.errors import ChainMismatchError, RPCError
from consortium_evm.node.tester import TESTER_CHAIN_ID


@pytest.fixture
def stub() -> Iterator[RpcStub]:
    """A stub node: chain id 1337, no base fee, gas price 2 gwei."""
    with RpcStub() as server:
        yield server


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
