"""The member commands of the CLI, as a person and a script use them: each command's table and its
``--json``, and each failure as one line on stderr with the exit code of its kind (2 usage, 3
configuration, 4 connection, 5 on-chain refusal, 6 timeout).

The commands run against the session's embedded chain through a client factory passed in the click
context (``obj={"client_factory": ...}``), the hook an embedding program uses too; the failure
tests at the end go through the real path (networks.yaml, deployment manifest, node)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from consortium_evm.cli import main
from tests.support.cli import Session, node_key_file, proposal_number
from tests.support.consortium import VOTING_PERIOD, enode

# ------------------------------------------------------------------------------------- reads


def test_status_table_and_json(cli: Session) -> None:
    out = cli.ok("status")
    assert f"Consortium   {cli.env.deployment.consortium}" in out
    assert "rules in force: the Consortium itself" in out
    assert "Members      3 active of 3; 3 admin accounts, 3 nodes; weight 100 active of 100" in out
    assert "quorum 50.00%, threshold 50.01%" in out and "voting period 1h" in out and "expiry 1w" in out
    data = cli.json("status")
    assert data["totals"]["active_members"] == 3 and data["settings"]["quorum_bps"] == 5000
    assert data["node_match"] == "enode_id" and data["governance_started"] is True
    assert cli.made[0].network == "test" and cli.made[0].account is None


def test_members_list_table_and_json(cli: Session) -> None:
    out = cli.ok("members", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "WEIGHT", "STATUS", "ACCOUNTS", "ADMINS", "NODES", "JOINED"]
    assert re.match(r"\s*1\s+Acme Bank\s+40\s+active\s+2\s+1\s+1\s+\d{4}-", lines[2])
    assert lines[-1] == "3 member(s)"
    data = cli.json("members", "list")
    assert [(m["id"], m["name"], m["weight"], m["status"]) for m in data] == [
        (1, "Acme Bank", 40, "active"), (2, "Globex Logistics", 35, "active"), (3, "Initech Insurance", 25, "active"),
    ]


def test_members_show_by_id_account_or_node(cli: Session) -> None:
    acme = cli.env.founders[0]
    for selector in ("1", acme.user, f"enode://{acme.node.enode_id}@10.9.9.9:1"):
        out = cli.ok("members", "show", selector)
        assert out.startswith("Member 1: Acme Bank")
        assert acme.admin in out and acme.user in out and "10.0.0.1" in out
    data = cli.json("members", "show", "2")
    assert data["member"]["name"] == "Globex Logistics"
    assert {a["address"] for a in data["accounts"]} == {cli.env.founders[1].admin, cli.env.founders[1].user}
    assert [n["host"] for n in data["nodes"]] == ["10.0.0.2"]
    assert "no member matches" in cli.fails("members", "show", cli.env.spare[3])


def test_member_admin_manages_its_own_accounts_and_nodes(cli: Session, tmp_path: Path) -> None:
    newcomer, node = cli.env.spare[4], f"enode://{enode(40)}@10.0.0.40:30303"
    out = cli.ok("members", "add-account", newcomer, "--roles", "transact,deploy", account="acme")
    assert out.startswith("Added 1 account(s) with roles transact,deploy (tx 0x")
    data = cli.json("members", "add-node", node, "--node-key", node_key_file(tmp_path, 40), account="acme")
    assert data["nodes"] == [node] and data["gas_used"] > 0 and data["tx_hash"].startswith("0x")
    shown = cli.json("members", "show", "1")
    assert newcomer in {a["address"] for a in shown["accounts"]}
    assert "10.0.0.40" in {n["host"] for n in shown["nodes"]}
    assert "MAY create a contract" in cli.ok("access", "check-account", newcomer, "--deploy")
    assert "Removed 1 node(s)" in cli.ok("members", "remove-node", node, account="acme")
    assert "Removed 1 account(s)" in cli.ok("members", "remove-account", newcomer, account="acme")
    assert "may NOT create a contract" in cli.ok("access", "check-account", newcomer, "--deploy")
    # Another member's admin cannot touch Acme's accounts.
    err = cli.fails("members", "remove-account", cli.env.founders[0].user, "--member", "1", account="globex")
    assert err.startswith("Error: reverted with NotMemberAdmin(")


# ------------------------------------------------------------------------------------- admin acceptance, node consent


def test_a_new_admin_accepts_directly_or_by_a_relayed_signature(cli: Session) -> None:
    newcomer, pending = cli.env.spare[4], cli.env.spare[5]
    cli.ok("members", "add-account", newcomer, "--roles", "admin,transact", account="acme")
    cli.ok("members", "add-account", pending, "--roles", "admin", account="acme")
    shown = cli.ok("members", "show", "1")
    assert f"admins    1 accepted, 2 pending acceptance: {newcomer}, {pending}" in shown
    assert re.search(rf"{newcomer}\s+transact \(admin: not accepted yet\)\s+yes", shown), shown
    assert {a["address"]: a["admin_pending"] for a in cli.json("members", "show", "1")["accounts"]}[pending] is True
    # before it accepts it does not act as admin
    assert cli.fails("members", "add-account", cli.env.spare[6], account="newcomer").startswith(
        "Error: reverted with NotMemberAdmin(")
    out = cli.ok("members", "accept-admin", account="newcomer")
    assert out.startswith(f"{newcomer} accepted its admin registration: it is an admin of member 1 (tx 0x")
    again = cli.fails("members", "accept-admin", account="newcomer")
    assert again.startswith(f"Error: reverted with NoPendingAdmin(account='{newcomer}')") and again.count("\n") == 1

    # an admin-only account signs; anyone relays
    signed = cli.ok("members", "sign-acceptance", account="pending")
    signature = signed.splitlines()[0]
    assert re.fullmatch(r"0x[0-9a-f]{130}", signature) and f"members submit-acceptance {pending}" in signed
    data = cli.json("members", "sign-acceptance", account="pending")
    assert (data["account"], data["member_id"], data["nonce"], data["signature"]) == (pending, 1, 0, signature)
    assert "needs a signing account" in cli.fails("members", "sign-acceptance")
    forged = cli.fails("members", "submit-acceptance", pending, "0x" + "11" * 65, account="relay")
    assert forged.startswith(f"Error: reverted with InvalidConsentSignature(account='{pending}')") and forged.count("\n") == 1
    assert "is not a signature" in cli.fails("members", "submit-acceptance", pending, "0x1234", account="relay")
    relayed = cli.json("members", "submit-acceptance", pending, signature, account="relay")
    assert (relayed["account"], relayed["member_id"]) == (pending, 1) and relayed["tx_hash"].startswith("0x")
    assert "admins    3 accepted" in cli.ok("members", "show", "1")
    assert "NoPendingAdmin" in cli.fails("members", "sign-acceptance", account="pending")


def test_a_node_is_added_with_its_operators_consent(cli: Session, tmp_path: Path) -> None:
    node = f"enode://{enode(41)}@10.0.0.41:30303"
    key_file = node_key_file(tmp_path, 41)
    # the operator signs offline for member 1 (nothing is sent) and hands the signature over
    signature = cli.ok("members", "sign-node", node, "--node-key", key_file, "--member", "1").splitlines()[0]
    assert re.fullmatch(r"0x[0-9a-f]{130}", signature)
    data = cli.json("members", "sign-node", node, "--node-key", key_file, "--member", "next")
    assert (data["member_id"], data["enode"], data["chain_id"]) == (4, node, cli.env.w3.eth.chain_id)
    for_globex = cli.json("members", "sign-node", node, "--node-key", key_file, "--member", "2")["signature"]

    # refusals: each one line, naming the node
    missing = cli.fails("members", "add-node", node, account="acme")
    assert missing.startswith("Error: each node needs its node key's consent: give --node-key FILE") and missing.count("\n") == 1
    stolen = cli.fails("members", "add-node", node, "--signature", for_globex, account="acme")
    assert stolen.startswith("Error: reverted with InvalidNodeSignature(nodeKey=") and stolen.count("\n") == 1
    assert f"node {node} has a consent signature that is not its node key's for member 1" in stolen
    wrong_key = cli.fails("members", "add-node", node, "--node-key", node_key_file(tmp_path, 42), account="acme")
    assert "the node key given is not the key of node" in wrong_key
    (tmp_path / "garbage").write_text("not a key")
    assert "is not a node key" in cli.fails("members", "add-node", node, "--node-key", str(tmp_path / "garbage"),
                                            account="acme")
    assert "cannot read the node key file" in cli.fails("members", "add-node", node, "--node-key",
                                                        str(tmp_path / "none"), account="acme")
    both = cli.fails("members", "add-node", node, "--node-key", key_file, "--signature", signature, account="acme")
    assert "either --node-key or --signature" in both
    two = cli.fails("members", "add-node", node, f"enode://{enode(42)}@h:1", "--signature", signature, account="acme")
    assert "2 node(s) but 1 --signature" in two
    assert "not a member id" in cli.fails("members", "sign-node", node, "--node-key", key_file, "--member", "me")

    out = cli.ok("members", "add-node", node, "--signature", signature, account="acme")
    assert out.startswith("Added 1 node(s) (tx 0x")
    assert "10.0.0.41" in {n["host"] for n in cli.json("members", "show", "1")["nodes"]}


def test_propose_add_member_takes_its_nodes_consents(cli: Session, tmp_path: Path) -> None:
    node9, node10 = f"enode://{enode(9)}@10.0.0.9:30303", f"enode://{enode(10)}@10.0.0.10:30303"
    base = ("propose", "add-member", "--name", "Hooli", "--weight", "20",
            "--member-account", f"{cli.env.spare[5]}=admin,transact")
    block = cli.env.w3.eth.block_number
    # a consent for member 3 (not the id Hooli will get) is refused before a doomed proposal is made
    for_3 = cli.json("members", "sign-node", node9, "--node-key", node_key_file(tmp_path, 9), "--member", "3")
    early = cli.fails(*base, "--node", node9, "--node-signature", for_3["signature"], account="acme", code=5)
    assert early.startswith("Error: InvalidNodeSignature(nodeKey=") and early.count("\n") == 1
    assert f"found before sending: node {node9} has a consent signature that is not its node key's for member 4" in early
    assert "each node needs its node key's consent" in cli.fails(*base, "--node", node9, account="acme")
    assert "go with --node" in cli.fails(*base, "--node-key", node_key_file(tmp_path, 9), account="acme")
    assert cli.env.w3.eth.block_number == block

    # one node signed here, in the order of the nodes; then a second proposal with the operator's signature
    for_4 = cli.json("members", "sign-node", node10, "--node-key", node_key_file(tmp_path, 10), "--member", "next")
    created = cli.json(*base, "--node", node9, "--node", node10, "--node-key", node_key_file(tmp_path, 9),
                       "--node-key", node_key_file(tmp_path, 10), account="acme")
    assert "Consortium.addMember(name='Hooli'" in created["proposal"]["actions"][0]["summary"]
    created = cli.json(*base, "--node", node10, "--node-signature", for_4["signature"], account="acme")
    number = "#" + str(created["proposal"]["number"])
    for voter in ("acme", "globex"):
        cli.ok("proposals", "vote", number, "for", account=voter)
    cli.env.advance(VOTING_PERIOD + 1)
    cli.ok("proposals", "execute", number, account="relay")
    shown = cli.json("members", "show", "4")
    assert shown["member"]["name"] == "Hooli" and [n["host"] for n in shown["nodes"]] == ["10.0.0.10"]
    assert [a["admin_pending"] for a in shown["accounts"]] == [True]


# ------------------------------------------------------------------------------------- a governance round


def test_propose_vote_sign_submit_execute(cli: Session, tmp_path: Path) -> None:
    out = cli.ok("propose", "set-weight", "2", "30", account="acme")
    number = proposal_number(out)
    assert "Set the weight of member 2 (Globex Logistics) from 35 to 30" in out

    vote = cli.ok("proposals", "vote", number, "for", account="acme")
    assert vote.startswith(f"Member 1 voted for with weight 40 on proposal {number}")

    signed = cli.run("proposals", "sign-vote", number, "yes", account="globex")
    assert signed.exit_code == 0, signed.output
    ballot = json.loads(signed.output)
    assert ballot["support"] == "for" and ballot["voter"] == cli.env.founders[1].admin and ballot["nonce"] == 0
    (tmp_path / "ballot.json").write_text(signed.output)
    result = CliRunner().invoke(
        main, ["proposals", "submit-vote", str(tmp_path / "ballot.json"), "--network", "test", "--account", "relay", "--json"],
        obj={"client_factory": cli.factory},
    )
    assert result.exit_code == 0, result.output
    submitted = json.loads(result.output)
    assert submitted["member_id"] == 2 and submitted["weight"] == 35 and submitted["voter"] == ballot["voter"]

    table = cli.ok("proposals", "list")
    assert re.search(rf"{number}\s+active\s+75\s+0\s+0\s+75/50", table), table
    shown = cli.ok("proposals", "show", number)
    assert "1. Consortium.setMemberWeight(memberId=2, weight=30)" in shown
    assert "quorum 50 (reached)" in shown and "(met)" in shown

    early = cli.fails("proposals", "execute", number, account="relay")
    assert early.startswith("Error: reverted with ProposalNotExecutable(")

    cli.env.advance(VOTING_PERIOD + 1)
    assert cli.json("proposals", "list", "--state", "succeeded")[0]["tally"]["for_votes"] == 75
    executed = cli.json("proposals", "execute", number, account="relay")
    assert executed["gas_used"] > 0
    assert cli.json("proposals", "show", number)["state"] == "executed"
    assert cli.json("members", "list")[1]["weight"] == 30


def test_each_propose_command_builds_its_action(cli: Session, tmp_path: Path) -> None:
    expected = {
        ("propose", "suspend", "3"): "Consortium.suspendMember(memberId=3)",
        ("propose", "reinstate", "3"): "Consortium.reinstateMember(memberId=3)",
        ("propose", "remove-member", "3"): "Consortium.removeMember(memberId=3)",
        ("propose", "set-param", "quorum", "60%"): "quorumBps': 6000",
        ("propose", "set-param", "voting-period", "2h"): "votingPeriod': 7200",
        ("propose", "call", cli.env.deployment.ingress, "setRules(address,bytes,string,uint16)",
         cli.env.deployment.consortium, cli.env.founders[0].node.enode_id, cli.env.founders[0].node.host, "30303"):
            "PermissionIngress.setRules(newRules=",
        ("propose", "set-rules", cli.env.deployment.consortium):
            f"PermissionIngress.setRules(newRules='{cli.env.deployment.consortium}', publicKey=0x{cli.env.founders[1].node.enode_id}",
        ("propose", "add-member", "--name", "Hooli", "--weight", "20",
         "--member-account", f"{cli.env.spare[5]}=admin,transact", "--node", f"enode://{enode(9)}@10.0.0.9:30303",
         "--node-key", node_key_file(tmp_path, 9)):
            "Consortium.addMember(name='Hooli'",
    }
    for args, summary in expected.items():
        created = cli.json(*args, account="globex")
        actions = created["proposal"]["actions"]
        assert len(actions) == 1 and summary in actions[0]["summary"], (args, actions)
        assert created["proposal"]["state"] == "active" and created["proposal"]["proposer_member_id"] == 2
    assert len(cli.json("proposals", "list")) == len(expected)


def test_cancel_and_wait(cli: Session) -> None:
    number = proposal_number(cli.ok("propose", "suspend", "3", account="acme"))
    assert "NotProposer" in cli.fails("proposals", "cancel", number, account="globex")
    assert cli.ok("proposals", "cancel", number, account="acme").startswith(f"Canceled proposal {number}")
    assert cli.ok("proposals", "wait", number, "canceled", "--timeout", "1").strip() == f"Proposal {number} is canceled"
    ended = cli.fails("proposals", "wait", number, "executed", "--timeout", "1", "--poll", "0.1", code=5)
    assert ended.startswith(f"Error: proposal {number} ended canceled")
    number = proposal_number(cli.ok("propose", "suspend", "3", account="acme"))
    timed_out = cli.fails("proposals", "wait", number, "succeeded", "--timeout", "0.2", "--poll", "0.1", code=6)
    assert "is still active after 0.2 s" in timed_out


# ------------------------------------------------------------------------------------- access and events


def test_access_checks(cli: Session) -> None:
    acme = cli.env.founders[0]
    assert cli.ok("access", "check-account", acme.user, "--to", acme.admin).strip() == f"{acme.user} MAY send to {acme.admin}"
    data = cli.json("access", "check-account", cli.env.spare[2], "--to", acme.admin)
    assert data == {"sender": cli.env.spare[2], "target": acme.admin, "allowed": False}
    assert "MAY connect" in cli.ok("access", "check-node", f"enode://{acme.node.enode_id}@1.2.3.4:30303")
    assert "may NOT connect" in cli.ok("access", "check-node", enode(77), "--host", "1.2.3.4", "--port", "30303")
    assert "either --to TARGET or --deploy" in cli.fails("access", "check-account", acme.user)


def test_events_history_and_json_lines(cli: Session) -> None:
    number = proposal_number(cli.ok("propose", "suspend", "3", account="acme"))
    cli.ok("proposals", "vote", number, "against", account="globex")
    out = cli.ok("events", "--kind", "proposals", "--kind", "votes")
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(f"proposal {number} created by member 1: Suspend member 3 (Initech Insurance)")
    assert f"member 2 voted against on proposal {number} with weight 35" in lines[1]
    everything = cli.ok("events")
    assert "member 1 added: Acme Bank (weight 40)" in everything and "governance took over" in everything
    records = [json.loads(line) for line in cli.run("events", "--member", "2", as_json=True).output.splitlines()]
    assert records and all(r["args"]["memberId"] == 2 for r in records)
    assert {r["name"] for r in records} >= {"MemberAdded", "AccountAdded", "NodeAdded", "VoteCast"}
    assert "--to-block and --follow" in cli.fails("events", "--follow", "--to-block", "3")


def test_events_follow_yields_from_a_block_and_stops_after_count(cli: Session) -> None:
    number = proposal_number(cli.ok("propose", "suspend", "3", account="acme"))
    cli.ok("proposals", "vote", number, "for", account="acme")
    result = cli.run("events", "--follow", "--from-block", "0", "--kind", "votes", "--kind", "proposals",
                     "--count", "2", "--poll", "0.1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "following from block 0 (Ctrl-C stops)"  # on stderr, mixed in by the runner
    assert "created by member 1" in lines[1] and "member 1 voted for" in lines[2] and len(lines) == 3
    assert "--count goes with --follow" in cli.fails("events", "--count", "2")


# ------------------------------------------------------------------------------------- failures, for real


def test_writes_without_an_account_say_so(cli: Session) -> None:
    err = cli.fails("propose", "suspend", "3")
    assert err.startswith("Error: proposing needs a signing account")


def test_a_revert_is_one_line_with_its_name_and_meaning(cli: Session) -> None:
    err = cli.fails("propose", "suspend", "3", account="relay")
    assert err.count("\n") == 1
    assert err.startswith("Error: reverted with NotMemberAdmin(account=")
    assert "Only an admin account of an active member may do this" in err


def test_usage_mistakes_exit_2(cli: Session) -> None:
    out = cli.fails("proposals", "vote", "#1", "maybe", account="acme", code=2)
    assert "'maybe' is not one of 'for', 'against', 'abstain'" in out


def write_network(tmp_path: Path, url: str, chain_id: int = 1337) -> None:
    (tmp_path / "networks.yaml").write_text(
        f"networks:\n  target:\n    url: {url}\n    chain_id: {chain_id}\n    consensus: dev\n    timeout: 2\n    retries: 0\n"
    )


def invoke(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--networks", str(tmp_path / "networks.yaml"),
                                     "--deployments", str(tmp_path / "deployments")])


def test_no_deployment_names_the_file_and_the_command(tmp_path: Path) -> None:
    write_network(tmp_path, "http://127.0.0.1:9")
    result = invoke(tmp_path, "status", "--network", "target")
    assert result.exit_code == 3
    assert "no deployment of network 'target'" in result.output and "consortium-evm deploy --network target" in result.output


def test_unreachable_node_and_unknown_network(tmp_path: Path) -> None:
    write_network(tmp_path, "http://127.0.0.1:9")
    (tmp_path / "deployments").mkdir()
    manifest = {"chainId": 1337, "contracts": {"Consortium": {"address": "0x" + "11" * 20, "blockNumber": 0},
                                              "PermissionIngress": {"address": "0x" + "22" * 20}}}
    (tmp_path / "deployments" / "target.json").write_text(json.dumps(manifest))
    result = invoke(tmp_path, "members", "list", "--network", "target")
    assert result.exit_code == 4
    assert "cannot reach the JSON-RPC endpoint at http://127.0.0.1:9" in result.output
    (tmp_path / "deployments" / "elsewhere.json").write_text(json.dumps(manifest))
    result = invoke(tmp_path, "members", "list", "--network", "elsewhere")
    assert result.exit_code == 3 and "no network named 'elsewhere'" in result.output
