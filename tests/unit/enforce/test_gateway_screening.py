"""The gateway on a JSON-RPC double: raw transactions decoded and their senders asked of the
ingress, the method allowlist, batches element by element, malformed requests, the per-block cache,
health and metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from eth_account import Account

from tests.support.gateway_double import CHAIN_ID, INGRESS, IngressNode, config, new_account, rpc, send, transfer, unsigned_transfer
from tests.support.rpc_stub import free_port
from consortium_evm.enforce.gateway import RunningGateway, run_in_thread
from consortium_evm.enforce.gateway.config import GatewayConfig
from consortium_evm.domain.permission import ZERO_ADDRESS, transaction_question
from consortium_evm.enforce.gateway.rules import is_allowed


@pytest.fixture
def node() -> Iterator[IngressNode]:
    with IngressNode() as stub:
        yield stub


@pytest.fixture
def gateway(node: IngressNode) -> Iterator[RunningGateway]:
    with run_in_thread(config(node)) as running:
        yield running


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["legacy", "eip2930", "eip1559"])
def test_a_member_transaction_is_asked_of_the_ingress_and_forwarded_unchanged(
    node: IngressNode, gateway: RunningGateway, kind: int
) -> None:
    member = new_account()
    node.allowed.add(member.address)
    raw = transfer(member, kind=kind)
    body = json.dumps(send(raw, rid=7)).encode()
    answer = rpc(gateway.url, body)
    assert answer.json() == {"jsonrpc": "2.0", "id": 7, "result": "0x" + "11" * 32}
    assert node.sent == [raw]
    (call,) = node.permission_calls()
    target, block = call["params"]
    assert target["from"] == ZERO_ADDRESS and target["to"] == INGRESS and block == hex(node.head)
    gas_price = 3_000_000_000 if kind == 2 else 2_000_000_000
    expected = transaction_question(member.address, "0x000000000000000000000000000000000000bEEF", 1, gas_price,
                                    21000, b"")
    assert target["data"] == "0x" + expected.hex()


def test_a_refused_sender_gets_besus_error_and_nothing_is_forwarded(node: IngressNode, gateway: RunningGateway) -> None:
    outsider = new_account()
    err = error_of(rpc(gateway.url, send(transfer(outsider))))
    assert err["code"] == -32007
    assert err["message"] == "Sender account not authorized to send transactions"
    assert err["data"] == {"sender": outsider.address}
    assert node.sent == []


def test_a_contract_creation_is_asked_with_the_zero_target(node: IngressNode, gateway: RunningGateway) -> None:
    deployer = new_account()
    rpc(gateway.url, send(transfer(deployer, to=None, value=0)))
    (call,) = node.permission_calls()
    assert call["params"][0]["data"] == "0x" + transaction_question(deployer.address, None, 0, 3_000_000_000, 21000,
                                                                    b"").hex()


def test_only_exactly_32_bytes_holding_1_is_allowed() -> None:
    assert is_allowed("0x" + "00" * 31 + "01")
    for answer in ("0x", "0x01", "0x" + "00" * 63 + "01", "0x" + "00" * 31 + "02", "0x" + "zz" * 32, None, 1):
        assert not is_allowed(answer)


def test_a_padded_answer_is_a_refusal(node: IngressNode, gateway: RunningGateway) -> None:
    member = new_account()
    node.allowed.add(member.address)
    node.answer_override = "0x" + "00" * 31 + "01" + "00" * 32
    assert error_of(rpc(gateway.url, send(transfer(member))))["code"] == -32007
    assert node.sent == []


def test_a_failed_permission_call_is_not_forwarded(node: IngressNode, gateway: RunningGateway) -> None:
    member = new_account()
    node.allowed.add(member.address)
    node.call_error = "execution reverted"
    err = error_of(rpc(gateway.url, send(transfer(member))))
    assert err["code"] == -32603 and "execution reverted" in err["message"]
    assert node.sent == []


@pytest.mark.parametrize(
    ("param", "words"),
    [
        ("0xnothex", "not 0x-prefixed hex"),
        ("f86b", "not 0x-prefixed hex"),
        (12, "must be a 0x-prefixed hex string"),
        ("0x02c0", "does not decode"),
        (unsigned_transfer(), "not signed"),
    ],
    ids=["non-hex", "no-prefix", "number", "garbage", "unsigned"],
)
def test_a_malformed_raw_transaction_gets_an_error(
    node: IngressNode, gateway: RunningGateway, param: Any, words: str
) -> None:
    err = error_of(rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [param]}))
    assert err["code"] == -32602 and words in err["message"], err
    assert node.sent == [] and node.permission_calls() == []


def test_a_transaction_for_another_chain_or_none_is_refused(node: IngressNode, gateway: RunningGateway) -> None:
    member = new_account()
    node.allowed.add(member.address)
    err = error_of(rpc(gateway.url, send(transfer(member, chain_id=CHAIN_ID + 1))))
    assert err["code"] == -32602 and f"chain id {CHAIN_ID + 1}" in err["message"]
    unprotected = member.sign_transaction({"nonce": 0, "gas": 21000, "gasPrice": 1, "to": member.address, "value": 0})
    err = error_of(rpc(gateway.url, send("0x" + unprotected.raw_transaction.hex())))
    assert "no chain id" in err["message"]
    err = error_of(rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": []}))
    assert err["code"] == -32602
    assert node.sent == []


def test_bad_json_a_non_request_and_an_empty_batch_get_errors(node: IngressNode, gateway: RunningGateway) -> None:
    assert error_of(rpc(gateway.url, b'{"jsonrpc": "2.0", "id": 1, "method": '))["code"] == -32700
    assert error_of(rpc(gateway.url, b"\xff\xfe"))["code"] == -32700
    assert error_of(rpc(gateway.url, b"42"))["code"] == -32600
    assert error_of(rpc(gateway.url, b"[]"))["code"] == -32600
    assert error_of(rpc(gateway.url, {"id": 1, "method": 5}))["code"] == -32600
    assert rpc(gateway.url, {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId"}).json()["result"] == hex(CHAIN_ID)


def test_a_huge_body_is_refused_and_the_gateway_stays_up(node: IngressNode) -> None:
    with run_in_thread(config(node, max_body=4096)) as gateway:
        big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"data": "0x" + "00" * 5000}]})
        answer = rpc(gateway.url, big)
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == -32600 and "4096" in answer.json()["error"]["message"]
        assert rpc(gateway.url, {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId"}).json()["result"] == hex(CHAIN_ID)
        assert "eth_call" not in node.calls


def test_node_administration_is_refused_and_the_allowlist_is_configurable(node: IngressNode) -> None:
    with run_in_thread(config(node)) as gateway:
        for method in ("admin_peers", "personal_unlockAccount", "debug_traceTransaction", "miner_start", "clique_propose",
                       "txpool_content", "istanbul_propose", "qbft_getValidatorsByBlockNumber", "engine_newPayloadV3",
                       "anvil_impersonateAccount", "eth_sign"):
            err = error_of(rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": []}))
            assert err["code"] == -32601 and method in err["message"]
        err = error_of(rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{}]}))
        assert "eth_sendRawTransaction" in err["message"]
    assert "admin_peers" not in node.calls and not any(r["method"] == "admin_peers" for r in node.requests)
    with run_in_thread(config(node, allowed_methods=("txpool_status",), refused_prefixes=("debug_",))) as gateway:
        assert rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "txpool_status"}).json()["result"]["pending"] == "0x0"
        assert rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "admin_peers"}).json()["result"] == []
        assert error_of(rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "txpool_content"}))["code"] == -32601
    with run_in_thread(config(node, only_methods=("eth_", "net_version"))) as gateway:
        assert rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).json()["result"] == hex(CHAIN_ID)
        err = error_of(rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "web3_clientVersion"}))
        assert "allowlist" in err["message"]


def test_a_batch_is_checked_element_by_element(node: IngressNode, gateway: RunningGateway) -> None:
    member, outsider = new_account(), new_account()
    node.allowed.add(member.address)
    member_raw = transfer(member)
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "admin_peers"},
        send(transfer(outsider), rid=3),
        send(member_raw, rid=4),
        {"jsonrpc": "2.0", "method": "admin_addPeer", "params": ["enode://x"]},  # a notification: no answer
        {"jsonrpc": "2.0", "id": 5, "method": "eth_sendRawTransaction", "params": ["0x1234"]},
        "not a request",
    ]
    answers = rpc(gateway.url, batch).json()
    assert [a.get("id") for a in answers] == [1, 2, 3, 4, 5, None]
    assert answers[0]["result"] == hex(CHAIN_ID)
    assert answers[1]["error"]["code"] == -32601
    assert answers[2]["error"]["code"] == -32007
    assert answers[3]["result"] == "0x" + "11" * 32
    assert answers[4]["error"]["code"] == -32602
    assert answers[5]["error"]["code"] == -32600
    assert node.sent == [member_raw]
    assert not any(r["method"].startswith("admin_") for r in node.requests)


def test_a_batch_with_nothing_refused_goes_as_it_came(node: IngressNode, gateway: RunningGateway) -> None:
    batch = [{"jsonrpc": "2.0", "id": "a", "method": "eth_chainId"}, {"jsonrpc": "2.0", "id": "b", "method": "eth_blockNumber"}]
    answers = rpc(gateway.url, batch).json()
    assert [a["id"] for a in answers] == ["a", "b"]


def test_answers_are_cached_for_one_block_never_longer(node: IngressNode, gateway: RunningGateway) -> None:
    member = new_account()
    node.allowed.add(member.address)
    raw = transfer(member)
    for _ in range(3):
        assert "result" in rpc(gateway.url, send(raw)).json()
    assert len(node.permission_calls()) == 1  # the same question at the same head: asked once
    node.allowed.discard(member.address)  # removed by a proposal executed in the next block
    node.head += 1
    assert rpc(gateway.url, send(raw)).json()["error"]["code"] == -32007
    assert len(node.permission_calls()) == 2
    assert node.permission_calls()[-1]["params"][1] == hex(node.head)
    assert len(node.sent) == 3


def test_the_node_unreachable_is_an_error_not_a_crash() -> None:
    port = free_port()
    cfg = GatewayConfig(upstream=f"http://127.0.0.1:{port}", chain_id=CHAIN_ID, ingress=INGRESS, listen_port=0,
                        upstream_timeout=2)
    with run_in_thread(cfg) as gateway:
        answer = rpc(gateway.url, {"jsonrpc": "2.0", "id": 9, "method": "eth_chainId"})
        assert answer.status_code == 502 and answer.json()["id"] == 9 and answer.json()["error"]["code"] == -32603
        err = error_of(rpc(gateway.url, send(transfer(Account.create()))))
        assert err["code"] == -32603 and "not sent" in err["message"]
        health = requests.get(gateway.url + "/health", timeout=10)
        assert health.status_code == 503 and health.json()["status"] == "node unreachable"


def test_health_and_metrics(node: IngressNode, gateway: RunningGateway) -> None:
    health = requests.get(gateway.url + "/health", timeout=10)
    assert health.status_code == 200
    assert health.json() | {"node": None} == {
        "status": "ok", "head": 16, "ingress": INGRESS, "chainId": CHAIN_ID, "network": "", "auth": False, "node": None,
        "headFrom": "eth_blockNumber",  # the double has no WebSocket: the head is asked per request
        "upstream": "WebSocket (none opened yet)",
    }
    rpc(gateway.url, send(transfer(new_account())))
    upstream = requests.get(gateway.url + "/health", timeout=10).json()["upstream"]
    assert upstream.startswith("HTTP (its WebSocket could not be opened")  # and every request went over HTTP
    rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "admin_peers"})
    rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    text = requests.get(gateway.url + "/metrics", timeout=10).text
    assert 'gateway_requests_total{method="eth_sendRawTransaction"} 1.0' in text
    assert 'gateway_refusals_total{reason="sender_not_authorized"} 1.0' in text
    assert 'gateway_refusals_total{reason="method_not_allowed"} 1.0' in text
    assert 'gateway_upstream_latency_seconds_count{kind="forward"} 1.0' in text
    assert 'gateway_upstream_latency_seconds_count{kind="rpc"}' in text


def test_method_labels_are_capped(node: IngressNode) -> None:
    with run_in_thread(config(node, max_metric_methods=3)) as gateway:
        for n in range(6):
            rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": f"made_up{n}"})
        text = requests.get(gateway.url + "/metrics", timeout=10).text
        assert 'gateway_requests_total{method="other"} 3.0' in text
