"""Every code block of the README is run by a test; the ones that need no node run here."""

from __future__ import annotations

import subprocess

from tests.support.readme_blocks import README, block, readme_blocks

ROOT = README.parent
TESTED_BLOCKS = {
    # name: where it is run
    "two-commands": "test_readme.py::test_the_demo_command_runs_as_written",
    "quickstart-ci": "test_readme.py::test_the_ci_command_is_what_ci_runs",
    "quickstart-cli": "integration/test_readme_quickstart.py",
    "quickstart-python": "integration/test_readme_quickstart.py",
    "deploy-script": "integration/test_readme_quickstart.py",
    "genesis-start": "integration/test_readme_genesis.py",
    "genesis-vote": "integration/test_readme_genesis.py",
    "validators-sync": "integration/test_readme_genesis.py",
    "howto-add-member": "integration/test_readme_genesis.py",
    "howto-replace-rules": "integration/test_readme_genesis.py",
    "howto-rotate-admin": "integration/test_readme_genesis.py",
    "enforce-geth": "integration/test_readme_genesis.py",
}


def test_every_code_block_is_run_by_a_test() -> None:
    blocks = readme_blocks()
    unnamed = [b.line for b in blocks if b.name is None]
    assert not unnamed, f"README code blocks at lines {unnamed} have no <!-- readme-test: NAME --> line"
    unknown = sorted({b.name for b in blocks} - set(TESTED_BLOCKS))
    assert not unknown, f"no test runs the README blocks {unknown}: add them to TESTED_BLOCKS and run them"
    assert sorted(b.name for b in blocks if b.name) == sorted(TESTED_BLOCKS), "a block is gone or duplicated"


def test_the_ci_command_is_what_ci_runs() -> None:
    assert block("quickstart-ci").code.strip() == "./dev test"
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[-1] == "./dev test"
    assert block("two-commands").code.splitlines()[1].startswith("./dev test ")


def test_the_demo_command_runs_as_written() -> None:
    first = block("two-commands").code.splitlines()[0]
    command = first.split("#")[0].split()
    assert command == ["./dev", "demo"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "The quorum is now 60%." in result.stdout
    assert "Gas per operation (exact, from each transaction's receipt):" in result.stdout
