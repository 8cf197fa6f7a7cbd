"""The whole suite deployed over HTTP to real nodes (anvil, a one-signer and a two-signer geth
Clique network) from the CLI, then the governance round of the foundation issue on each chain;
and deployments killed at each step, then resumed, without any transaction sent twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from consortium_evm.chain.connect import connect
from consortium_evm.deploy.suite import FAULT_ENV, contract_at, suite_abis
from consortium_evm.domain.signatures import sign_node_consent
from consortium_evm.domain.spec import NodeSpec
from consortium_evm.localnet.start import start_network
from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.anvil import AnvilNode, anvil_accounts, start_anvil
from consortium_evm.node.state import NetworkState, load_dev_accounts
from consortium_evm.tx.transactions import Transactor

pytestmark = pytest.mark.integration

STEPS = ["deploy Consortium", "deploy PermissionIngress", "add member Acme Bank", "add member Globex Logistics",
         "add member Initech Insurance", "start governance"]
VOTING_PERIOD = 15
"""Long enough for three votes to be mined one after the other on 1-second Clique blocks."""
FIGURES = Path(os.environ.get("CONSORTIUM_EVM_FIGURES", "/tmp/consortium-evm-deploy-figures.json"))


@dataclass
class Chain:
    """A real node to deploy to, and the funded keys to use there."""

    name: str
    url: str
    chain_id: int
    consensus: str
    keys: list[LocalAccount]


def consortium_yaml(path: Path, founders: list[LocalAccount]) -> Path:
    members = []
    for i, (name, weight) in enumerate((("Acme Bank", 40), ("Globex Logistics", 35), ("Initech Insurance", 25))):
        enode = f"{i + 1:02x}" * 64
        members.append(
            f"  - name: {name}\n    weight: {weight}\n    accounts:\n"
            f"      - address: \"{founders[i].address}\"\n        roles: [admin, transact, deploy]\n"
            f"    nodes:\n      - enode: \"enode://{enode}@10.0.0.{i + 1}:30303\"\n"
        )
    path.write_text(
        f"governance:\n  voting_period: {VOTING_PERIOD}s\n  expiry_period: 1h\nmembers:\n" + "".join(members)
    )
    return path


def networks_yaml(path: Path, chain: Chain) -> Path:
    path.write_text(
        f"networks:\n  {chain.name}:\n    url: {chain.url}\n    chain_id: {chain.chain_id}\n"
        f"    consensus: {chain.consensus}\n    accounts:\n      deployer:\n        private_key_env: IT_DEPLOYER_KEY\n"
    )
    return path


def run_cli(workdir: Path, chain: Chain, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`consortium-evm deploy` in its own process (so that it can be killed)."""
    environ = {**os.environ, "IT_DEPLOYER_KEY": chain.keys[0].key.hex(), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "consortium_evm.cli", "deploy", "--network", chain.name,
         "--networks", str(workdir / "networks.yaml"), "--consortium", str(workdir / "consortium.yaml"),
         "--out", str(workdir / "deployments"), *extra],
        capture_output=True, text=True, env=environ, timeout=300,
    )


