"""What the library gained for the CLI: ``members.find`` (name, id, address, enode),
``actions.change_settings``, ``actions.planned`` (a proposal file's actions), and
AccountRequiredError's parts (the CLI says the remedy in its own words)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from consortium_evm.client import ConsortiumClient
from consortium_evm.config.proposal_file import load_proposal_file
from consortium_evm.contract_errors import UnknownMember
from consortium_evm.errors import AccountRequiredError, ConfigError
from tests.support.client import pass_proposal
from tests.support.consortium import Env


def test_find_a_member_by_name_id_account_or_node(client: ConsortiumClient, env: Env) -> None:
    acme = env.founders[0]
    for selector in (1, "1", " acme bank ", acme.user, f"enode://{acme.node.enode_id}@1.2.3.4:1", acme.node.enode_id):
        assert client.members.find(selector).name == "Acme Bank"
    with pytest.raises(ConfigError, match="no member matches 'foo': give a member name, id, account address or enode"):
        client.members.find("foo")
    with pytest.raises(ConfigError, match="no member matches"):
        client.members.find(env.spare[3])
    with pytest.raises(UnknownMember):
        client.members.find("9")


def test_change_settings_keeps_the_others(client: ConsortiumClient, env: Env) -> None:
    before = client.settings()
    pass_proposal(client, env, client.actions.change_settings(quorum_bps=6000, voting_delay=60), "two settings")
    after = client.settings()
    assert (after.quorum_bps, after.voting_delay) == (6000, 60)
    assert (after.threshold_bps, after.voting_period, after.expiry_period) == \
        (before.threshold_bps, before.voting_period, before.expiry_period)
    with pytest.raises(ConfigError, match="unknown governance parameter 'quorum'"):
        client.actions.change_settings(quorum=1)
    with pytest.raises(ConfigError, match="no governance parameter to change"):
        client.actions.change_settings()


def test_planned_actions_locate_their_errors(client: ConsortiumClient, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("actions:\n  - {action: suspend, member: 3}\n  - {action: set-node-match, mode: enode_id}\n"
                    "  - {action: add-validator, address: '0x0000000000000000000000000000000000000001'}\n")
    plan = load_proposal_file(path)
    built = client.actions.planned(plan.actions[:2])
    assert [a.summary for a in built] == ["Consortium.suspendMember(memberId=3)", "Consortium.setNodeMatch(mode=0)"]
    with pytest.raises(ConfigError, match=rf"^{path}:4: actions\[2\]: this consortium has no ValidatorSet"):
        client.actions.planned(plan.actions)


def test_account_required_keeps_its_parts() -> None:
    exc = AccountRequiredError("voting")
    assert str(exc) == f"voting needs a signing account: {AccountRequiredError.API_REMEDY}"
    assert exc.message_with("give --account NAME") == "voting needs a signing account: give --account NAME"
    copy = pickle.loads(pickle.dumps(exc))
    assert str(copy) == str(exc) and copy.what == "voting"
    keyless = AccountRequiredError("signing", "needs a local key", None)
    assert keyless.message_with("give --account NAME") == str(keyless) == "signing needs a local key"
