"""The main job and the CLI's contract with its users: output, JSON and exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from consortium_evm.cli import main


def test_demo_tells_the_whole_lifecycle_with_exact_gas() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    story = [
        "1. The deployer creates the consortium and bootstraps its three founders.",
        "Acme Bank (weight 40), Globex Logistics (weight 35), Initech Insurance (weight 25)",
        "2. Acme Bank proposes to admit Umbrella Research with weight 20.",
        "Before the vote, Umbrella Research's account may transact: no; its node may connect: no",
        "Initech Insurance signs its ballot offline; a relay submits it: for, with weight 25.",
        "the vote is closed: succeeded (100 for, 0 against, 100 of 100 voted, quorum 50)",
        "Umbrella Research is member 4. Umbrella Research's account may transact: yes; its node may connect: yes",
        "3. Globex Logistics proposes to suspend Initech Insurance (member 3).",
        "Initech Insurance's account may transact: no; its node may connect: no",
        "4. Acme Bank proposes to raise the quorum from 50% to 60%.",
        "The quorum is now 60%.",
        "Gas per operation (exact, from each transaction's receipt):",
    ]
    positions = [out.index(line) for line in story]  # each is there ...
    assert positions == sorted(positions)  # ... in the order the story happens
    table = out[out.index("Gas per operation"):].splitlines()[1:]
    rows = [(line.rsplit(None, 1)[0].strip(), int(line.rsplit(None, 1)[1].replace(",", ""))) for line in table]
    assert len(rows) == 6 + 16 + 1  # the deployment's 6 transactions, the governance rounds' 16 (the newcomer accepts its admin role), the total
    gas = dict(rows)
    assert max(g for name, g in rows if name.startswith("vote (")) <= 40_000
    assert gas["vote by signature (Initech, relayed)"] <= 50_000
    assert gas["total"] == sum(g for name, g in rows if name != "total")


def test_demo_json_gives_addresses_and_exact_gas() -> None:
    result = CliRunner().invoke(main, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["consortium"].startswith("0x") and data["ingress"].startswith("0x")
    by_name = {s["name"]: s["gasUsed"] for s in data["steps"]}
    assert by_name["deploy Consortium"] + by_name["deploy PermissionIngress"] <= 6_100_000  # the gas report's target for the suite
    votes = [s["gasUsed"] for s in data["steps"] if s["name"].startswith("vote (")]
    assert len(votes) == 8 and max(votes) <= 40_000
    executions = [s for s in data["steps"] if s["name"].startswith("execute")]
    assert len(executions) == 3 and all(s["txHash"].startswith("0x") for s in executions)
