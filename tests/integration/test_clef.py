"""A real Clef 1.13.15 (built by scripts/install_geth.sh) signs for a member on a real node (anvil):
a transaction through our Transactor, a member's proposal and vote through ConsortiumClient with a
networks.yaml ``signer: {kind: clef}`` account, a ballot signed as EIP-712 typed data, and its rules'
refusal as our clear error. Skipped, with the reason, when no clef 1.13.15 is found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from consortium_evm.chain.signers import ClefSigner
from consortium_evm.client import ConsortiumClient
from consortium_evm.deploy.suite import deploy_suite
from consortium_evm.domain.devkeys import dev_account
from consortium_evm.domain.spec import AccountSpec, ConsortiumSpec, GovernanceSettings, MemberSpec, NodeSpec, Role
from consortium_evm.errors import SignerAccountError, SignerRefusedError
from consortium_evm.node.anvil import AnvilNode, anvil_accounts
from consortium_evm.tx.transactions import Transactor
from tests.support.clef import Clef, find_clef, start_clef
from tests.support.consortium_node import Deployed, deploy_consortium

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clef(anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clef]:
    binary = find_clef()
    if binary is None:
        pytest.skip("no clef 1.13.15: run 'bash scripts/install_geth.sh' (needs Go) or set CLEF_BINARY")
    running = start_clef(binary, tmp_path_factory.mktemp("clef"), [anvil_accounts()[1]], anvil.chain_id)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def deployed(anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    return deploy_consortium(anvil.url, anvil.chain_id, "dev", anvil_accounts(5), tmp_path_factory.mktemp("deploy"))


def test_the_transactor_sends_a_transaction_clef_signed(anvil: AnvilNode, clef: Clef) -> None:
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    signer = ClefSigner(clef.url, clef.accounts[0], timeout=20)
    before = w3.eth.get_transaction_count(signer.address)
    sent = Transactor(w3, signer).transact(dev_account(7).address, b"")
    tx = w3.eth.get_transaction(sent.tx_hash)
    assert tx["from"] == signer.address and tx["to"] == dev_account(7).address
    assert w3.eth.get_transaction_count(signer.address) == before + 1
    # Clef refuses calldata it cannot match to a method signature (unless run with --advanced);
    # for our contracts' functions the signer names the signature, see the member test below
    with pytest.raises(SignerRefusedError, match="the ABI signature could not be found: signature 12345678 not found"):
        Transactor(w3, signer).transact(dev_account(7).address, b"\x12\x34\x56\x78")


def test_clef_rules_refuse_and_nothing_is_sent(anvil: AnvilNode, clef: Clef) -> None:
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    signer = ClefSigner(clef.url, clef.accounts[0], timeout=20)
    before = w3.eth.get_transaction_count(signer.address)
    with pytest.raises(SignerRefusedError, match=f"the Clef signer at {clef.url} refused account_signTransaction for "
                                                 f"account {signer.address}: request denied"):
        Transactor(w3, signer).transact(dev_account(7).address, b"", value=1)  # the rules reject any value
    assert w3.eth.get_transaction_count(signer.address) == before
    stranger = ClefSigner(clef.url, dev_account(8).address, timeout=20)
    with pytest.raises(SignerAccountError, match=f"does not hold account {stranger.address} .unknown account."):
        Transactor(w3, stranger).transact(dev_account(7).address, b"")
    with pytest.raises(SignerRefusedError, match="requested chainid 1 does not match the configuration of the signer"):
        signer.sign_transaction({"nonce": 0, "gas": 21_000, "gasPrice": 1, "chainId": 1, "to": stranger.address,
                                 "value": 0, "data": b""})


def test_a_member_proposes_votes_and_signs_a_ballot_through_clef(
    anvil: AnvilNode, clef: Clef, deployed: Deployed, tmp_path: Path
) -> None:
    assert deployed.admins[0].address == clef.accounts[0]  # member 1's admin key is in Clef only
    networks, deployments, environ = deployed.files(tmp_path, "anvil-clef")
    networks.write_text(networks.read_text() + f"      acme: {{signer: {{kind: clef, url: '{clef.url}', "
                                                f"address: '{clef.accounts[0]}', timeout: 20}}}}\n")
    acme = ConsortiumClient.connect("anvil-clef", account="acme", networks_file=networks,
                                    deployments_dir=deployments, environ=environ)
    assert isinstance(acme.transactor.sender if acme.transactor else None, ClefSigner)
    proposed = acme.proposals.create(acme.actions.suspend_member(3), "suspend Initech (signed by Clef)")
    voted = acme.proposals.vote(proposed.proposal_id, "for")
    assert (voted.member_id, voted.voter) == (1, clef.accounts[0])
    globex = ConsortiumClient.connect("anvil-clef", account="admin2", networks_file=networks,
                                      deployments_dir=deployments, environ=environ)
    second = globex.proposals.create(globex.actions.suspend_member(3), "again, a ballot signed by Clef")
    ballot = acme.proposals.sign_vote(second.proposal_id, "against")  # account_signTypedData
    relayed = globex.proposals.submit_vote(ballot)
    assert (relayed.member_id, relayed.voter) == (1, clef.accounts[0])
    assert globex.proposals.get(second.proposal_id).tally.against_votes == 40


def test_the_deployment_signs_through_clef(anvil: AnvilNode, clef: Clef, tmp_path: Path) -> None:
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    deployer = ClefSigner(clef.url, clef.accounts[0], timeout=20)
    admin = dev_account(9).address
    spec = ConsortiumSpec(
        members=(MemberSpec("Solo", 1, accounts=(AccountSpec(admin, Role.ADMIN | Role.TRANSACT),),
                            nodes=(NodeSpec("ab" * 64, "10.0.0.9"),)),),
        settings=GovernanceSettings(voting_period=3600),
    )
    deployment = deploy_suite(w3, deployer, spec, network="clef", manifest_path=tmp_path / "clef.json",
                              poll_interval=0.05)
    for address in (deployment.consortium, deployment.ingress):
        assert len(w3.eth.get_code(Web3.to_checksum_address(address))) > 0
