"""The main job and the CLI's contract with its users: output, JSON and exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from consortium_evm.cli import main


def test_demo_deploys_bootstraps_and_runs_a_governance_round() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in ("deploy Consortium", "deploy PermissionIngress", "add member Acme Bank", "start governance",
                     "propose", "vote for (Acme Bank, weight 40)", "execute",
                     "the proposal's state is Succeeded",
                     "Umbrella Research's account may transact: True; its node may connect: True"):
        assert expected in out
    assert "Before the vote, Umbrella Research's account may transact: False" in out


def test_demo_json_gives_addresses_and_exact_gas() -> None:
    result = CliRunner().invoke(main, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["consortium"].startswith("0x") and data["ingress"].startswith("0x")
    by_name = {s["name"]: s["gasUsed"] for s in data["steps"]}
    assert by_name["deploy Consortium"] + by_name["deploy PermissionIngress"] <= 5_400_000
    votes = [gas for name, gas in by_name.items() if name.startswith("vote")]
    assert len(votes) == 3 and max(votes) <= 40_000
