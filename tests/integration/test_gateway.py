"""The gateway in front of real nodes: a one-signer geth 1.13.15 Clique network with the consortium
deployed (a non-member's transfer refused, a member's mined, an account removed by a proposal
refused from its next transaction, a refused method refused inside a batch, malformed requests
answered with errors while the gateway stays up), and anvil for the WebSocket pass-through
(subscriptions) and the CLI command itself."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from tests.support.consortium_node import Deployed, deploy_consortium
from tests.support.gateway_double import rpc, send, unsigned_transfer
from tests.support.rpc_stub import free_port
from consortium_evm.client.core import ConsortiumClient
from consortium_evm.client import ProposalState
from consortium_evm.enforce.gateway import GatewayConfig, RunningGateway, run_in_thread
from consortium_evm.node.anvil import AnvilNode, anvil_accounts
from consortium_evm.node.state import NetworkState, load_dev_accounts

pytestmark = pytest.mark.integration

VOTING_PERIOD = 10  # the contract's absolute minimum


@pytest.fixture(scope="module")
def on_geth(one_signer: NetworkState, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    keys = [Account.from_key(a.private_key) for a in load_dev_accounts(one_signer.root_dir)]
    return deploy_consortium(one_signer.rpc_url, one_signer.chain_id, "clique", keys,
                             tmp_path_factory.mktemp("gateway"), voting_period=VOTING_PERIOD, poa=True)


@pytest.fixture(scope="module")
def gateway(on_geth: Deployed) -> Iterator[RunningGateway]:
    config = GatewayConfig(upstream=on_geth.url, chain_id=on_geth.chain_id, ingress=on_geth.ingress, listen_port=0,
                           max_body=64 * 1024, block_period=one_signer_period)
    with run_in_thread(config) as running:
        yield running


one_signer_period = 1
"""The Clique period of the networks the suite starts (``network_factory``): the gateway takes the
notified head without asking until the next block can exist, as it does with ``block_period``."""


def web3_at(url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def transfer(w3: Web3, sender: LocalAccount, to: str, value: int = 10**15) -> str:
    fee = int(w3.eth.gas_price)
    tx = {"to": to, "value": value, "gas": 21000, "maxFeePerGas": 2 * fee + 10**9, "maxPriorityFeePerGas": 10**9,
          "nonce": w3.eth.get_transaction_count(sender.address, "pending"), "chainId": w3.eth.chain_id, "type": 2}
    return "0x" + sender.sign_transaction(tx).raw_transaction.hex()


def client_for(deployed: Deployed, account: LocalAccount) -> ConsortiumClient:
    return ConsortiumClient.from_web3(web3_at(deployed.url), deployed.consortium, deployed.ingress, account=account,
                                      from_block=deployed.block)


def test_a_non_members_transfer_is_refused_and_a_members_is_mined(on_geth: Deployed, gateway: RunningGateway) -> None:
    direct, through = web3_at(on_geth.url), web3_at(gateway.url)
    outsider = Account.create()
    # Funded straight at the node, so that only the rules stand in its way.
    funding = direct.eth.send_raw_transaction(transfer(direct, on_geth.deployer, outsider.address, 10**17))
    direct.eth.wait_for_transaction_receipt(funding, timeout=30)
    answer = rpc(gateway.url, send(transfer(direct, outsider, on_geth.deployer.address)))
    assert answer.json()["error"] == {"code": -32007, "message": "Sender account not authorized to send transactions",
                                      "data": {"sender": outsider.address}}
    assert direct.eth.get_transaction_count(outsider.address, "pending") == 0  # never reached the pool
    member = on_geth.admins[0]
    tx_hash = through.eth.send_raw_transaction(transfer(direct, member, outsider.address))
    receipt = through.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.2)
    assert receipt["status"] == 1 and receipt["from"] == member.address


def test_an_account_removed_by_a_proposal_is_refused_from_its_next_transaction(
    on_geth: Deployed, gateway: RunningGateway
) -> None:
    direct, through = web3_at(on_geth.url), web3_at(gateway.url)
    founders = [client_for(on_geth, admin) for admin in on_geth.admins]
    clerk = Account.create()
    founders[0].members.add_accounts({clerk.address: "transact"})  # Acme's admin registers a clerk
    funding = direct.eth.send_raw_transaction(transfer(direct, on_geth.deployer, clerk.address, 10**17))
    direct.eth.wait_for_transaction_receipt(funding, timeout=30)
    first = through.eth.send_raw_transaction(transfer(direct, clerk, on_geth.deployer.address))
    assert through.eth.wait_for_transaction_receipt(first, timeout=30, poll_latency=0.2)["status"] == 1

    action = founders[1].actions.call(on_geth.consortium, "removeAccounts(uint32,address[])", [1, [clerk.address]])
    proposed = founders[1].proposals.create(action, "Remove Acme's clerk")
    for founder in founders[:2]:
        founder.proposals.vote(proposed.proposal_id, "for")
    founders[0].proposals.wait_for(proposed.proposal_id, ProposalState.SUCCEEDED, timeout=60, poll_interval=0.5)
    executed = founders[0].proposals.execute(proposed.proposal_id)
    assert rpc(gateway.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}).json()["result"]
    answer = rpc(gateway.url, send(transfer(direct, clerk, on_geth.deployer.address)))
    assert answer.json()["error"]["code"] == -32007, answer.json()
    assert direct.eth.get_block_number() >= executed.block_number


def test_within_the_block_period_the_gateway_takes_the_head_without_asking(
    one_signer: NetworkState, on_geth: Deployed, gateway: RunningGateway
) -> None:
    assert one_signer.period == one_signer_period
    direct = web3_at(on_geth.url)
    member = on_geth.admins[0]
    health = requests.get(gateway.url + "/health", timeout=10).json()
    assert health["headFrom"].startswith("newHeads, unconfirmed in each block's first"), health
    before = _checks_by_head(gateway)
    for _ in range(10):  # a twentieth of each block period is left to confirmation: ten sends hit the window
        tx_hash = rpc(gateway.url, send(transfer(direct, member, on_geth.deployer.address))).json()["result"]
        time.sleep(0.05)
    direct.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    after = _checks_by_head(gateway)
    assert after.get("window", 0) > before.get("window", 0), (before, after)


def _checks_by_head(gateway: RunningGateway) -> dict[str, float]:
    found = {}
    for line in requests.get(gateway.url + "/metrics", timeout=10).text.splitlines():
        if line.startswith('gateway_checks_total{head="'):
            found[line.split('"')[1]] = float(line.rsplit(" ", 1)[1])
    return found


def test_a_refused_method_stays_refused_inside_a_batch(on_geth: Deployed, gateway: RunningGateway) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "admin_nodeInfo"},
        {"jsonrpc": "2.0", "id": 3, "method": "clique_getSigners", "params": []},
        {"jsonrpc": "2.0", "id": 4, "method": "personal_listAccounts"},
        {"jsonrpc": "2.0", "id": 5, "method": "eth_blockNumber"},
    ]
    answers = rpc(gateway.url, batch).json()
    assert [a["id"] for a in answers] == [1, 2, 3, 4, 5]
    assert answers[0]["result"] == hex(on_geth.chain_id) and "result" in answers[4]
    assert [answers[i]["error"]["code"] for i in (1, 2, 3)] == [-32601] * 3
    # The same methods straight at the node answer: the gateway is what refuses them.
    assert "result" in rpc(on_geth.url, {"jsonrpc": "2.0", "id": 3, "method": "clique_getSigners", "params": []}).json()


def test_malformed_requests_get_errors_and_the_gateway_stays_up(on_geth: Deployed, gateway: RunningGateway) -> None:
    member = on_geth.admins[0]
    direct = web3_at(on_geth.url)
    wrong_chain = member.sign_transaction({"to": member.address, "value": 0, "gas": 21000, "gasPrice": 10**9,
                                           "nonce": 0, "chainId": on_geth.chain_id + 1})
    cases: list[tuple[Any, int]] = [
        (b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"', -32700),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"data": "0x" + "00" * 70_000}]}), -32600),
        (send("0xnot-hex"), -32602),
        (send(unsigned_transfer(on_geth.chain_id)), -32602),
        (send("0x" + wrong_chain.raw_transaction.hex()), -32602),
    ]
    for body, code in cases:
        answer = rpc(gateway.url, body)
        assert answer.json()["error"]["code"] == code, (body[:60], answer.text)
        assert requests.get(gateway.url + "/health", timeout=10).json()["status"] == "ok"
    assert direct.eth.get_transaction_count(member.address, "pending") == direct.eth.get_transaction_count(member.address)
    health = requests.get(gateway.url + "/health", timeout=10).json()
    assert health["ingress"] == on_geth.ingress and health["head"] > 0


# -- anvil: WebSocket and the CLI ------------------------------------------------------------------


@pytest.fixture(scope="module")
def on_anvil(anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    return deploy_consortium(anvil.url, anvil.chain_id, "dev", anvil_accounts(5), tmp_path_factory.mktemp("gw-anvil"))


def test_websocket_requests_are_screened_and_subscriptions_pass_through(on_anvil: Deployed) -> None:
    config = GatewayConfig(upstream=on_anvil.url, chain_id=on_anvil.chain_id, ingress=on_anvil.ingress, listen_port=0)
    direct = Web3(Web3.HTTPProvider(on_anvil.url))
    member, outsider = on_anvil.admins[0], Account.create()

    def raw(sender: LocalAccount, nonce: int) -> str:
        return "0x" + sender.sign_transaction({"to": on_anvil.deployer.address, "value": 1, "gas": 21000,
                                               "gasPrice": 2 * 10**9, "nonce": nonce,
                                               "chainId": on_anvil.chain_id}).raw_transaction.hex()

    async def session(url: str) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}))
            got.append(json.loads((await ws.receive(timeout=10)).data))
            await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "admin_nodeInfo"}))
            got.append(json.loads((await ws.receive(timeout=10)).data))
            await ws.send_str(json.dumps(send(raw(outsider, 0), rid=3)))
            got.append(json.loads((await ws.receive(timeout=10)).data))
            nonce = direct.eth.get_transaction_count(member.address)
            await ws.send_str(json.dumps(send(raw(member, nonce), rid=4)))
            while len(got) < 5:  # the send's answer and the new head's notification, in either order
                got.append(json.loads((await ws.receive(timeout=10)).data))
            await ws.send_str("{not json")
            got.append(json.loads((await ws.receive(timeout=10)).data))
        return got

    with run_in_thread(config) as gateway:
        got = asyncio.run(session(gateway.ws_url))
    assert got[0]["id"] == 1 and got[0]["result"].startswith("0x")
    assert got[1]["error"]["code"] == -32601
    assert got[2]["error"]["code"] == -32007
    rest = {("sub" if "method" in g else g["id"]): g for g in got[3:5]}
    assert rest[4]["result"].startswith("0x") and rest["sub"]["method"] == "eth_subscription"
    assert rest["sub"]["params"]["subscription"] == got[0]["result"]
    assert got[5]["error"]["code"] == -32700


def test_the_cli_command_serves_a_network_by_name(on_anvil: Deployed, tmp_path: Path) -> None:
    networks, deployments, environ = on_anvil.files(tmp_path, "anvilgw")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "consortium_evm.cli", "gateway", "--network", "anvilgw", "--networks", str(networks),
         "--deployments", str(deployments), "--listen", f"127.0.0.1:{port}"],
        env={**os.environ, **environ}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get(url + "/health", timeout=2).json()
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert health["status"] == "ok" and health["ingress"] == on_anvil.ingress and health["network"] == "anvilgw"
        outsider = Account.create()
        tx = outsider.sign_transaction({"to": outsider.address, "value": 0, "gas": 21000, "gasPrice": 10**9,
                                        "nonce": 0, "chainId": on_anvil.chain_id})
        assert rpc(url, send("0x" + tx.raw_transaction.hex())).json()["error"]["code"] == -32007
    finally:
        process.terminate()
        process.wait(timeout=10)
