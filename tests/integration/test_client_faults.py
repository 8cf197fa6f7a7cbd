"""The client through an RPC endpoint that fails: a fault-injecting proxy (tests/flaky_proxy.py) in
front of anvil, with a network whose ``timeout`` is 1 s and ``retries`` 2.

- Reads (members, proposals, events history) meet dropped connections, HTTP 502/503 and answers
  slower than the timeout, are retried and return what the node holds.
- A send whose answer was lost after the node accepted it (anvil mines at once, so the resend of
  the same bytes meets "nonce too low") is never duplicated: the node holds exactly one
  transaction for that nonce, and the client returns its receipt.
- A send that never reached the node raises RPCError naming the transaction's hash; the next send
  takes the node's count again (no gap: it reuses the nonce that never landed; and when the lost
  one did land, it does not reuse it).
- An unreachable endpoint is one line of RPCError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import TransactionNotFound

from consortium_evm.client.core import ConsortiumClient
from consortium_evm.domain.spec import MemberSpec
from consortium_evm.errors import RPCError
from consortium_evm.node.anvil import AnvilNode, anvil_accounts
from consortium_evm.tx.transactions import Sent
from tests.support.consortium_node import Deployed, deploy_consortium
from tests.support.flaky_proxy import Fault, FlakyProxy
from tests.support.rpc_stub import free_port

pytestmark = pytest.mark.integration

TIMEOUT = 1.0
RETRIES = 2
SEND = "eth_sendRawTransaction"
HASH = re.compile(r"0x[0-9a-f]{64}")


@pytest.fixture(scope="module")
def deployed(anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    """The consortium, with two proposals so that there is governance history to read."""
    deployed = deploy_consortium(anvil.url, anvil.chain_id, "dev", anvil_accounts(5), tmp_path_factory.mktemp("faults"))
    founder = direct_client(deployed, account=deployed.admins[0])
    for n in (1, 2):
        action = founder.actions.add_member(MemberSpec(f"Newcomer {n}", 10))
        founder.proposals.create(action, f"Admit newcomer {n}")
    return deployed


@pytest.fixture
def proxy(anvil: AnvilNode) -> Iterator[FlakyProxy]:
    with FlakyProxy(anvil.url, slow_seconds=TIMEOUT * 2.5) as proxy:
        yield proxy


def direct_client(deployed: Deployed, account: object = None) -> ConsortiumClient:
    """A client straight to the node: the truth to compare with."""
    w3 = Web3(Web3.HTTPProvider(deployed.url))
    return ConsortiumClient.from_web3(
        w3, deployed.consortium, deployed.ingress, account=account, from_block=deployed.block  # type: ignore[arg-type]
    )


def through(
    proxy: FlakyProxy, deployed: Deployed, tmp_path: Path, account: str = "admin1", retries: int = RETRIES
) -> ConsortiumClient:
    """A client by network name whose URL is the proxy, with the small timeout and retries."""
    networks, deployments, environ = deployed.files(tmp_path, "flaky", url=proxy.url, timeout=TIMEOUT, retries=retries)
    return ConsortiumClient.connect(
        "flaky", account=account, networks_file=networks, deployments_dir=deployments, environ=environ
    )


def sent_by(w3: Web3, sender: str, from_block: int) -> list[tuple[int, str]]:
    """(nonce, hash) of every transaction ``sender`` has in the blocks after ``from_block``."""
    found = []
    for number in range(from_block + 1, int(w3.eth.block_number) + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == sender:  # type: ignore[index]
                found.append((int(tx["nonce"]), "0x" + bytes(tx["hash"]).hex().removeprefix("0x")))  # type: ignore[index]
    return found


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text, text
    return text


# -- reads -----------------------------------------------------------------------------------------


def test_reads_retry_and_succeed(proxy: FlakyProxy, deployed: Deployed, tmp_path: Path) -> None:
    truth = direct_client(deployed)
    client = through(proxy, deployed, tmp_path)

    proxy.script("eth_call", Fault.DROP_BEFORE, None, Fault.HTTP_503, None, Fault.DROP_AFTER, Fault.HTTP_502)
    assert client.members.list() == truth.members.list()
    assert client.members.by_account(deployed.admins[2].address) == truth.members.get(3)

    proxy.script("eth_getLogs", Fault.HTTP_502, Fault.DROP_AFTER)
    proxy.script("eth_blockNumber", Fault.DROP_BEFORE)
    history = client.events.history()
    assert [e.key for e in history] == [e.key for e in truth.events.history()]
    assert {e.name for e in history} >= {"MemberAdded", "ProposalCreated"}

    proxy.plan(Fault.HTTP_503, times=2)  # whatever comes next, twice in a row: still within the retries
    proposals = client.proposals.list()
    assert [p.id for p in proposals] == [p.id for p in truth.proposals.list()]
    assert [p.description for p in proposals] == ["Admit newcomer 1", "Admit newcomer 2"]
    assert client.proposals.get(proposals[0].id).state == truth.proposals.get(proposals[0].id).state

    assert proxy.pending() == 0  # every planned fault was met
    assert proxy.faults("eth_call") >= 4 and proxy.faults("eth_getLogs") == 2
    assert sum(proxy.received.values()) > sum(proxy.forwarded.values())


def test_slow_answers_are_retried(proxy: FlakyProxy, deployed: Deployed, tmp_path: Path) -> None:
    truth = direct_client(deployed)
    client = through(proxy, deployed, tmp_path)
    proxy.plan(Fault.SLOW, method="eth_call")
    started = time.monotonic()
    assert client.members.get(2) == truth.members.get(2)
    assert time.monotonic() - started >= TIMEOUT  # the first answer was given up on
    assert proxy.forwarded["eth_call"] == 2  # the slow one (answered too late) and its retry


def test_reads_fail_as_one_line_when_the_faults_outlast_the_retries(
    proxy: FlakyProxy, deployed: Deployed, tmp_path: Path
) -> None:
    client = through(proxy, deployed, tmp_path)
    proxy.plan(Fault.HTTP_503, method="eth_call", times=RETRIES + 1)
    with pytest.raises(RPCError) as failed:
        client.members.get(1)
    assert "503" in one_line(failed.value)
    assert proxy.received["eth_call"] == RETRIES + 1 and proxy.forwarded["eth_call"] == 0
    assert client.members.get(1).name == "Acme Bank"  # the next read goes through


def test_http_429_is_retried_and_401_is_not(proxy: FlakyProxy, deployed: Deployed, tmp_path: Path) -> None:
    client = through(proxy, deployed, tmp_path)
    w3 = Web3(Web3.HTTPProvider(deployed.url))
    first_nonce = w3.eth.get_transaction_count(deployed.admins[0].address)
    proxy.plan(Fault.HTTP_429, method="eth_call")
    assert client.members.get(1).name == "Acme Bank"
    assert proxy.received["eth_call"] == 2
    proxy.plan(Fault.HTTP_401, method="eth_call")
    started = time.monotonic()
    with pytest.raises(RPCError) as failed:
        client.members.get(1)
    assert "HTTP 401" in one_line(failed.value) and proxy.received["eth_call"] == 3  # asked once
    assert time.monotonic() - started < 0.5  # no back-off either

    proxy.plan(Fault.HTTP_429, method=SEND)  # a send: the same bytes again after a 429
    proxy.plan(Fault.HTTP_401, method=SEND)  # ... a 401 is final
    with pytest.raises(RPCError) as refused:
        client.members.add_accounts({Account.create().address: "transact"})
    assert "HTTP 401" in one_line(refused.value) and proxy.forwarded[SEND] == 0
    assert client.members.add_accounts({Account.create().address: "transact"}).nonce == first_nonce


# -- sends -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param((Fault.DROP_AFTER,), id="answer-lost"),
        pytest.param((Fault.SLOW,), id="answer-too-late"),
        pytest.param((Fault.HTTP_503, Fault.DROP_AFTER), id="503-then-answer-lost"),
        pytest.param((Fault.DROP_AFTER,) * (RETRIES + 1), id="every-answer-lost"),
    ],
)
def test_a_send_whose_answer_was_lost_is_never_duplicated(
    faults: tuple[Fault, ...], proxy: FlakyProxy, deployed: Deployed, tmp_path: Path
) -> None:
    client = through(proxy, deployed, tmp_path)
    w3 = Web3(Web3.HTTPProvider(deployed.url))
    sender = deployed.admins[0].address
    start_block = int(w3.eth.block_number)
    first_nonce = w3.eth.get_transaction_count(sender)
    account = Account.create().address

    proxy.script(SEND, *faults)
    sent = client.members.add_accounts({account: "transact"})

    assert proxy.pending() == 0
    reached = sum(f in (Fault.DROP_AFTER, Fault.SLOW) for f in faults)
    assert proxy.forwarded[SEND] >= reached + (0 if faults[-1] is Fault.DROP_AFTER and len(faults) > RETRIES else 1)
    # Exactly one transaction for that nonce on the chain; it is the one the client returned.
    assert sent_by(w3, sender, start_block) == [(first_nonce, sent.tx_hash)]
    assert w3.eth.get_transaction_count(sender) == first_nonce + 1
    receipt = w3.eth.get_transaction_receipt(sent.tx_hash)  # type: ignore[arg-type]
    assert sent.nonce == first_nonce and receipt["status"] == 1
    assert (sent.block_number, sent.gas_used) == (receipt["blockNumber"], receipt["gasUsed"])
    assert client.members.by_account(account) is not None

    following = client.members.add_accounts({Account.create().address: "transact"})
    assert following.nonce == first_nonce + 1  # and the counter moves on from there


def test_a_send_that_never_reached_the_node_raises_and_leaves_no_gap(
    proxy: FlakyProxy, deployed: Deployed, tmp_path: Path
) -> None:
    client = through(proxy, deployed, tmp_path)
    w3 = Web3(Web3.HTTPProvider(deployed.url))
    sender = deployed.admins[0].address
    first_nonce = w3.eth.get_transaction_count(sender)
    lost, kept = Account.create().address, Account.create().address

    proxy.plan(Fault.DROP_BEFORE, method=SEND, times=RETRIES + 1)
    with pytest.raises(RPCError) as failed:
        client.members.add_accounts({lost: "transact"})
    message = one_line(failed.value)
    named = HASH.findall(message)
    assert named and f"nonce {first_nonce}" in message and f"after {RETRIES + 1} attempts" in message
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction(named[0])  # type: ignore[arg-type]
    assert proxy.received[SEND] == RETRIES + 1 and proxy.forwarded[SEND] == 0
    assert w3.eth.get_transaction_count(sender) == first_nonce

    sent = client.members.add_accounts({kept: "transact"})
    assert sent.nonce == first_nonce  # the nonce that never landed is used: no gap
    assert w3.eth.get_transaction_count(sender) == first_nonce + 1
    assert client.members.by_account(lost) is None and client.members.by_account(kept) is not None


def test_a_lost_send_that_did_land_is_not_reused_after_the_error(
    proxy: FlakyProxy, deployed: Deployed, tmp_path: Path
) -> None:
    """Every answer to the send is lost and so is the look-up by hash: RPCError naming the hash,
    although the node has the transaction. The next send asks the node for the count again, so it
    does not reuse that nonce (which would be refused, or replace the first in a pool)."""
    client = through(proxy, deployed, tmp_path)
    w3 = Web3(Web3.HTTPProvider(deployed.url))
    sender = deployed.admins[0].address
    start_block = int(w3.eth.block_number)
    first_nonce = w3.eth.get_transaction_count(sender)

    proxy.plan(Fault.DROP_AFTER, method=SEND, times=RETRIES + 1)
    proxy.plan(Fault.DROP_BEFORE, method="eth_getTransactionByHash", times=RETRIES + 1)
    with pytest.raises(RPCError) as failed:
        client.members.add_accounts({Account.create().address: "transact"})
    landed = HASH.findall(one_line(failed.value))[0]
    assert w3.eth.get_transaction(landed)["nonce"] == first_nonce  # type: ignore[arg-type]

    sent = client.members.add_accounts({Account.create().address: "transact"})
    assert sent.nonce == first_nonce + 1
    assert sent_by(w3, sender, start_block) == [(first_nonce, landed), (first_nonce + 1, sent.tx_hash)]


def test_sends_from_four_threads_through_faults_are_neither_lost_nor_duplicated(
    proxy: FlakyProxy, deployed: Deployed, tmp_path: Path
) -> None:
    """Four threads, 40 sends, with one send answer in four lost after the node took it and
    dropped reads here and there: every send succeeds once, nonces consecutive. (Sends go one at a
    time, so a send's retries meet the planned faults in order; reads from the four threads
    interleave, so there are fewer read faults than a read's attempts.)"""
    import threading

    client = through(proxy, deployed, tmp_path, account="admin3", retries=3)
    w3 = Web3(Web3.HTTPProvider(deployed.url))
    sender = deployed.admins[2].address
    start_block = int(w3.eth.block_number)
    first_nonce = w3.eth.get_transaction_count(sender)
    proxy.script(SEND, *([Fault.DROP_AFTER, None, None, Fault.SLOW] * 5))
    proxy.script("eth_call", *([Fault.DROP_BEFORE] + [None] * 9) * 3)
    results: list[Sent] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                results.append(client.members.add_accounts({Account.create().address: "transact"}))
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, repr(failures[0])
    on_chain = sent_by(w3, sender, start_block)
    assert sorted(on_chain) == sorted((s.nonce, s.tx_hash) for s in results)  # type: ignore[arg-type]
    assert [n for n, _h in sorted(on_chain)] == list(range(first_nonce, first_nonce + 40))
    assert proxy.faults(SEND) == 10


# -- unreachable -----------------------------------------------------------------------------------


def test_an_unreachable_endpoint_is_one_line(proxy: FlakyProxy, deployed: Deployed, tmp_path: Path) -> None:
    nothing = f"http://127.0.0.1:{free_port()}"
    networks, deployments, environ = deployed.files(tmp_path, "gone", url=nothing, timeout=TIMEOUT, retries=RETRIES)
    started = time.monotonic()
    with pytest.raises(RPCError) as failed:
        ConsortiumClient.connect("gone", account="admin1", networks_file=networks, deployments_dir=deployments,
                                 environ=environ)
    assert one_line(failed.value).startswith(f"cannot reach the JSON-RPC endpoint at {nothing}: connection refused")
    assert time.monotonic() - started < 3

    # Connected, then the endpoint stops answering: reads and sends fail as one line each, in
    # bounded time; once it is back, the next send has the nonce the failed one did not use.
    client = through(proxy, deployed, tmp_path)
    w3 = Web3(Web3.HTTPProvider(deployed.url))
    first_nonce = w3.eth.get_transaction_count(deployed.admins[0].address)
    assert client.members.get(1).name == "Acme Bank"
    proxy.down()
    started = time.monotonic()
    with pytest.raises(RPCError) as read_failed:
        client.members.list()
    assert one_line(read_failed.value).startswith("the node failed a read")
    assert time.monotonic() - started < 5
    with pytest.raises(RPCError) as send_failed:
        client.members.add_accounts({Account.create().address: "transact"})
    one_line(send_failed.value)
    proxy.up()
    sent = client.members.add_accounts({Account.create().address: "transact"})
    assert sent.nonce == first_nonce


@pytest.mark.parametrize("read", ["events.history", "proposals.list", "events.watch"])
def test_every_read_of_an_unreachable_node_is_an_rpc_error(
    read: str, proxy: FlakyProxy, deployed: Deployed, tmp_path: Path
) -> None:
    client = through(proxy, deployed, tmp_path)
    proxy.down()
    reads = {
        "events.history": lambda: client.events.history(),
        "proposals.list": lambda: client.proposals.list(),
        "events.watch": lambda: next(iter(client.events.watch(from_block=deployed.block))),
    }
    with pytest.raises(RPCError) as failed:
        reads[read]()
    one_line(failed.value)
