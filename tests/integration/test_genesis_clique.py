"""Our Clique genesis on real geth 1.13.15 nodes, and validators governed on-chain.

One network for the module, started from the genesis ``consortium-evm genesis clique`` writes: two
signers and a third node that only follows. At block 0 the pre-deployed contracts answer as the
consortium file says; a founding member transacts. Then the members pass a proposal that adds the
third node's key to the ValidatorSet, ``validators sync`` runs against each signer's node, geth's
``clique_getSigners`` includes the new signer, which seals blocks; a second sync votes nothing.
Needs geth 1.13 (skipped with the reason otherwise); the nodes are stopped in teardown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from consortium_evm.chain.validators import sync_validators
from consortium_evm.cli import main
from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.suite import contract_at, suite_abis
from consortium_evm.genesis.build import read_genesis
from consortium_evm.genesis.keys import NodeKey
from consortium_evm.genesis.predeploy import CONSORTIUM_ADDRESS, INGRESS_ADDRESS, VALIDATOR_SET_ADDRESS
from consortium_evm.localnet.start import start_network
from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.geth import GethBinary
from consortium_evm.node.rpc import clique_web3, rpc_call
from consortium_evm.node.state import NetworkState
from tests.support.localnet import genesis_consortium
from consortium_evm.tx.transactions import Transactor

pytestmark = pytest.mark.integration

CHAIN_ID = 31_337_010
VOTING_PERIOD = 10
ABIS = [*suite_abis(), load_artifact("ValidatorSet").abi]
OUTSIDER = "0x000000000000000000000000000000000000dEaD"


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
    out: Path
    consortium_file: Path

    def w3(self, index: int = 0) -> Web3:
        return clique_web3(self.state.nodes[index].rpc_url)


@pytest.fixture(scope="module")
def net(geth: GethBinary, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    tmp = tmp_path_factory.mktemp("genesis-clique")
    keys = [NodeKey.generate() for _ in range(3)]
    members = [Account.create() for _ in range(3)]
    consortium_file, out = genesis_consortium(tmp, keys, members, chain_id=CHAIN_ID, voting_period=VOTING_PERIOD)
    root = tmp / "nodes"
    try:
        state = start_network(
            root, genesis=dict(read_genesis(out / "geth" / "genesis.json")),
            keys=[k.private_key for k in keys], timeout=90, log=None,
        )
        yield Net(state, keys, members, out, consortium_file)
    finally:
        stop_network(root, timeout=10)


def test_the_network_seals_blocks_from_our_genesis(net: Net) -> None:
    w3 = net.w3()
    start = w3.eth.block_number
    _wait(lambda: w3.eth.block_number >= start + 2, 15, "two more blocks")
    signers = sorted(str(s).lower() for s in rpc_call(net.state.nodes[0].rpc_url, "clique_getSigners"))
    assert signers == sorted(k.address.lower() for k in net.keys[:2])


def test_the_rules_are_in_force_at_block_zero(net: Net) -> None:
    w3 = net.w3()
    ingress = contract_at(w3, "PermissionIngress", INGRESS_ADDRESS)
    consortium = contract_at(w3, "Consortium", CONSORTIUM_ADDRESS)
    for member in net.members:
        assert ingress.functions.transactionAllowed(member.address, OUTSIDER, 0, 0, 0, b"").call(block_identifier=0)
    assert not ingress.functions.transactionAllowed(OUTSIDER, OUTSIDER, 0, 0, 0, b"").call(block_identifier=0)
    for i, key in enumerate(net.keys):
        assert ingress.functions.connectionAllowed(key.enode_id, "127.0.0.1", 30303 + i).call(block_identifier=0)
    assert not ingress.functions.connectionAllowed("ab" * 64, "127.0.0.1", 30303).call(block_identifier=0)
    members = consortium.functions.getMembers(0, 10).call(block_identifier=0)
    assert [m[1] for m in members] == ["Acme Bank", "Globex Logistics", "Initech Insurance"]
    assert consortium.functions.bootstrapper().call(block_identifier=0) == "0x" + "00" * 20
    assert ingress.functions.governance().call(block_identifier=0) == CONSORTIUM_ADDRESS
    vs = contract_at(w3, "ValidatorSet", VALIDATOR_SET_ADDRESS)
    assert vs.functions.getValidators().call(block_identifier=0) == [net.keys[0].address, net.keys[1].address]


def test_a_founding_member_transacts(net: Net) -> None:
    w3 = net.w3()
    sender = net.members[2]
    tx = {
        "type": 2, "chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(sender.address), "to": OUTSIDER,
        "value": 12345, "gas": 21_000, "maxPriorityFeePerGas": Web3.to_wei(1, "gwei"), "maxFeePerGas": Web3.to_wei(5, "gwei"),
    }
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction), 30)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(Web3.to_checksum_address(OUTSIDER)) >= 12345


def test_members_vote_a_signer_in_and_it_seals(net: Net, tmp_path: Path) -> None:
    w3 = net.w3()
    consortium = contract_at(w3, "Consortium", CONSORTIUM_ADDRESS)
    vs = contract_at(w3, "ValidatorSet", VALIDATOR_SET_ADDRESS)
    newcomer = net.keys[2].address
    data = bytes.fromhex(vs.encode_abi("addValidator", [newcomer])[2:])
    acme = Transactor(w3, net.members[0], ABIS)
    sent = acme.send(consortium.functions.propose([vs.address], [0], [data], "add the third validator"))
    (event,) = consortium.events.ProposalCreated().process_receipt(sent.receipt)
    proposal = int(event.args.proposalId)
    for member in net.members:
        Transactor(w3, member, ABIS).send(consortium.functions.castVote(proposal, 1))
    _wait(lambda: consortium.functions.state(proposal).call() == 4, VOTING_PERIOD + 20, "the proposal to pass")
    acme.send(consortium.functions.execute(proposal, [vs.address], [0], [data], Web3.keccak(text="add the third validator")))
    assert newcomer in vs.functions.getValidators().call()

    # validators sync on each signer's node: the first through the CLI, the second through the library
    networks = tmp_path / "networks.yaml"
    networks.write_text(
        f"networks:\n  local-genesis:\n    url: {net.state.nodes[0].rpc_url}\n    chain_id: {CHAIN_ID}\n    consensus: clique\n"
    )
    result = CliRunner().invoke(main, [
        "validators", "sync", "--network", "local-genesis", "--networks", str(networks),
        "--validator-set", VALIDATOR_SET_ADDRESS, "--json",
    ])
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)
    assert first["voted"] == [{"address": newcomer, "add": True}] and first["pendingAfter"] == {newcomer: True}
    second = sync_validators(net.w3(1), net.state.nodes[1].rpc_url, "clique", VALIDATOR_SET_ADDRESS)
    assert [(v.address, v.add) for v in second.plan.votes] == [(newcomer, True)]

    def signers() -> set[str]:
        return {str(s).lower() for s in rpc_call(net.state.nodes[0].rpc_url, "clique_getSigners")}

    _wait(lambda: newcomer.lower() in signers(), 30, "clique_getSigners to include the new signer")
    start = w3.eth.block_number

    def sealed_by_newcomer() -> bool:
        head = w3.eth.block_number
        return any(
            str(rpc_call(net.state.nodes[0].rpc_url, "clique_getSigner", [hex(n)])).lower() == newcomer.lower()
            for n in range(start + 1, head + 1)
        )

    _wait(sealed_by_newcomer, 30, "a block sealed by the new signer")

    # a second run on each node votes nothing (it only clears the proposal that has passed)
    for index in (0, 1):
        again = sync_validators(net.w3(index), net.state.nodes[index].rpc_url, "clique", VALIDATOR_SET_ADDRESS)
        assert again.plan.votes == ()
        assert again.listing.in_sync
        third = sync_validators(net.w3(index), net.state.nodes[index].rpc_url, "clique", VALIDATOR_SET_ADDRESS)
        assert third.plan.empty and third.pending_after == {}

    listing = CliRunner().invoke(main, [
        "validators", "list", "--network", "local-genesis", "--networks", str(networks),
        "--validator-set", VALIDATOR_SET_ADDRESS, "--json",
    ])
    assert listing.exit_code == 0, listing.output
    shown = json.loads(listing.output)
    assert shown["inSync"] and set(shown["onChain"]) == {k.address for k in net.keys}