def wait_until_after(w3: Web3, timestamp: int, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while int(w3.eth.get_block("latest")["timestamp"]) <= timestamp:
        if time.monotonic() > deadline:
            raise AssertionError("the chain did not reach the end of the vote")
        time.sleep(0.5)


def governance_round(w3: Web3, consortium_address: str, ingress_address: str, founders: list[LocalAccount]) -> None:
    """Three founders; one proposes a fourth member; votes; execution; the newcomer's account and node
    pass both permission checks; a second proposal removes it and both checks turn false."""
    consortium = contract_at(w3, "Consortium", consortium_address)
    ingress = contract_at(w3, "PermissionIngress", ingress_address)
    newcomer = founders[3].address
    # The newcomer's node key consents to the node's registration for member 4 (the next id).
    node_key = Account.create()
    node = NodeSpec(bytes(node_key._key_obj.public_key.to_bytes()).hex(), "10.0.0.4", 30303,
                    sign_node_consent(node_key.key, 4, w3.eth.chain_id, consortium_address))

    def send(fn: object, who: LocalAccount) -> object:
        return Transactor(w3, who, suite_abis()).send(fn)  # type: ignore[arg-type]

    def passes(calls: list[bytes], description: str) -> None:
        fn = consortium.functions.propose([consortium.address] * len(calls), [0] * len(calls), calls, description)
        sent = send(fn, founders[0])
        proposal_id = consortium.events.ProposalCreated().process_receipt(sent.receipt)[0].args.proposalId  # type: ignore[attr-defined]
        for founder in founders[:3]:
            send(consortium.functions.castVote(proposal_id, 1), founder)
        vote_end = consortium.functions.proposalCore(proposal_id).call()[1]
        wait_until_after(w3, vote_end)
        assert consortium.functions.state(proposal_id).call() == 4  # Succeeded
        send(consortium.functions.execute(proposal_id, [consortium.address] * len(calls), [0] * len(calls), calls,
                                          Web3.keccak(text=description)), founders[1])
        assert consortium.functions.state(proposal_id).call() == 7  # Executed

    def allowed() -> tuple[bool, bool]:
        return (
            ingress.functions.transactionAllowed(newcomer, ingress.address, 0, 0, 0, b"").call(),
            ingress.functions.connectionAllowed(node.enode_id, node.host, node.port).call(),
        )

    assert allowed() == (False, False)
    add = consortium.encode_abi("addMember", ["Umbrella Research", "", 20, [newcomer], [5], [node.as_tuple()]])
    passes([bytes.fromhex(add[2:])], "Admit Umbrella Research")
    assert allowed() == (True, True)
    member_id = consortium.functions.memberOf(newcomer).call()[0]
    remove = consortium.encode_abi("removeMember", [member_id])
    passes([bytes.fromhex(remove[2:])], "Remove Umbrella Research")
    assert allowed() == (False, False)


def deploy_and_govern(tmp_path: Path, chain: Chain) -> dict[str, object]:
    consortium_yaml(tmp_path / "consortium.yaml", chain.keys[1:4])
    networks_yaml(tmp_path / "networks.yaml", chain)
    started = time.monotonic()
    result = run_cli(tmp_path, chain)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "deployments" / f"{chain.name}.json").read_text())
    assert [s["name"] for s in manifest["steps"]] == STEPS
    # Pipelined (issue 15 item 2): every step sent before the first receipt is awaited, so all of
    # them land within 3 consecutive blocks (10 when each waited for the one before).
    blocks = [int(s["blockNumber"]) for s in manifest["steps"]]
    assert max(blocks) - min(blocks) <= 2, blocks
    w3 = connect(chain.name, networks_file=tmp_path / "networks.yaml").w3
    deployer_nonce = w3.eth.get_transaction_count(chain.keys[0].address)

    again = run_cli(tmp_path, chain)
    assert again.returncode == 0, again.stderr
    assert "Already deployed" in again.stdout
    assert w3.eth.get_transaction_count(chain.keys[0].address) == deployer_nonce

    governance_round(w3, manifest["contracts"]["Consortium"]["address"],
                     manifest["contracts"]["PermissionIngress"]["address"], chain.keys[1:5])
    figures = {"chain": chain.name, "deploySeconds": round(elapsed, 1), "totalGas": manifest["totalGas"],
               "blocks": max(blocks) - min(blocks) + 1}
    recorded = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    recorded[chain.name] = figures
    FIGURES.write_text(json.dumps(recorded, indent=2))
    return figures


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilNode]:
    node = start_anvil(block_time=1)
    try:
        yield node
    finally:
        node.stop()


def anvil_chain(node: AnvilNode) -> Chain:
    return Chain("anvil", node.url, node.chain_id, "dev", anvil_accounts(6))


