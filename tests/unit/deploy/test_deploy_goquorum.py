"""A deployment to a GoQuorum network: the permission adapter in the plan, the manifest and on
chain in front of the ingress, and the files GoQuorum's nodes read at start-up."""

from __future__ import annotations

import json
from pathlib import Path

from web3 import Web3

from consortium_evm.deploy.manifest import read_manifest
from consortium_evm.deploy.suite import deploy_suite
from consortium_evm.domain.goquorum import ADAPTER, MANAGER_KEYS
from consortium_evm.domain.spec import AccountSpec, ConsortiumSpec, MemberSpec, NodeSpec, Role
from consortium_evm.node.tester import tester_accounts, tester_web3
from consortium_evm.compiler import load_artifact
from consortium_evm.workflows.deployment import goquorum_folder, write_goquorum_files


def spec_for(w3: Web3) -> ConsortiumSpec:
    accounts = w3.eth.accounts
    return ConsortiumSpec(
        members=(
            MemberSpec("A", 10, accounts=(AccountSpec(accounts[1], Role.ADMIN | Role.TRANSACT),),
                       nodes=(NodeSpec("aa" * 64, "10.0.0.1", 30303),)),
            MemberSpec("B", 20, accounts=(AccountSpec(accounts[2], Role.ADMIN),), nodes=(NodeSpec("bb" * 64, "10.0.0.2", 30304),)),
        )
    )


def test_a_goquorum_deployment_puts_the_adapter_in_front_of_the_ingress(tmp_path: Path) -> None:
    w3 = tester_web3(accounts=5)
    deployer = tester_accounts(1)[0]
    spec = spec_for(w3)
    manifest_file = tmp_path / "gq.json"
    deployment = deploy_suite(w3, deployer, spec, network="gq", manifest_path=manifest_file, goquorum=True)
    assert [s.name for s in deployment.steps][:3] == ["deploy Consortium", "deploy PermissionIngress", f"deploy {ADAPTER}"]
    assert deployment.goquorum_adapter is not None
    manifest = read_manifest(manifest_file, "gq")
    assert manifest.goquorum_adapter == deployment.goquorum_adapter
    assert manifest.contracts[ADAPTER].code_hash.startswith("0x")
    adapter = w3.eth.contract(address=Web3.to_checksum_address(deployment.goquorum_adapter), abi=load_artifact(ADAPTER).abi)
    assert adapter.functions.getNetworkBootStatus().call() is True
    member, outsider = w3.eth.accounts[1], w3.eth.accounts[4]
    # the adapter answers exactly as the ingress (and so the rules) do
    assert adapter.functions.transactionAllowed(member, deployment.ingress, 0, 0, 0, b"").call() is True
    assert adapter.functions.transactionAllowed(outsider, deployment.ingress, 0, 0, 0, b"").call() is False

    folder = goquorum_folder(tmp_path, "gq")
    write_goquorum_files(folder, deployment.goquorum_adapter, spec)
    config = json.loads((folder / "permission-config.json").read_text())
    assert {config[key] for key in MANAGER_KEYS} == {deployment.goquorum_adapter.lower()}
    assert config["accounts"] == [w3.eth.accounts[1].lower(), w3.eth.accounts[2].lower()]
    nodes = json.loads((folder / "permissioned-nodes.json").read_text())
    assert nodes == [f"enode://{'aa' * 64}@10.0.0.1:30303", f"enode://{'bb' * 64}@10.0.0.2:30304"]


def test_without_goquorum_there_is_no_adapter() -> None:
    w3 = tester_web3(accounts=5)
    deployment = deploy_suite(w3, tester_accounts(1)[0], spec_for(w3))
    assert deployment.goquorum_adapter is None
    assert ADAPTER not in deployment.manifest()["contracts"]
