"""The guard on real geth 1.13.15 nodes (issue 16, item 3), and preflight against them (item 4).

One network from our Clique genesis: two signers and a third member's node, all registered, and a
fourth node no member registered, peered with all of them by the network's static configuration.
The guard beside node 1 drops the unregistered node within two passes and it stays out; a
non-member's transaction sent straight to a signer's RPC (around any gateway) is mined and the audit
reports it with the signer that sealed it; restarted, the guard resumes where it stopped; after the
members vote the fourth node in (with its node key's consent), the guard peers node 1 with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from consortium_evm.client import ConsortiumClient
from consortium_evm.genesis.build import read_genesis
from consortium_evm.genesis.keys import NodeKey
from consortium_evm.genesis.predeploy import CONSORTIUM_ADDRESS, INGRESS_ADDRESS
from consortium_evm.enforce.guard.run import Guard
from consortium_evm.enforce.guard.sealer import block_sealer
from consortium_evm.node.geth import GethBinary
from consortium_evm.localnet.start import start_network
from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.rpc import clique_web3, rpc_call
from consortium_evm.node.state import NetworkState
from consortium_evm.enforce.preflight import preflight
from consortium_evm.domain.spec import NodeSpec
from tests.support.localnet import genesis_consortium

pytestmark = pytest.mark.integration

CHAIN_ID = 31_337_016
VOTING_PERIOD = 10


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.25)


@dataclass
class Net:
    state: NetworkState
    keys: list[NodeKey]
    members: list[LocalAccount]

    def url(self, index: int) -> str:
        return self.state.nodes[index].rpc_url

    def client(self, index: int = 0, account: LocalAccount | None = None) -> ConsortiumClient:
        return ConsortiumClient.from_web3(clique_web3(self.url(index)), CONSORTIUM_ADDRESS, INGRESS_ADDRESS,
                                          account=account)

    @property
    def founding_enodes(self) -> list[str]:
        """The founding nodes' URLs (what the genesis output's static-nodes.json lists): a network
        started from a genesis file has no registry events for them."""
        return [node.enode for node in self.state.nodes[:3]]

    def peer_ids(self, index: int) -> set[str]:
        return {p["enode"].removeprefix("enode://").split("@")[0] for p in rpc_call(self.url(index), "admin_peers")}


def rpc(url: str, method: str, params: object) -> object:
    return rpc_call(url, method, list(params), timeout=15.0)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def net(geth: GethBinary, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    tmp = tmp_path_factory.mktemp("guard")
    keys = [NodeKey.generate() for _ in range(4)]
    members = [Account.create() for _ in range(3)]
    _, out = genesis_consortium(tmp, keys, members, chain_id=CHAIN_ID, voting_period=VOTING_PERIOD)
    root = tmp / "nodes"
    try:
        state = start_network(root, genesis=dict(read_genesis(out / "geth" / "genesis.json")),
                              keys=[k.private_key for k in keys], timeout=120, log=None)
        yield Net(state, keys, members)
    finally:
        stop_network(root, timeout=10)


def test_preflight_names_the_unregistered_node_and_nothing_else(net: Net) -> None:
    _wait(lambda: net.keys[3].enode_id in net.peer_ids(0), 30, "the unregistered node to be peered")
    report = preflight(net.client(), net.url(0), "clique", blocks=50, rpc=rpc,  # type: ignore[arg-type]
                       known_nodes=net.founding_enodes)
    assert [(n.role, n.enode.removeprefix("enode://").split("@")[0]) for n in report.nodes] == [
        ("peer", net.keys[3].enode_id)]
    assert report.accounts == () and report.validators_without_node == ()


def test_the_guard_drops_an_unregistered_node_and_it_stays_out(net: Net, tmp_path: Path) -> None:
    _wait(lambda: net.keys[3].enode_id in net.peer_ids(0), 30, "the unregistered node to be peered")
    guard = Guard(net.client(), net.url(0), tmp_path / "guard.json", rpc, emit=lambda line: None,  # type: ignore[arg-type]
                  known_nodes=net.founding_enodes)
    passes = 0
    while net.keys[3].enode_id in net.peer_ids(0):
        assert passes < 2, "not dropped within two passes"
        plan = guard.run_pass().peers
        assert plan is not None
        passes += 1
        time.sleep(1)
    assert {net.keys[i].enode_id for i in (1, 2)} <= net.peer_ids(0)  # the registered ones stay
    for _ in range(3):
        time.sleep(2)
        guard.run_pass()
        assert net.keys[3].enode_id not in net.peer_ids(0)


def test_a_refused_sender_around_the_gateway_is_mined_and_reported_with_its_sealer(net: Net, tmp_path: Path) -> None:
    w3 = clique_web3(net.url(0))
    outsider = Account.create()
    acme = net.members[0]

    def send(sender: LocalAccount, to: str, value: int) -> int:
        tx = {"type": 2, "chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(sender.address), "to": to,
              "value": value, "gas": 21_000, "maxPriorityFeePerGas": Web3.to_wei(1, "gwei"),
              "maxFeePerGas": Web3.to_wei(5, "gwei")}
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction), 30)
        assert receipt["status"] == 1
        return int(receipt["blockNumber"])

    state = tmp_path / "guard.json"
    guard = Guard(net.client(), net.url(0), state, rpc, peers=False, emit=lambda line: None)  # type: ignore[arg-type]
    send(acme, outsider.address, Web3.to_wei(1, "ether"))  # a member's transfer: allowed, no finding
    block = send(outsider, acme.address, 1)  # straight to the node: geth does not ask the rules
    _wait(lambda: w3.eth.block_number >= block, 10, "the block")
    findings = guard.run_pass().findings
    assert [(f.block, f.sender) for f in findings] == [(block, outsider.address)]
    signers = {k.address for k in net.keys[:2]}
    assert findings[0].sealer in signers
    # read from the header's seal, and what geth itself says
    geth_says = Web3.to_checksum_address(str(rpc(net.url(0), "clique_getSigner", [hex(block)])))
    assert findings[0].sealer == block_sealer(w3.eth.get_block(block), "clique") == geth_says
    # Restarted, it resumes after the last block it audited: the same finding is not reported again.
    again = Guard(net.client(), net.url(0), state, rpc, peers=False, emit=lambda line: None)  # type: ignore[arg-type]
    assert again.audited_to >= block
    assert all(f.block > block for f in again.run_pass().findings)


def test_a_node_voted_in_is_peered_by_the_guard(net: Net, tmp_path: Path) -> None:
    acme = net.client(0, net.members[0])
    enode = net.state.nodes[3].enode  # where it really listens, so that the guard can dial it
    node = acme.members.signed_node(enode, bytes.fromhex(net.keys[3].private_key), 1)
    assert isinstance(node, NodeSpec)
    action = acme.actions.call(CONSORTIUM_ADDRESS, "addNodes(uint32,(bytes,string,uint16,bytes)[])",
                               [1, [node.as_tuple()]])
    proposed = acme.proposals.create(action, "Acme runs a fourth node")
    for member in net.members:
        net.client(0, member).proposals.vote(proposed.proposal_id, "for")
    executable_at = acme.proposals.get(proposed.proposal_id).executable_at
    _wait(lambda: int(clique_web3(net.url(0)).eth.get_block("latest")["timestamp"]) >= executable_at,
          VOTING_PERIOD + 20, "the end of the vote")
    acme.proposals.execute(proposed.proposal_id)
    assert acme.access.node_allowed(enode)
    guard = Guard(net.client(), net.url(0), tmp_path / "guard.json", rpc, emit=lambda line: None,  # type: ignore[arg-type]
                  known_nodes=net.founding_enodes)
    plan = guard.run_pass().peers
    assert plan is not None
    if net.keys[3].enode_id not in net.peer_ids(0):
        assert any(net.keys[3].enode_id in enode for enode in plan.added)
    # geth waits out its redial history (about 35 s) after the earlier drop before it dials again.
    _wait(lambda: net.keys[3].enode_id in net.peer_ids(0), 60, "node 1 to peer with the node voted in")
