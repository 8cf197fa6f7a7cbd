"""The client's construction and plumbing on the embedded chain: ``from_web3`` (read-only, an
unlocked address, a local signer), ``with_account``, ``connect`` by network name with a manifest
(and each way a manifest can be wrong), ``status``, ``settings``, and writes without an account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consortium_evm.client import ConsortiumClient, NodeMatch, Settings, Status, Totals
from consortium_evm.errors import AccountRequiredError, ConfigError, DeploymentError
from consortium_evm.node.tester import TESTER_CHAIN_ID, tester_accounts
from tests.support.client import keys, make_client
from tests.support.consortium import Env
from tests.support.rpc_stub import RpcStub

ZERO = "0x0000000000000000000000000000000000000000"


def chain_totals(env: Env) -> Totals:
    return Totals(*(int(v) for v in env.consortium.functions.totals().call()))


def chain_settings(env: Env, epoch: int | None = None) -> Settings:
    c = env.consortium.functions
    return Settings(*(int(v) for v in (c.settings() if epoch is None else c.settingsAt(epoch)).call()))


# -- from_web3 and with_account -------------------------------------------------------------------


def test_status_is_the_chain_read_back(env: Env, reader: ConsortiumClient) -> None:
    status = reader.status()
    c = env.consortium.functions
    assert isinstance(status, Status)
    assert status.chain_id == env.w3.eth.chain_id == TESTER_CHAIN_ID
    assert status.block_number == env.w3.eth.block_number
    assert status.consortium == env.consortium.address
    assert status.ingress == env.ingress.address
    assert status.rules == env.ingress.functions.rules().call() == env.consortium.address
    assert status.governance_started is (c.bootstrapper().call() == ZERO) is True
    assert status.totals == chain_totals(env) == reader.members.totals()
    assert status.totals.active_members == len(env.founders)
    assert status.settings == chain_settings(env) == reader.settings()
    assert status.proposal_count == c.proposalCount().call() == 0
    assert status.epoch == c.epoch().call()
    assert status.node_match == NodeMatch(c.nodeMatch().call()) == NodeMatch.ENODE_ID
    data = json.loads(json.dumps(status.to_json()))
    assert data["node_match"] == "enode_id"
    assert data["totals"]["total_weight"] == sum(f.weight for f in env.founders)


def test_settings_at_an_epoch_are_the_chain_history(env: Env, reader: ConsortiumClient) -> None:
    epoch = reader.status().epoch
    for e in range(1, epoch + 1):
        assert reader.settings(e) == chain_settings(env, e)
    assert reader.settings(epoch) == reader.settings()


def test_read_only_client_refuses_every_write_before_sending(env: Env, reader: ConsortiumClient) -> None:
    assert reader.address is None
    proposed = make_client(env, env.founders[0].admin).proposals.create(reader.actions.suspend_member(3), "x")
    pid = proposed.proposal_id
    block = env.w3.eth.block_number
    writes: list[Any] = [
        lambda: reader.proposals.create(reader.actions.suspend_member(3), "suspend"),
        lambda: reader.proposals.vote(pid, "for"),
        lambda: reader.proposals.sign_vote(pid, "for"),
        lambda: reader.proposals.execute(pid),
        lambda: reader.proposals.cancel(pid),
        lambda: reader.members.add_accounts({env.spare[1]: "transact"}, member_id=1),
        lambda: reader.members.add_accounts({env.spare[1]: "transact"}),
        lambda: reader.members.remove_accounts([env.founders[0].user]),
        lambda: reader.members.add_nodes([f"enode://{'ab' * 64}@10.1.1.1:30303"]),
        lambda: reader.members.remove_nodes([env.founders[0].node.enode_id]),
    ]
    for write in writes:
        with pytest.raises(AccountRequiredError, match="needs a signing account"):
            write()
    signed = make_client(env, keys(env)[env.founders[1].admin]).proposals.sign_vote(pid, "for")
    with pytest.raises(AccountRequiredError):
        reader.proposals.submit_vote(signed)
    assert env.w3.eth.block_number == block  # nothing was sent


def test_unlocked_address_and_local_signer_both_send(env: Env, reader: ConsortiumClient) -> None:
    signers = keys(env)
    assert [a.address for a in tester_accounts(3)] == env.w3.eth.accounts[:3]
    unlocked = ConsortiumClient.from_web3(env.w3, env.consortium.address, env.ingress.address,
                                          account=env.founders[0].admin)
    local = ConsortiumClient.from_web3(env.w3, env.consortium.address, env.ingress.address,
                                       account=signers[env.founders[1].admin])
    assert unlocked.address == env.founders[0].admin
    assert local.address == env.founders[1].admin
    proposed = unlocked.proposals.create(unlocked.actions.suspend_member(3), "suspend 3")
    voted = local.proposals.vote(proposed.proposal_id, "for")
    tx = env.w3.eth.get_transaction(voted.sent.tx_hash)
    assert tx["from"] == env.founders[1].admin
    assert (voted.member_id, voted.voter, voted.weight) == (2, env.founders[1].admin, env.founders[1].weight)
    # a vote signature needs the key: a local signer has it, an unlocked address does not
    assert local.proposals.sign_vote(proposed.proposal_id, "for").voter == env.founders[1].admin
    with pytest.raises(AccountRequiredError, match="private key"):
        unlocked.proposals.sign_vote(proposed.proposal_id, "for")
    assert reader.proposals.get(proposed.proposal_id).tally.for_votes == env.founders[1].weight


def test_with_account_keeps_the_connection_and_the_fee_settings(env: Env) -> None:
    gas_price = 3 * 10**9
    base = ConsortiumClient.from_web3(env.w3, env.consortium.address, env.ingress.address,
                                      fees={"gasPrice": gas_price}, confirmations=2, log_chunk=7, from_block=2)
    admin = base.with_account(env.founders[0].admin)
    assert base.address is None and admin.address == env.founders[0].admin
    assert (admin.consortium.address, admin.ingress and admin.ingress.address) == (env.consortium.address,
                                                                                   env.ingress.address)
    assert (admin.from_block, admin.log_chunk) == (2, 7)
    proposed = admin.proposals.create(admin.actions.suspend_member(3), "suspend 3")
    sent = proposed.sent
    assert env.w3.eth.get_transaction(sent.tx_hash)["gasPrice"] == gas_price
    assert env.w3.eth.block_number >= sent.block_number + 1  # waited for a second confirmation
    # and again from a client that has an account: the new account sends, the old one is unchanged
    other = admin.with_account(env.founders[1].admin)
    voted = other.proposals.vote(proposed.proposal_id, "for")
    assert env.w3.eth.get_transaction(voted.sent.tx_hash)["gasPrice"] == gas_price
    assert (voted.member_id, admin.address) == (2, env.founders[0].admin)


def test_client_without_the_ingress_asks_the_consortium(env: Env) -> None:
    bare = make_client(env, ingress=False)
    status = bare.status()
    assert (status.ingress, status.rules) == ("", env.consortium.address)
    with pytest.raises(ConfigError, match="PermissionIngress"):
        bare.actions.set_rules(env.consortium.address)


# -- connect by network name ------------------------------------------------------------------------


def write_manifest(tmp_path: Path, network: str, data: Any) -> Path:
    folder = tmp_path / "deployments"
    folder.mkdir(exist_ok=True)
    path = folder / f"{network}.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return folder


def test_connect_reads_the_manifest_and_the_named_account(env: Env, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # connect("tester") makes a fresh embedded chain; here it is the session's, with the suite on it
    monkeypatch.setattr("consortium_evm.chain.connect.tester_web3", lambda *a, **k: env.w3)
    manifest = env.deployment.manifest()
    folder = write_manifest(tmp_path, "tester", manifest)
    admin_index = env.w3.eth.accounts.index(env.founders[0].admin)

    client = ConsortiumClient.connect("tester", account=admin_index, deployments_dir=folder)
    assert client.network_name == "tester"
    assert client.address == env.founders[0].admin
    assert client.consortium.address == manifest["contracts"]["Consortium"]["address"]
    assert client.ingress is not None and client.ingress.address == manifest["contracts"]["PermissionIngress"]["address"]
    assert client.from_block == manifest["contracts"]["Consortium"]["blockNumber"]
    proposed = client.proposals.create(client.actions.suspend_member(3), "suspend 3")
    # history starts at the deployment block, and still holds everything since
    assert [e.name for e in client.events.history(kinds=["proposals"])] == ["ProposalCreated"]
    assert client.proposals.get(proposed.proposal_id).proposer == env.founders[0].admin

    read_only = ConsortiumClient.connect("tester", deployments_dir=folder)
    assert read_only.address is None
    assert read_only.members.totals() == chain_totals(env)


def test_connect_without_a_manifest_names_the_file_and_the_deploy_command(tmp_path: Path) -> None:
    folder = tmp_path / "deployments"
    with pytest.raises(DeploymentError) as info:
        ConsortiumClient.connect("tester", deployments_dir=folder)
    message = str(info.value)
    assert str(folder / "tester.json") in message
    assert "consortium-evm deploy --network tester" in message


def test_connect_refuses_a_manifest_of_another_chain(env: Env, tmp_path: Path) -> None:
    manifest = {**env.deployment.manifest(), "chainId": 1}
    folder = write_manifest(tmp_path, "tester", manifest)
    with pytest.raises(ConfigError) as info:
        ConsortiumClient.connect("tester", deployments_dir=folder)
    assert "chain id 1" in str(info.value) and str(TESTER_CHAIN_ID) in str(info.value)


def test_connect_checks_the_manifest_against_the_named_network(env: Env, tmp_path: Path) -> None:
    with RpcStub(chain_id=1337) as stub:
        networks = tmp_path / "networks.yaml"
        networks.write_text(
            f"networks:\n  stubnet:\n    url: {stub.url}\n    chain_id: 1337\n    consensus: dev\n", encoding="utf-8"
        )
        folder = write_manifest(tmp_path, "stubnet", {**env.deployment.manifest(), "chainId": 2024})
        with pytest.raises(ConfigError) as info:
            ConsortiumClient.connect("stubnet", networks_file=networks, deployments_dir=folder)
        assert "2024" in str(info.value) and "1337" in str(info.value)
        assert stub.calls == ["eth_chainId"]  # nothing else was asked before the mismatch


def test_connect_refuses_a_manifest_whose_contracts_are_not_on_the_chain(env: Env, tmp_path: Path) -> None:
    # the manifest's chain id is right, but connect("tester") is a fresh, empty chain; a manifest
    # written before block 0's hash was recorded (no genesisHash) finds the contracts' code missing
    old = {key: value for key, value in env.deployment.manifest().items() if key != "genesisHash"}
    folder = write_manifest(tmp_path, "tester", old)
    with pytest.raises(DeploymentError) as info:
        ConsortiumClient.connect("tester", deployments_dir=folder)
    assert env.consortium.address in str(info.value) and "no contract code" in str(info.value)


def test_connect_says_in_one_line_that_a_manifest_is_from_another_chain_with_the_same_id(env: Env, tmp_path: Path) -> None:
    """Issue 14, item 13: the same chain id, another block 0 (a network reset): said as such."""
    manifest = env.deployment.manifest()
    recorded = manifest["genesisHash"]
    assert recorded == "0x" + bytes(env.w3.eth.get_block(0)["hash"]).hex()
    folder = write_manifest(tmp_path, "tester", manifest)
    with pytest.raises(DeploymentError) as info:
        ConsortiumClient.connect("tester", deployments_dir=folder)  # a fresh embedded chain: another block 0
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"the deployment manifest of tester is from another chain: same chain id {TESTER_CHAIN_ID}, "
                              f"but its block 0 was {recorded} and the node's is 0x")
    assert "--fresh" in message
    # the same manifest on its own chain connects
    from consortium_evm.chain.connect import Connection
    from consortium_evm.config.networks import tester_network

    connection = Connection(env.w3, tester_network(), tester_network().gas_price, None)  # type: ignore[arg-type]
    assert ConsortiumClient.for_deployment(connection, manifest).consortium.address == env.consortium.address


def _malformed_manifests(env: Env) -> list[tuple[Any, str]]:
    good = env.deployment.manifest()
    consortium = good["contracts"]["Consortium"]
    return [
        ("{not json", "cannot read"),
        ([good], "not a JSON object"),
        ({"chainId": TESTER_CHAIN_ID}, "contracts.Consortium"),
        ({**good, "contracts": "Consortium"}, "contracts.Consortium"),
        ({**good, "contracts": {"Consortium": {"blockNumber": 1}}}, "contracts.Consortium.address"),
        ({**good, "contracts": {"Consortium": {**consortium, "address": "0x1234"}}}, "contracts.Consortium.address"),
        ({**good, "contracts": {"Consortium": {**consortium, "blockNumber": "one"}}}, "blockNumber"),
        ({**good, "contracts": {**good["contracts"], "PermissionIngress": {"address": None}}},
         "contracts.PermissionIngress.address"),
        ({**good, "chainId": "mainnet"}, "chainId"),
        ({**good, "genesisHash": "0x1234"}, "genesisHash '0x1234' is not a block hash"),
    ]


def test_connect_refuses_malformed_manifests_naming_the_file(env: Env, tmp_path: Path) -> None:
    for data, expected in _malformed_manifests(env):
        folder = write_manifest(tmp_path, "tester", data)
        with pytest.raises(DeploymentError) as info:
            ConsortiumClient.connect("tester", deployments_dir=folder)
        assert str(folder / "tester.json") in str(info.value), data
        assert expected in str(info.value), (data, str(info.value))
