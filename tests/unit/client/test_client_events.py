"""``client.events`` on the embedded chain: the history as typed records (by kind and category, by
member, by proposal, by block range), read in chunks and equal to the contracts' own logs; and
``watch``, which yields new events as blocks arrive, holds back unconfirmed blocks, resumes from
``next_block`` and stops when told."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consortium_evm.client import (
    ConsortiumClient,
    Event,
    MemberEvent,
    NodeSpec,
    ProposalEvent,
    Role,
    Support,
    VoteEvent,
)
from consortium_evm.client.events import ALL_EVENTS, CATEGORIES, MEMBER_EVENTS, PROPOSAL_EVENTS, VALIDATOR_EVENTS
from consortium_evm.domain.proposals import proposal_number
from consortium_evm.errors import ConfigError
from consortium_evm.node.tester import revert_to, snapshot
from tests.support.client import make_client, pass_proposal
from tests.support.consortium import Env, enode, node_private_key


def activity(env: Env, client: ConsortiumClient) -> dict[str, Any]:
    """Some of everything: a passed proposal (suspension and a setting), a canceled one, a member
    managing its accounts and nodes. Returns what was done."""
    passed = pass_proposal(client, env, [client.actions.suspend_member(3), client.actions.set_param("quorum_bps", 6000)],
                           "suspend 3, quorum 60%", founders=(0, 1))
    canceled = client.proposals.create(client.actions.set_weight(2, 1), "weight 1").proposal_id
    client.proposals.cancel(canceled)
    client.members.add_accounts({env.spare[2]: "admin"})
    client.with_account(env.spare[2]).members.accept_admin()
    client.members.add_accounts({env.spare[1]: "transact,deploy"})
    client.members.add_nodes([client.members.signed_node(f"enode://{enode(50)}@node50.example:30350",
                                                         node_private_key(50), 1)])
    client.members.remove_accounts([env.spare[1]])
    return {"passed": passed.id, "canceled": canceled}


def chain_logs(env: Env, name: str) -> list[tuple[int, str, int, dict[str, Any]]]:
    contract = env.ingress if name == "RulesChanged" else env.consortium
    logs = getattr(contract.events, name).get_logs(from_block=0)
    return [(log.blockNumber, "0x" + bytes(log.transactionHash).hex(), log.logIndex, dict(log.args)) for log in logs]


def shape(events: Iterable[Event]) -> list[tuple[int, str, int, dict[str, Any]]]:
    return [(e.block_number, e.tx_hash, e.log_index, dict(e.args)) for e in events]


def test_history_is_the_contracts_logs_as_typed_records(env: Env, client: ConsortiumClient) -> None:
    done = activity(env, client)
    everything = client.events.history()
    assert [(e.block_number, e.log_index) for e in everything] == sorted((e.block_number, e.log_index) for e in everything)
    for name in ALL_EVENTS:
        if name in VALIDATOR_EVENTS:  # this consortium has no ValidatorSet (test_client_validators.py)
            continue
        by_name = client.events.history(kinds=[name])
        assert shape(by_name) == chain_logs(env, name), name
        assert by_name == [e for e in everything if e.name == name]
    for category, names in CATEGORIES.items():
        if category == "validators":
            continue
        assert client.events.history(kinds=category) == [e for e in everything if e.name in names]
    assert client.events.history(kinds=["votes", "VoteCast"]) == client.events.history(kinds="votes")
    seen = {e.name for e in everything}
    assert {"MemberAdded", "AccountAdded", "AccountRemoved", "NodeAdded", "MemberSuspended", "ProposalCreated",
            "VoteCast", "ProposalExecuted", "ProposalCanceled", "SettingsChanged", "GovernanceStarted",
            "RulesChanged", "MemberLimitsChanged", "AdminAcceptancePending", "AdminAccepted"} <= seen

    for e in everything:
        expected = (MemberEvent if e.name in MEMBER_EVENTS else ProposalEvent if e.name in PROPOSAL_EVENTS
                    else VoteEvent if e.name == "VoteCast" else Event)
        assert type(e) is expected, e.name
        assert e.key == (e.tx_hash, e.log_index)
        if isinstance(e, MemberEvent):
            assert e.member_id == e.args["memberId"]
        if isinstance(e, (ProposalEvent, VoteEvent)):
            assert e.proposal_id == e.args["proposalId"]
    votes = [e for e in everything if isinstance(e, VoteEvent)]
    assert [(v.member_id, v.voter, v.support, v.weight) for v in votes] == [
        (f.member_id, f.admin, Support.FOR, f.weight) for f in env.founders[:2]]
    assert {e.proposal_id for e in everything if isinstance(e, ProposalEvent)} == {done["passed"], done["canceled"]}

    data = json.loads(json.dumps([e.to_json() for e in everything]))
    assert [d["name"] for d in data] == [e.name for e in everything]
    assert all(d["description"] == e.describe() for d, e in zip(data, everything))
    settings_changed = [d for d in data if d["name"] == "SettingsChanged"][-1]
    assert settings_changed["args"]["settings"]["quorumBps"] == 6000 == client.settings().quorum_bps
    node_added = [d for d in data if d["name"] == "NodeAdded"][-1]
    assert node_added["args"]["publicKey"] == "0x" + enode(50)
    assert node_added["args"]["nodeKey"] == "0x" + NodeSpec(enode(50), "h").key.hex()


def test_describe_tells_what_happened(env: Env, client: ConsortiumClient) -> None:
    done = activity(env, client)
    text = {e.key: e.describe() for e in client.events.history()}
    by_name: dict[str, list[str]] = {}
    for e in client.events.history():
        by_name.setdefault(e.name, []).append(text[e.key])
    assert by_name["MemberAdded"] == [f"member {f.member_id} added: {f.name} (weight {f.weight})" for f in env.founders]
    number = proposal_number(done["passed"])
    assert by_name["VoteCast"] == [
        f"member {f.member_id} voted for on proposal #{number} with weight {f.weight} ({f.admin})"
        for f in env.founders[:2]]
    assert by_name["ProposalCreated"][0] == f"proposal #{number} created by member 1: suspend 3, quorum 60%"
    assert by_name["ProposalExecuted"] == [f"proposal #{number} executed"]
    assert by_name["ProposalCanceled"] == [f"proposal #{number + 1} canceled"]
    assert by_name["MemberSuspended"] == ["member 3 suspended"]
    assert by_name["AccountAdded"][-1] == f"member 1: account {env.spare[1]} added (flags 3)"
    assert by_name["AccountRemoved"] == [f"member 1: account {env.spare[1]} removed"]
    assert by_name["AdminAcceptancePending"] == [
        f"member 1: account {env.spare[2]} registered as admin, waiting for its acceptance"]
    assert by_name["AdminAccepted"] == [f"member 1: account {env.spare[2]} accepted its admin registration"]
    assert by_name["NodeAdded"][-1] == f"member 1: node {enode(50)[:16]}... at node50.example:30350 added"
    assert "quorum 6000 bps" in by_name["SettingsChanged"][-1]
    assert by_name["RulesChanged"] == [
        f"permission rules changed from 0x0000000000000000000000000000000000000000 to {env.consortium.address}"]


def test_history_filters_by_member_proposal_and_blocks(env: Env, client: ConsortiumClient) -> None:
    done = activity(env, client)
    everything = client.events.history()
    member_events = client.events.history(kinds="members", member_id=1)
    assert member_events == [e for e in everything if isinstance(e, MemberEvent) and e.member_id == 1]
    assert {e.name for e in member_events} >= {"MemberAdded", "AccountAdded", "AccountRemoved", "NodeAdded"}
    about_member = client.events.history(member_id=2)  # every kind: its member events and its votes
    assert about_member == [e for e in everything if getattr(e, "member_id", None) == 2]
    assert {type(e) for e in about_member} == {MemberEvent, VoteEvent}
    about_proposal = client.events.history(proposal_id=done["passed"])
    assert [e.name for e in about_proposal] == ["ProposalCreated", "VoteCast", "VoteCast", "ProposalExecuted"]
    assert client.events.history(kinds=["votes"], proposal_id=done["canceled"]) == []
    assert client.events.history(kinds=["votes"], proposal_id=done["passed"], member_id=2) == [
        e for e in about_proposal if isinstance(e, VoteEvent) and e.member_id == 2]

    blocks = sorted({e.block_number for e in everything})
    low, high = blocks[2], blocks[-3]
    assert client.events.history(low, high) == [e for e in everything if low <= e.block_number <= high]
    assert client.events.history(high, high) == [e for e in everything if e.block_number == high]
    assert client.events.history(from_block=high + 1, kinds="members") == [
        e for e in everything if e.block_number > high and isinstance(e, MemberEvent)]
    assert client.events.history(high, low) == []


def test_history_reads_in_chunks_of_log_chunk_blocks(env: Env, reader: ConsortiumClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    whole = make_client(env)
    whole.log_chunk = 10_000
    ranges: list[tuple[int, int]] = []
    get_logs = env.w3.eth.get_logs

    def spy(query: Any) -> Any:
        ranges.append((query["fromBlock"], query["toBlock"]))
        return get_logs(query)

    expected = whole.events.history()
    latest = env.w3.eth.block_number
    monkeypatch.setattr(env.w3.eth, "get_logs", spy)
    reader.log_chunk = 2
    assert reader.events.history() == expected
    assert ranges == [(b, min(b + 1, latest)) for b in range(0, latest + 1, 2)]
    ranges.clear()
    assert reader.events.history(3, latest + 5, kinds=["members"]) == [
        e for e in expected if e.block_number >= 3 and e.name in MEMBER_EVENTS]
    assert ranges == [(b, min(b + 1, latest)) for b in range(3, latest + 1, 2)]  # not past the head


def test_unknown_event_kinds_are_refused(reader: ConsortiumClient) -> None:
    for kinds in (["Transfer"], ["members", "memberadded"], []):
        with pytest.raises(ConfigError) as info:
            reader.events.history(kinds=kinds)
        if kinds:
            assert repr(kinds[-1]) in str(info.value)
    with pytest.raises(ConfigError):
        reader.events.watch(kinds=["Transfer"])


# -- watch ----------------------------------------------------------------------------------------------------------


class Arrivals(threading.Event):
    """A stop event whose every wait is the moment the next block arrives: each wait runs the next
    step (which sends transactions); when none is left, the watch is told to stop."""

    def __init__(self, steps: Iterable[Callable[[], Any]] = ()) -> None:
        super().__init__()
        self.steps = list(steps)
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        if self.steps:
            self.steps.pop(0)()
        else:
            self.set()
        return self.is_set()


def test_watch_yields_new_events_as_blocks_arrive(env: Env, client: ConsortiumClient, reader: ConsortiumClient) -> None:
    start = env.w3.eth.block_number + 1
    state: dict[str, int] = {}
    f2, f3 = (client.with_account(f.admin) for f in env.founders[1:])

    def propose() -> None:
        state["pid"] = client.proposals.create(client.actions.set_weight(3, 30), "weight 30").proposal_id

    steps = [propose, lambda: f2.proposals.vote(state["pid"], "against"),
             lambda: (f3.proposals.vote(state["pid"], "abstain"), client.members.add_accounts({env.spare[2]: 1}))]
    arrivals = Arrivals(steps)
    watch = reader.events.watch(poll_interval=0.01, stop=arrivals)
    seen: list[Event] = []
    for event in watch:
        seen.append(event)
        assert watch.next_block <= env.w3.eth.block_number + 1
    assert seen == reader.events.history(from_block=start)
    assert [e.name for e in seen] == ["ProposalCreated", "VoteCast", "VoteCast", "AccountAdded"]
    assert [e.support for e in seen if isinstance(e, VoteEvent)] == [Support.AGAINST, Support.ABSTAIN]
    assert arrivals.waits == len(steps) + 1
    assert watch.next_block == env.w3.eth.block_number + 1

    votes_only = reader.events.watch(start, kinds=["votes"], stop=Arrivals())
    assert [e.name for e in votes_only] == ["VoteCast", "VoteCast"]


def test_watch_holds_back_blocks_without_their_confirmations(env: Env, client: ConsortiumClient,
                                                              reader: ConsortiumClient) -> None:
    start = env.w3.eth.block_number + 1
    client.members.add_accounts({env.spare[3]: "transact"})  # in block `start`
    arrivals = Arrivals([lambda: client.members.add_accounts({env.spare[4]: "deploy"})])
    watch = reader.events.watch(start, confirmations=2, poll_interval=0.01, stop=arrivals)
    first = next(watch)  # it needed the block on top of `start` to arrive
    assert arrivals.waits == 1
    assert (first.name, first.block_number, first.args["account"]) == ("AccountAdded", start, env.spare[3])
    assert list(watch) == []  # the second account's block has no block on top of it yet
    assert watch.next_block == start + 1
    assert [e.args["account"] for e in reader.events.watch(start + 1, stop=Arrivals())] == [env.spare[4]]


def test_watch_resumes_from_next_block(env: Env, client: ConsortiumClient, reader: ConsortiumClient) -> None:
    start = env.w3.eth.block_number + 1
    client.members.add_accounts({env.spare[1]: "transact", env.spare[2]: "deploy"})  # two events, one block
    client.members.add_nodes([client.members.signed_node(f"enode://{enode(60)}@h60:1", node_private_key(60), 1)])
    expected = reader.events.history(from_block=start)
    assert [e.block_number for e in expected] == [start, start, start + 1]

    watch = reader.events.watch(start, stop=Arrivals())
    assert next(watch) == expected[0]
    assert watch.next_block == start  # block `start` is not done yet
    # a restart from next_block delivers what was not yielded (and, at least once, what was)
    again = list(reader.events.watch(watch.next_block, stop=Arrivals()))
    assert again == expected
    assert next(watch) == expected[1]
    assert watch.next_block == start + 1
    assert list(reader.events.watch(watch.next_block, stop=Arrivals())) == expected[2:]
    assert list(watch) == expected[2:]
    resumed = reader.events.watch(watch.next_block, stop=Arrivals([lambda: client.members.remove_accounts([env.spare[1]])]))
    assert [(e.name, e.args["account"]) for e in resumed] == [("AccountRemoved", env.spare[1])]
    assert resumed.next_block == env.w3.eth.block_number + 1


def test_watch_stops_when_told_from_another_thread(reader: ConsortiumClient) -> None:
    stop = threading.Event()
    received: list[Event] = []
    watch = reader.events.watch(poll_interval=0.02, stop=stop)
    thread = threading.Thread(target=lambda: received.extend(watch), daemon=True)
    thread.start()
    thread.join(0.2)
    assert thread.is_alive()  # waiting for new blocks
    stop.set()
    thread.join(2)
    assert not thread.is_alive() and received == []


# -- the history is the sequence of what was done -----------------------------------------------------------------

MOVES = st.lists(st.sampled_from(["add account", "remove account", "add node", "remove node"]), min_size=1, max_size=6)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES, roles=st.lists(st.sampled_from(["transact", "deploy", "transact,deploy", "admin,transact"]),
                                   min_size=6, max_size=6))
def test_history_equals_the_actions_taken(env: Env, moves: list[str], roles: list[str]) -> None:
    snap = snapshot(env.w3)
    try:
        admin = make_client(env, env.founders[0].admin)
        start = env.w3.eth.block_number + 1
        free_accounts = list(env.spare[1:7])
        free_nodes = [admin.members.signed_node(NodeSpec(enode(70 + i), f"h{i}", 30000 + i), node_private_key(70 + i), 1)
                      for i in range(6)]
        accounts: dict[str, Role] = {}
        nodes: list[NodeSpec] = []
        expected: list[tuple[str, str]] = []
        for i, move in enumerate(moves):
            if move == "add account":
                address = free_accounts.pop()
                admin.members.add_accounts({address: roles[i]})
                flags = Role.parse(roles[i])
                accounts[address] = flags & ~Role.ADMIN  # an admin flag waits for the account's acceptance
                expected.append(("AccountAdded", address))
                if Role.ADMIN in flags:
                    expected.append(("AdminAcceptancePending", address))
            elif move == "remove account" and accounts:
                address = next(iter(accounts))
                admin.members.remove_accounts([address])
                del accounts[address]
                expected.append(("AccountRemoved", address))
            elif move == "add node":
                node = free_nodes.pop()
                admin.members.add_nodes([node])
                nodes.append(node)
                expected.append(("NodeAdded", "0x" + node.key.hex()))
            elif move == "remove node" and nodes:
                node = nodes.pop(0)
                admin.members.remove_nodes([f"enode://{node.enode_id}@{node.host}:{node.port}"])
                expected.append(("NodeRemoved", "0x" + node.key.hex()))
        history = admin.events.history(from_block=start, kinds="members", member_id=1)
        assert [(e.name, e.args.get("account") or "0x" + bytes(e.args["nodeKey"]).hex()) for e in history] == expected
        details = admin.members.details(1)
        f1 = env.founders[0]
        assert {a.address: a.roles for a in details.accounts} == {
            f1.admin: Role.ADMIN | Role.TRANSACT, f1.user: Role.TRANSACT, **accounts}
        assert [n.enode_id for n in details.nodes] == [f1.node.enode_id] + [n.enode_id for n in nodes]
        assert details.member.account_count == 2 + len(accounts) and details.member.node_count == 1 + len(nodes)
    finally:
        revert_to(env.w3, snap)
