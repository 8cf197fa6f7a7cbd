"""``consortium-evm propose``: each typed action of ``client.actions`` as a command whose proposal,
voted and executed on the embedded chain, has the action's effect; and several actions in one
proposal from a YAML file, with ``file:line`` errors for a wrong one."""

from __future__ import annotations

import json
from pathlib import Path

from web3.contract import Contract

from consortium_evm.cli.options import ClientOptions
from consortium_evm.client.models import SETTINGS_PARAMETERS
from tests.support.cli import Session, node_key_file
from tests.support.consortium import VOTING_PERIOD, enode


def passes(cli: Session, *args: str) -> dict[str, object]:
    """Propose ``args`` as acme, acme and globex vote for, the vote ends, relay executes; the
    proposal as created (its JSON)."""
    created = cli.json(*args, account="acme")
    number = "#" + str(created["proposal"]["number"])
    for voter in ("acme", "globex"):
        cli.ok("proposals", "vote", number, "for", account=voter)
    cli.env.advance(VOTING_PERIOD + 1)
    cli.ok("proposals", "execute", number, account="relay")
    assert cli.json("proposals", "show", number)["state"] == "executed"
    return dict(created["proposal"])


def consortium(cli: Session) -> Contract:
    return cli.factory(ClientOptions("test", None, None, "deployments", False)).consortium


def limits(cli: Session) -> tuple[int, ...]:
    return tuple(int(v) for v in consortium(cli).functions.memberLimits().call())


def test_allow_and_disallow_an_account(cli: Session) -> None:
    bridge = cli.env.spare[7]
    assert "may NOT create" in cli.ok("access", "check-account", bridge, "--deploy")
    created = passes(cli, "propose", "allow-account", bridge, "--roles", "transact,deploy")
    assert f"setUnaffiliatedAccount(account='{bridge}', flags=3)" in created["actions"][0]["summary"]
    assert "MAY create a contract" in cli.ok("access", "check-account", bridge, "--deploy")
    passes(cli, "propose", "disallow-account", bridge)
    assert "may NOT create" in cli.ok("access", "check-account", bridge, "--deploy")
    assert "no member to be an admin of" in cli.fails("propose", "allow-account", bridge, "--roles", "admin",
                                                      account="acme")


def test_node_match_member_limits_and_settings(cli: Session) -> None:
    passes(cli, "propose", "set-node-match", "enode-id-host-port")
    assert cli.json("status")["node_match"] == "enode_id_host_port"
    passes(cli, "propose", "set-member-limits", "7", "3")
    assert limits(cli) == (7, 3)
    before = cli.json("status")["settings"]
    passes(cli, "propose", "set-settings", "--quorum", "60%", "--voting-period", "2h")
    after = cli.json("status")["settings"]
    assert (after["quorum_bps"], after["voting_period"]) == (6000, 7200)
    assert {k: after[k] for k in SETTINGS_PARAMETERS if k not in ("quorum_bps", "voting_period")} == \
        {k: before[k] for k in SETTINGS_PARAMETERS if k not in ("quorum_bps", "voting_period")}
    assert "give at least one of --quorum" in cli.fails("propose", "set-settings", account="acme")


def test_raw_calldata(cli: Session) -> None:
    data = "0x" + consortium(cli).encode_abi("suspendMember", [3])[2:]
    created = passes(cli, "propose", "raw", cli.env.deployment.consortium, data)
    action = created["actions"][0]  # type: ignore[index]
    assert action["data"] == data and action["summary"] == "Consortium.suspendMember(memberId=3)"
    assert cli.json("members", "show", "3")["member"]["status"] == "suspended"
    assert "is not 0x-hex" in cli.fails("propose", "raw", cli.env.deployment.consortium, "0xzz", account="acme")


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "actions.yaml"
    path.write_text(text)
    return str(path)


def test_a_proposal_file_of_several_actions(cli: Session, tmp_path: Path) -> None:
    node_key_file(tmp_path, 9)  # nodekey9 beside the file
    bridge, admin = cli.env.spare[7], cli.env.spare[5]
    path = write(tmp_path, f"""
description: Admit Hooli, allow its bridge, raise the quorum
actions:
  - action: add-member
    name: Hooli
    weight: 20
    accounts:
      - {{address: "{admin}", roles: [admin, transact]}}
    nodes:
      - {{enode: "enode://{enode(9)}@10.0.0.9:30303", node_key: nodekey9}}
  - {{action: allow-account, address: "{bridge}", roles: [transact]}}
  - {{action: set-settings, quorum: 60%}}
  - {{action: set-weight, member: 2, weight: 30}}
""")
    created = passes(cli, "propose", "file", path)
    assert created["description"] == "Admit Hooli, allow its bridge, raise the quorum"
    assert [a["summary"].split("(")[0] for a in created["actions"]] == [  # type: ignore[union-attr]
        "Consortium.addMember", "Consortium.setUnaffiliatedAccount", "Consortium.setSettings",
        "Consortium.setMemberWeight"]
    hooli = cli.json("members", "show", "Hooli")
    assert hooli["member"]["id"] == 4 and [n["host"] for n in hooli["nodes"]] == ["10.0.0.9"]
    assert cli.json("status")["settings"]["quorum_bps"] == 6000
    assert cli.json("members", "show", "2")["member"]["weight"] == 30
    assert "MAY send" in cli.ok("access", "check-account", bridge, "--to", cli.env.founders[0].admin)
    # --description wins over the file's
    again = cli.json("propose", "file", path, "--description", "Once more", account="acme")
    assert again["proposal"]["description"] == "Once more"


def test_a_wrong_proposal_file_is_named_by_line(cli: Session, tmp_path: Path) -> None:
    path = write(tmp_path, f"""actions:
  - action: suspend
    member: 3
  - action: allow-account
    address: "0x52908400098527886E0F7030069857D2E4169Ee7"
  - action: promote
  - action: set-weight
    member: 2
  - {{action: suspend, member: 3, why: because}}
""")
    block = cli.env.w3.eth.block_number
    err = cli.fails("propose", "file", path, "--description", "x", account="acme")
    assert f"{path}:5: actions[1].address: address 0x52908400098527886E0F7030069857D2E4169Ee7 has a wrong EIP-55 checksum" in err
    assert f"{path}:6: actions[2]: unknown action 'promote'; expected one of: add-member, " in err
    assert f"{path}:7: actions[3].weight: required key is missing" in err
    assert f"{path}:9: actions[4].why: unknown key (not allowed here)" in err
    # what needs the chain is checked before anything is sent, with the action's line
    path = write(tmp_path, f"""actions:
  - {{action: suspend, member: 3}}
  - action: add-member
    name: Hooli
    weight: 20
    accounts: [{{address: "{cli.env.spare[5]}", roles: [admin]}}]
    nodes:
      - {{enode: "enode://{enode(9)}@10.0.0.9:30303", node_key: missing}}
""")
    err = cli.fails("propose", "file", path, "--description", "x", account="acme")
    assert err.startswith(f"Error: {path}:3: actions[1]: cannot read the node key file")
    path = write(tmp_path, "actions:\n  - {action: suspend, member: 3}\n")
    assert "the proposal needs a description" in cli.fails("propose", "file", path, account="acme")
    assert cli.env.w3.eth.block_number == block
    result = cli.run("propose", "file", str(tmp_path / "none.yaml"), account="acme", as_json=True)
    assert result.exit_code == 3 and "no such file" in json.loads(result.stderr)["error"]["message"]
