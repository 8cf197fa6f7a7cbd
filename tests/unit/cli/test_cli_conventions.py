"""The CLI's conventions (docs/cli.md): ``--json`` on every command, errors as one JSON object on
stderr under ``--json``, an exit code per kind of failure from the one table in ``cli/group``,
Ctrl-C as 130 with what was done, and messages in the CLI's words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from consortium_evm import contract_errors
from consortium_evm.cli import COMMANDS, main
from consortium_evm import errors
from consortium_evm.cli.group import EXIT_CODES, KINDS, ConsortiumGroup, exit_kind
from consortium_evm.errors import (
    AccountRequiredError,
    ChainMismatchError,
    ConfigError,
    ConsortiumError,
    DeploymentError,
    ProposalOutcomeError,
    RPCError,
    TransactionTimeoutError,
    WaitTimeoutError,
)
from tests.support.cli import Session, proposal_number
from tests.support.consortium import VOTING_PERIOD


def all_commands() -> list[tuple[str, ...]]:
    """Every command path of the CLI (``("node", "start")``, ``("status",)``, ...)."""
    ctx = click.Context(main)
    paths: list[tuple[str, ...]] = []

    def walk(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, (*path, name))
        else:
            paths.append(path)

    walk(main, ())
    return paths


def command(path: tuple[str, ...]) -> click.Command:
    ctx = click.Context(main)
    found: click.Command = main
    for name in path:
        assert isinstance(found, click.Group)
        sub = found.get_command(ctx, name)
        assert sub is not None
        found = sub
    return found


def test_every_command_takes_json() -> None:
    paths = all_commands()
    assert {p[0] for p in paths} == set(COMMANDS)
    assert ("node", "start") in paths and ("genesis", "keys") in paths and ("run",) in paths
    missing = [" ".join(p) for p in paths if "--json" not in {o for prm in command(p).params for o in prm.opts}]
    assert missing == []


# ------------------------------------------------------------------------------------- the table


@pytest.mark.parametrize(("error", "kind", "code"), [
    (ConfigError("x"), "config", 3),
    (AccountRequiredError("voting"), "config", 3),
    (DeploymentError("x"), "config", 3),
    (errors.DeploymentRevertError("step 'x' would revert"), "refused", 5),
    (errors.DeploymentTimeoutError("step 'x': no receipt"), "connection", 4),
    (errors.SignerUnreachableError("x"), "connection", 4),
    (errors.SignerRefusedError("x"), "refused", 5),
    (errors.SignerAccountError("x"), "config", 3),
    (RPCError("x"), "connection", 4),
    (ChainMismatchError("x"), "connection", 4),
    (TransactionTimeoutError("x", "0x12"), "connection", 4),
    (contract_errors.AlreadyVoted("AlreadyVoted", {"proposalId": 1, "memberId": 1}), "refused", 5),
    (ProposalOutcomeError("x"), "refused", 5),
    (WaitTimeoutError("x"), "timeout", 6),
    (ConsortiumError("x"), "error", 1),
    (click.UsageError("x"), "usage", 2),
    (KeyboardInterrupt(), "interrupted", 130),
])
def test_each_error_has_its_kind_and_code(error: BaseException, kind: str, code: int) -> None:
    assert (exit_kind(error).kind, exit_kind(error).code) == (kind, code)


def test_the_table_has_one_code_per_kind() -> None:
    assert len({k.code for k in KINDS}) == len(KINDS) == len({k.kind for k in KINDS})
    assert {kind for _cls, kind in EXIT_CODES} == set(KINDS)


def failing_group(error: BaseException) -> click.Group:
    @click.group(cls=ConsortiumGroup)
    def group() -> None:
        pass

    @group.command("go")
    @click.option("--json", "as_json", is_flag=True)
    def go(as_json: bool) -> None:
        raise error

    return group


@pytest.mark.parametrize(("error", "code"), [
    (ConfigError("the file is wrong"), 3), (RPCError("no node"), 4),
    (contract_errors.NotMemberAdmin("NotMemberAdmin", {"account": "0x" + "ab" * 20, "memberId": 0}), 5),
])
def test_errors_are_one_line_or_one_json_object_on_stderr(error: ConsortiumError, code: int) -> None:
    group = failing_group(error)
    plain = CliRunner().invoke(group, ["go"])
    assert plain.exit_code == code and plain.stdout == ""
    assert plain.stderr == f"Error: {error}\n"
    result = CliRunner().invoke(group, ["go", "--json"])
    assert result.exit_code == code and result.stdout == ""
    data = json.loads(result.stderr)
    assert data["error"]["exitCode"] == code and data["error"]["message"] == str(error)
    assert data["error"]["type"] == type(error).__name__
    if code == 5:
        assert data["error"]["kind"] == "refused" and data["error"]["revert"]["name"] == "NotMemberAdmin"
        assert data["error"]["revert"]["args"]["memberId"] == 0


def test_a_usage_mistake_is_2_and_json_under_json() -> None:
    result = CliRunner().invoke(main, ["members", "list", "--bogus", "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stderr)
    assert data["error"]["kind"] == "usage" and "--bogus" in data["error"]["message"]
    plain = CliRunner().invoke(main, ["members", "list", "--bogus"])
    assert plain.exit_code == 2 and "Usage:" in plain.stderr


def test_ctrl_c_exits_130_without_aborted() -> None:
    result = CliRunner().invoke(failing_group(KeyboardInterrupt()), ["go"])
    assert result.exit_code == 130
    assert result.stderr.startswith("Interrupted: stopped by Ctrl-C") and "Aborted" not in result.output
    as_json = CliRunner().invoke(failing_group(KeyboardInterrupt()), ["go", "--json"])
    assert as_json.exit_code == 130 and json.loads(as_json.stderr)["error"]["kind"] == "interrupted"


def test_ctrl_c_during_a_deployment_says_what_the_journal_holds(tmp_path: Path, monkeypatch: Any) -> None:
    import consortium_evm.cli.deploy as deploy_cli
    from consortium_evm.deploy.journal import Journal, JournalStep

    journal = Journal("local", 1337, "0x" + "11" * 20, {}, path=tmp_path / "local.journal.json")
    journal.record(JournalStep("Consortium", 0, "0x" + "aa" * 32, "0x", status="mined", block_number=3, gas_used=1))
    journal.record(JournalStep("PermissionIngress", 1, "0x" + "bb" * 32, "0x"))

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(deploy_cli, "connect", interrupted)
    result = CliRunner().invoke(main, ["deploy", "--network", "local", "--consortium", "c.yaml",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 130, result.output
    message = result.stderr
    assert "Aborted" not in message and message.startswith("Interrupted: stopped by Ctrl-C; the journal")
    assert "1 transaction(s) mined, 1 sent and not yet seen mined (a rerun waits for them)" in message
    assert "run the same `consortium-evm deploy --network local ...` again to resume" in message


# ------------------------------------------------------------------------------------- messages


def test_a_write_without_account_says_account_in_cli_words(cli: Session) -> None:
    err = cli.fails("propose", "suspend", "3")
    assert err.strip() == ("Error: proposing needs a signing account: give --account NAME (a named account of the "
                           "network in networks.yaml; env CONSORTIUM_ACCOUNT)")
    assert "account=NAME" not in err
    # the library keeps the Python API's words
    assert "connect with account=NAME" in str(AccountRequiredError("proposing"))


def test_members_show_says_what_it_accepts_and_takes_a_name(cli: Session) -> None:
    err = cli.fails("members", "show", "foo")
    assert err.strip() == "Error: no member matches 'foo': give a member name, id, account address or enode (URL, id or node key)"
    assert cli.json("members", "show", "globex logistics")["member"]["id"] == 2


def test_executing_early_gives_the_times(cli: Session) -> None:
    number = proposal_number(cli.ok("propose", "suspend", "3", account="acme"))
    shown = cli.json("proposals", "show", number)
    from consortium_evm.util.times import utc

    err = cli.fails("proposals", "execute", number, account="relay", code=5)
    assert err.startswith("Error: reverted with ProposalNotExecutable(")
    assert (f"{number} is active: voting ends at {utc(shown['vote_end'])}; if it passes it is executable at "
            f"{utc(shown['executable_at'])} and expires at {utc(shown['expires_at'])}") in err
    cli.ok("proposals", "vote", number, "for", account="acme")
    cli.ok("proposals", "vote", number, "for", account="globex")
    cli.env.advance(VOTING_PERIOD + 1)
    cli.ok("proposals", "execute", number, account="relay")
    assert f"{number} is executed" in cli.fails("proposals", "execute", number, account="relay", code=5)


def test_an_unknown_network_is_said_to_be_unknown(tmp_path: Path) -> None:
    (tmp_path / "networks.yaml").write_text("networks:\n  target:\n    url: http://127.0.0.1:9\n    chain_id: 1337\n")
    result = CliRunner().invoke(main, ["status", "--network", "nowhere", "--networks", str(tmp_path / "networks.yaml"),
                                       "--deployments", str(tmp_path / "deployments"), "--json"])
    assert result.exit_code == 3
    message = json.loads(result.stderr)["error"]["message"]
    assert "no network named 'nowhere'; known networks: target, tester" in message
    assert "deploy" not in message


# ------------------------------------------------------------------------------------- --json outputs


def test_client_commands_print_json(cli: Session) -> None:
    for args in (("status",), ("members", "list"), ("members", "show", "1"), ("proposals", "list"),
                 ("access", "check-account", cli.env.founders[0].user, "--deploy")):
        cli.json(*args)
    created = cli.json("propose", "suspend", "3", account="acme")
    assert created["proposal"]["number"] == 1


def test_genesis_keys_and_node_stop_print_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["genesis", "keys", "-n", "2", "-o", str(tmp_path / "keys"), "--dev", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [Path(n["nodekey"]).is_file() for n in data["nodes"]] == [True, True]
    assert all(n["enode"].startswith("enode://") for n in data["nodes"]) and "private" not in result.stdout
    stopped = CliRunner().invoke(main, ["node", "stop", "--data-dir", str(tmp_path / "none"), "--json"])
    assert stopped.exit_code == 0, stopped.output
    assert json.loads(stopped.stdout) == {"dataDir": str((tmp_path / "none").resolve()), "stopped": 0, "nodes": []}


def test_run_prints_the_result_as_json(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("def main(ctx):\n    ctx.echo('hello')\n    return {'chain': ctx.w3.eth.chain_id, 'args': list(ctx.args)}\n")
    result = CliRunner().invoke(main, ["run", str(script), "--network", "tester", "--json", "a"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"script": str(script), "network": "tester",
                                         "result": {"chain": 131277322940537, "args": ["a"]}}
    assert result.stderr.strip() == "hello"
