"""The README's quick start, run as a new user runs it: the command-line block line by line in a
shell, the member back-end's Python snippet as written, then what the prose after it says (run again,
`deploy` verifies and sends nothing) and the ``deploy-script`` block, on a real two-signer geth network.

The blocks run in a scratch folder holding copies of the files they name (networks.yaml,
consortium.example.yaml, scripts/) and a link to the project's .venv, with CONSORTIUM_NODES_DIR
pointing the local network into it; the network is stopped in teardown whatever happens."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from consortium_evm.node.geth import GethBinary
from tests.support.readme_blocks import README, block, run_shell, scratch_project

ROOT = README.parent


@pytest.fixture
def project(tmp_path: Path, geth: GethBinary) -> Iterator[tuple[Path, dict[str, str]]]:
    with scratch_project(tmp_path, ("networks.yaml", "consortium.example.yaml", "scripts"), geth.path) as env:
        yield tmp_path, env



def test_the_quick_start_runs_as_written(project: tuple[Path, dict[str, str]]) -> None:
    cwd, env = project

    out = run_shell(block("quickstart-cli").code, cwd, env)
    assert "Members      3 active of 3" in out
    assert "Proposal #1 created: Set the weight of member 2 (Globex Logistics) from 35 to 30" in out
    assert "Member 2 voted for with weight 35 on proposal #1" in out
    assert "1. Consortium.setMemberWeight(memberId=2, weight=30)" in out

    snippet = cwd / "backend.py"
    snippet.write_text(block("quickstart-python").code)
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(snippet)], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["1 Acme Bank 40 ACTIVE", "2 Globex Logistics 35 ACTIVE", "3 Initech Insurance 25 ACTIVE"]
    assert "#1 Set the weight of member 2 (Globex Logistics) from 35 to 30: 35 for" in lines
    assert "member 2 has voted on #1 already" in lines
    assert "acme may send to globex: True" in lines
    assert len(lines) == 3 + 3 + 5 and lines[-1].split()[0].isdigit()

    run_shell("consortium-evm node stop", cwd, {**env, "PATH": f"{ROOT / '.venv' / 'bin'}:{env['PATH']}"})

    # the same network resumes; the deployment is found done and verified, and the script reads it back
    start_and_deploy = block("quickstart-cli").code.splitlines()[:3]  # activate, node start, deploy
    assert start_and_deploy[2].startswith("consortium-evm deploy --network local")
    out = run_shell("\n".join([*start_and_deploy, "cat deployments/local.json"]), cwd, env)
    assert "Already deployed: the code on chain was verified and nothing was sent." in out
    assert '"Consortium"' in out and '"PermissionIngress"' in out
    out = run_shell("source .venv/bin/activate\n" + block("deploy-script").code, cwd, env)
    assert "member 2: Globex Logistics (weight 35)" in out
    assert "0x70997970C51812dc3A010C7d01b50e0d17dc79C8 may transact: True" in out


if sys.platform != "linux":  # pragma: no cover - the nodes run on Linux here
    pytestmark = pytest.mark.skip("geth networks are started on Linux only")
