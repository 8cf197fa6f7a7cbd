"""The README's genesis network and its how-tos, run as a new user runs them, on real geth nodes.

``genesis-start`` makes the development keys and the Clique genesis of
consortium.genesis.example.yaml, starts a three-node network on it (two signers, one follower) and
reads the rules with the CLI; ``genesis-vote`` has the members vote the follower's key in as a
signer, executes the proposal and syncs every node; then the new signer seals blocks; then
``validators-sync`` (the commands an operator runs on its own node) finds the node in sync and
clears its spent proposal; then the how-tos on the same network, in the README's order (a member
added with its node, the rules replaced, an admin key rotated) and the geth enforcement recipe
(preflight, one guard pass, the gateway).

The blocks run in a scratch folder holding copies of the files they name (networks.yaml,
consortium.genesis.example.yaml) and a link to the project's .venv, with CONSORTIUM_NODES_DIR
pointing the local network into it (scripts/ too, for the rules' deployment); the network is stopped by PID in teardown whatever happens."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consortium_evm.deploy.suite import contract_at
from consortium_evm.domain.devkeys import dev_account
from consortium_evm.genesis.predeploy import INGRESS_ADDRESS, VALIDATOR_SET_ADDRESS
from consortium_evm.node.geth import GethBinary
from consortium_evm.node.rpc import clique_web3, rpc_call
from consortium_evm.node.state import load_state
from tests.support.readme_blocks import README, block, run_shell, scratch_project

pytestmark = pytest.mark.integration

ROOT = README.parent
SIGNERS = [dev_account(10).address, dev_account(11).address]
NEWCOMER = dev_account(12).address
OUTSIDER = "0x000000000000000000000000000000000000dEaD"



@pytest.fixture
def project(tmp_path: Path, geth: GethBinary) -> Iterator[tuple[Path, dict[str, str]]]:
    with scratch_project(tmp_path, ("networks.yaml", "consortium.genesis.example.yaml", "scripts"), geth.path) as env:
        yield tmp_path, env


def test_the_genesis_section_runs_as_written(project: tuple[Path, dict[str, str]]) -> None:
    cwd, env = project
    timings: dict[str, float] = {}

    started = time.monotonic()
    out = run_shell(block("genesis-start").code, cwd, env)
    timings["genesis-start"] = time.monotonic() - started
    assert "3 public development node key(s) (mnemonic accounts 10 to 12)" in out
    assert "0x4ED7c95CB286AAa9cf94afb71fCFADb678D5B5DF" in out  # the ValidatorSet, pre-deployed
    assert "3 node(s), 2 genesis signer(s), chain id 1338" in out
    assert f"follows until voted in: {NEWCOMER}" in out
    assert " 1  Acme Bank              40  active         2       1      1  2025-01-01 00:00:00 UTC" in out
    assert "3 member(s)" in out
    assert "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65 MAY create a contract" in out
    assert "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC may NOT create a contract" in out
    for signer in SIGNERS:
        assert f"{signer}  yes       yes" in out
    assert out.rstrip().endswith("in sync")

    # "in force at block 0": the chain answers so at its genesis block, before any transaction
    state = load_state(cwd / "nodes")
    assert state is not None and state.chain_id == 1338
    w3 = clique_web3(state.rpc_url)
    ingress = contract_at(w3, "PermissionIngress", INGRESS_ADDRESS)
    acme = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert ingress.functions.transactionAllowed(acme, OUTSIDER, 0, 0, 0, b"").call(block_identifier=0)
    assert not ingress.functions.transactionAllowed(OUTSIDER, acme, 0, 0, 0, b"").call(block_identifier=0)
    validator_set = contract_at(w3, "ValidatorSet", VALIDATOR_SET_ADDRESS)
    assert validator_set.functions.getValidators().call(block_identifier=0) == SIGNERS

    started = time.monotonic()
    out = run_shell("source .venv/bin/activate\n" + block("genesis-vote").code, cwd, env)
    timings["genesis-vote"] = time.monotonic() - started
    assert f"Proposal #1 created: Add validator {NEWCOMER}" in out
    assert "Member 1 voted for with weight 40 on proposal #1" in out
    assert "Member 2 voted for with weight 35 on proposal #1" in out
    assert "Proposal #1 is succeeded" in out
    assert "Executed proposal #1" in out
    assert out.count(f"voted: add {NEWCOMER}") == 3  # one vote per node
    assert f"in force on every node: 3 validator(s), {', '.join([*SIGNERS, NEWCOMER])}" in out
    assert out.count(f"signers: {', '.join(sorted(a.lower() for a in [*SIGNERS, NEWCOMER]))}") == 3

    # the new signer seals: a block after the vote is signed by node3's key
    head = w3.eth.block_number
    deadline = time.monotonic() + 30
    sealers: set[str] = set()
    while NEWCOMER.lower() not in sealers:
        assert time.monotonic() < deadline, f"no block sealed by {NEWCOMER} after block {head}; sealers {sealers}"
        time.sleep(1)
        sealers = {
            str(rpc_call(state.rpc_url, "clique_getSigner", [hex(n)])).lower()
            for n in range(head + 1, w3.eth.block_number + 1)
        }

    started = time.monotonic()
    out = run_shell("source .venv/bin/activate\n" + block("validators-sync").code, cwd, env)
    timings["validators-sync"] = time.monotonic() - started
    assert f"{NEWCOMER}  yes       yes" in out and "\nin sync\n" in out
    assert f"discarded the proposal for {NEWCOMER} (done, or no longer wanted)" in out
    assert out.rstrip().endswith("pending: none")

    hooli, acme_new, acme_old = (dev_account(n).address for n in (5, 6, 1))
    started = time.monotonic()
    out = run_shell("source .venv/bin/activate\n" + block("howto-add-member").code, cwd, env)
    timings["howto-add-member"] = time.monotonic() - started
    assert "Proposal #2 created: Admit Hooli with weight 20" in out
    assert "Executed proposal #2" in out
    assert f"Submitted the admin acceptance of {hooli}: it is an admin of member 4" in out
    assert "Member 4: Hooli" in out and "admins    1 accepted" in out
    assert f"{hooli}  transact,admin  yes" in out
    assert "127.0.0.1  30310" in out
    assert out.rstrip().splitlines()[-1].endswith("MAY connect"), out[-500:]

    started = time.monotonic()
    out = run_shell("source .venv/bin/activate\n" + block("howto-replace-rules").code, cwd, env)
    timings["howto-replace-rules"] = time.monotonic() - started
    assert "Proposal #3 created: Put the permission rules 0x" in out and "Executed proposal #3" in out
    rules = out.split("Proposal #3 created: Put the permission rules ")[1].split()[0]
    assert f"(rules in force: {rules})" in out
    assert ingress.functions.rules().call() == rules
    assert "Members      4 active of 4" in out

    started = time.monotonic()
    out = run_shell("source .venv/bin/activate\n" + block("howto-rotate-admin").code, cwd, env)
    timings["howto-rotate-admin"] = time.monotonic() - started
    assert f"Submitted the admin acceptance of {acme_new}: it is an admin of member 1" in out
    assert "Removed 1 account(s)" in out
    assert out.rstrip().splitlines()[-1].startswith(f"{acme_old} may NOT send"), out[-500:]

    started = time.monotonic()
    out = run_shell("source .venv/bin/activate\n" + block("enforce-geth").code, cwd, env)
    timings["enforce-geth"] = time.monotonic() - started
    assert "Accounts the rules would refuse:" in out and acme_old in out and "preflight: exit 1" in out
    assert '"event": "peer_added"' in out and "@127.0.0.1:30310" in out  # Hooli's node, from the registry
    assert '"status":"ok"' in out and '"ingress":"0x0B04F50D67760A2D3814b8bf617Be6BDf2B4fAC8"' in out
    assert '"code":-32601' in out and "admin_peers is refused by the gateway" in out
    print("README genesis blocks, seconds:", {k: round(v, 1) for k, v in timings.items()})


if sys.platform != "linux":  # pragma: no cover - the nodes run on Linux here
    pytestmark = pytest.mark.skip("geth networks are started on Linux only")