def geth_chain(state: NetworkState, name: str) -> Chain:
    from eth_account import Account

    keys = [Account.from_key(a.private_key) for a in load_dev_accounts(state.root_dir)]
    return Chain(name, state.rpc_url, state.chain_id, "clique", keys)


def test_deploy_and_govern_on_anvil(tmp_path: Path, anvil: AnvilNode) -> None:
    deploy_and_govern(tmp_path, anvil_chain(anvil))


def test_deploy_and_govern_on_one_geth_signer(tmp_path: Path, one_signer: NetworkState) -> None:
    deploy_and_govern(tmp_path, geth_chain(one_signer, "clique1"))


def test_deploy_and_govern_on_two_geth_signers(tmp_path: Path, two_signers: NetworkState) -> None:
    deploy_and_govern(tmp_path, geth_chain(two_signers, "clique2"))


@pytest.mark.parametrize("moment", ["before-send", "after-send"])
@pytest.mark.parametrize("step", STEPS)
def test_a_killed_deployment_resumes_on_a_real_node(tmp_path: Path, step: str, moment: str) -> None:
    """The deploying process dies at each step in turn (before its transaction is sent, and right
    after): run again, it completes, and every step was sent exactly once."""
    node = start_anvil(block_time=1)
    try:
        chain = anvil_chain(node)
        consortium_yaml(tmp_path / "consortium.yaml", chain.keys[1:4])
        networks_yaml(tmp_path / "networks.yaml", chain)
        killed = run_cli(tmp_path, chain, env={FAULT_ENV: f"{moment}:{step}"})
        assert killed.returncode == 75, killed.stdout + killed.stderr
        assert not (tmp_path / "deployments" / "anvil.json").exists()
        resumed = run_cli(tmp_path, chain)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        manifest = json.loads((tmp_path / "deployments" / "anvil.json").read_text())
        assert [s["name"] for s in manifest["steps"]] == STEPS
        w3 = Web3(Web3.HTTPProvider(node.url))
        assert w3.eth.get_transaction_count(chain.keys[0].address) == len(STEPS)  # nothing sent twice
        assert resumed.stdout.count("already done") == STEPS.index(step)  # the steps mined before the kill
    finally:
        node.stop()


def test_a_deployment_resumes_after_the_node_was_stopped(tmp_path: Path, geth: object) -> None:
    """The geth network stops in the middle of a deployment: the deployment fails with a clear line;
    once the network is back, the deployment completes from its journal."""
    root = tmp_path / "net"
    state = start_network(root, signers=1, period=1, chain_id=31_337_099, timeout=60, log=None)
    try:
        chain = geth_chain(state, "clique")
        consortium_yaml(tmp_path / "consortium.yaml", chain.keys[1:4])
        networks_yaml(tmp_path / "networks.yaml", chain)
        killed = run_cli(tmp_path, chain, env={FAULT_ENV: "after-send:add member Globex Logistics"})
        assert killed.returncode == 75
        stop_network(root, timeout=10)
        down = run_cli(tmp_path, chain)
        assert down.returncode == 4
        assert down.stderr.strip().startswith("Error: cannot reach the JSON-RPC endpoint")
        state = start_network(root, timeout=60, log=None)
        resumed = run_cli(tmp_path, chain)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        w3 = Web3(Web3.HTTPProvider(state.rpc_url))
        assert w3.eth.get_transaction_count(chain.keys[0].address) == len(STEPS)
    finally:
        stop_network(root, timeout=10)


def test_cli_failures_against_a_real_node(tmp_path: Path, anvil: AnvilNode) -> None:
    """Insufficient funds, and a receipt that never comes (the node stops mining): one line, exit 3 (DeploymentError: configuration, by the table in cli/group)."""
    from eth_account import Account

    chain = anvil_chain(anvil)
    poor = Account.create()
    consortium_yaml(tmp_path / "consortium.yaml", chain.keys[1:4])
    networks_yaml(tmp_path / "networks.yaml", chain)
    result = subprocess.run(
        [sys.executable, "-m", "consortium_evm.cli", "deploy", "--network", "anvil", "--networks",
         str(tmp_path / "networks.yaml"), "--consortium", str(tmp_path / "consortium.yaml"), "--out",
         str(tmp_path / "deployments")],
        capture_output=True, text=True, env={**os.environ, "IT_DEPLOYER_KEY": poor.key.hex()}, timeout=120,
    )
    assert result.returncode == 3
    assert f"account {poor.address} has 0 wei" in result.stderr and "Traceback" not in result.stderr

    idle = start_anvil(no_mining=True)
    try:
        stalled = Chain("anvil", idle.url, idle.chain_id, "dev", chain.keys)
        networks_yaml(tmp_path / "networks.yaml", stalled)
        result = run_cli(tmp_path, stalled, "--receipt-timeout", "3")
        assert result.returncode == 4  # connection or node: it did not mine
        assert "no receipt for" in result.stderr and "run the deployment again to resume" in result.stderr
    finally:
        idle.stop()


def test_a_reverting_step_is_named_with_its_custom_error(tmp_path: Path, anvil: AnvilNode) -> None:
    """A journal that lost its last record (the deployment finished, but the journal says the hand-over
    never happened): the rerun simulates the hand-over, which reverts, and names the contract's error."""
    chain = anvil_chain(anvil)
    consortium_yaml(tmp_path / "consortium.yaml", chain.keys[1:4])
    networks_yaml(tmp_path / "networks.yaml", chain)
    assert run_cli(tmp_path, chain).returncode == 0
    journal_path = tmp_path / "deployments" / "anvil.journal.json"
    journal = json.loads(journal_path.read_text())
    journal["steps"] = [s for s in journal["steps"] if s["name"] != "start governance"]
    journal["complete"] = False
    journal_path.write_text(json.dumps(journal))
    result = run_cli(tmp_path, chain)
    assert result.returncode == 5  # on-chain refusal
    assert "step 'start governance' would revert: reverted with NotBootstrapper(caller=" in result.stderr


def test_bytecode_the_chain_cannot_run_is_named(tmp_path: Path) -> None:
    """Contracts compiled for shanghai (PUSH0) sent to a london chain: named, with the fix."""
    node = start_anvil(hardfork="london")
    try:
        chain = anvil_chain(node)
        consortium_yaml(tmp_path / "consortium.yaml", chain.keys[1:4])
        networks_yaml(tmp_path / "networks.yaml", chain)
        text = (tmp_path / "networks.yaml").read_text().replace("    consensus: dev\n", "    consensus: dev\n    evm_version: shanghai\n")
        (tmp_path / "networks.yaml").write_text(text)
        result = run_cli(tmp_path, chain)
        assert result.returncode == 3, result.stdout + result.stderr
        assert "step 'deploy Consortium'" in result.stderr and "compiled for EVM shanghai" in result.stderr
        assert "Traceback" not in result.stderr
        w3 = Web3(Web3.HTTPProvider(node.url))
        assert w3.eth.get_transaction_count(chain.keys[0].address) == 0  # nothing was sent
    finally:
        node.stop()


def test_the_worked_example_script_deploys_through_the_library(tmp_path: Path, anvil: AnvilNode) -> None:
    chain = anvil_chain(anvil)
    consortium_yaml(tmp_path / "consortium.yaml", chain.keys[1:4])
    networks_yaml(tmp_path / "networks.yaml", chain)
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "consortium_evm.cli", "run", str(root / "scripts" / "deploy.py"), "--network", "anvil",
         "--networks", str(tmp_path / "networks.yaml"), str(tmp_path / "consortium.yaml")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "IT_DEPLOYER_KEY": chain.keys[0].key.hex()},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "member 1: Acme Bank (weight 40)" in result.stdout
    assert f"{chain.keys[1].address} may transact: True" in result.stdout
    assert (tmp_path / "deployments" / "anvil.json").exists()
