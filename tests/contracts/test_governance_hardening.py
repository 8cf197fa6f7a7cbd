"""Issue 14 hardening, as an attacker would try it: each test makes the attack and shows it refused
(and would fail if the protection were taken out of the contracts).

* settings floors: no passed proposal sets governance faster than the floors fixed at deployment;
* ballots: a ballot names its member and carries the member's one nonce sequence, so it cannot be
  counted for another member nor reordered by a relayer;
* execute: exactly the sum of the values, and no calldata to an address without code;
* windows: exact to the second (votes until ``voteEnd - 1``, executable from ``voteEnd +
  executionDelay``, expired from that plus the expiry period);
* ``startGovernance`` only by the bootstrapper.

Timing: ``set_time(T)`` mines a block at exactly ``T``; reads (``state``) see it, and the next
transaction is mined at ``T + 1``. A transaction meant for second ``X`` is therefore sent after
``set_time(X - 1)``; where it must be refused at ``X``, it is sent raw (no simulation at ``X - 1``,
which would still see the earlier state), its error read from a call on the pending block (``X``).
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from consortium_evm.compiler import load_artifact
from consortium_evm.domain.proposals import ProposalState, proposal_number
from consortium_evm.domain.revert import decode_revert, error_table, revert_data
from consortium_evm.domain.signatures import sign_admin_acceptance, sign_typed
from consortium_evm.domain.spec import (
    AccountSpec,
    ConsortiumSpec,
    GovernanceSettings,
    MemberSpec,
    NodeSpec,
    Role,
    SettingsFloors,
)
from consortium_evm.errors import ConfigError, ContractRevertError
from consortium_evm.node.tester import revert_to, snapshot, tester_accounts
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import EXPIRY, FLOORS, SETTINGS, VOTING_PERIOD, Env, bootstrap_node
from tests.support.contracts import ABIS, FOR, Call, refused, send
from tests.support.governance import (
    DAY,
    core,
    execute,
    execute_fn,
    noop,
    propose,
    set_time,
    settings,
    state,
    tally,
    vote,
)

ERRORS = error_table([load_artifact("Consortium").abi])


def keys(env: Env) -> dict[str, LocalAccount]:
    return {a.address: a for a in tester_accounts(len(env.w3.eth.accounts))}


def voted_through(env: Env, calls: list[Call], description: str = "a proposal") -> int:
    """Propose and have every founder vote for; returns the id (voting still open)."""
    pid = propose(env, calls, description)
    for who in range(3):
        vote(env, pid, who)
    return pid


def at_next_second(env: Env, fn: Any, sender: str, value: int = 0) -> tuple[ContractRevertError | None, Any]:
    """Send ``fn`` raw, to be mined in the next block (latest + 1 s): returns the error a call on the
    pending block (the same second) gives, or None, and the receipt."""
    error = None
    try:
        fn.call({"from": sender, "value": value}, block_identifier="pending")
    except Exception as exc:  # noqa: BLE001 - eth-tester's revert
        data = revert_data(exc)
        assert data is not None, repr(exc)
        error = decode_revert(data, ERRORS)
    tester = getattr(env.w3.provider, "ethereum_tester")  # noqa: B009 - the embedded chain's own API
    latest = env.now()
    tx_hash = tester.send_transaction(
        {"from": sender, "to": fn.address, "gas": 3_000_000, "value": value, "data": fn._encode_transaction_data()}
    )
    receipt = env.w3.eth.get_transaction_receipt(tx_hash)
    assert env.w3.eth.get_block(receipt["blockNumber"])["timestamp"] == latest + 1
    assert (receipt["status"] == 1) == (error is None), f"pending call: {error}, mined status {receipt['status']}"
    return error, receipt


def deploy_consortium(env: Env, initial: tuple[int, ...], floors: tuple[int, int]) -> Any:
    art = load_artifact("Consortium")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    sent = Transactor(env.w3, env.deployer, ABIS).send(factory.constructor(initial, floors, (1000, 64)), gas=10_000_000)
    return env.w3.eth.contract(address=sent.contract_address, abi=art.abi)


# ---------------------------------------------------------------------------------------- floors


@pytest.mark.parametrize(
    "bad",
    [
        (5000, 5001, 0, 1, 0, EXPIRY),
        (5000, 5001, 0, VOTING_PERIOD, 0, 1),
        (5000, 5001, 0, 1, 0, 1),
        (5000, 5001, 0, FLOORS[0] - 1, 0, EXPIRY),
        (5000, 5001, 0, VOTING_PERIOD, 0, FLOORS[1] - 1),
    ],
    ids=["voting-period-1s", "expiry-1s", "both-1s", "voting-period-floor-minus-1", "expiry-floor-minus-1"],
)
def test_a_passed_proposal_cannot_set_governance_below_the_floors(env: Env, bad: tuple[int, ...]) -> None:
    """A majority passes settings so fast (one second to vote, or to execute) that no later proposal
    could be voted on and executed to change them back: refused at execution, nothing changed."""
    epoch = env.consortium.functions.epoch().call()
    calls = [env.call("setSettings", bad)]
    pid = voted_through(env, calls)
    set_time(env, core(env, pid)["voteEnd"])
    err = refused(env, execute_fn(env, pid, calls), env.spare[0], "InvalidSettings")
    assert tuple(err.args_by_name["settings"]) == bad
    assert settings(env) == SETTINGS
    assert env.consortium.functions.epoch().call() == epoch
    assert core(env, pid)["executed"] is False


def test_the_floors_are_fixed_at_deployment_and_readable(env: Env) -> None:
    c = env.consortium.functions
    assert tuple(c.settingsFloors().call()) == FLOORS
    assert (c.ABSOLUTE_MIN_VOTING_PERIOD().call(), c.ABSOLUTE_MIN_EXPIRY_PERIOD().call()) == (10, 60)
    # No function changes them: every ABI entry naming floors is a view.
    abi = load_artifact("Consortium").abi
    floor_functions = [e for e in abi if e["type"] == "function" and "loor" in e["name"]]
    assert [e["name"] for e in floor_functions] == ["settingsFloors"]
    assert all(e["stateMutability"] == "view" for e in floor_functions)


@pytest.mark.parametrize(
    "floors",
    [(9, 60), (10, 59), (0, 0), (365 * DAY + 1, 60), (10, 365 * DAY + 1)],
    ids=["voting-9s", "expiry-59s", "zero", "voting-over-a-year", "expiry-over-a-year"],
)
def test_a_consortium_cannot_be_deployed_with_floors_beyond_the_absolute_bounds(
    env: Env, floors: tuple[int, int]
) -> None:
    art = load_artifact("Consortium")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    initial = (5000, 5001, 0, max(floors[0], 10), 0, max(floors[1], 60))
    with pytest.raises(ContractRevertError) as info:
        Transactor(env.w3, env.deployer, ABIS).send(factory.constructor(initial, floors, (1000, 64)), gas=10_000_000)
    assert info.value.name == "InvalidSettingsFloors"
    assert (info.value.args_by_name["minVotingPeriod"], info.value.args_by_name["minExpiryPeriod"]) == floors


def test_the_absolute_minimum_floors_deploy_and_initial_settings_below_the_floors_do_not(env: Env) -> None:
    fresh = deploy_consortium(env, (5000, 5001, 0, 10, 0, 60), (10, 60))
    assert tuple(fresh.functions.settingsFloors().call()) == (10, 60)
    assert tuple(fresh.functions.settings().call()) == (5000, 5001, 0, 10, 0, 60)
    art = load_artifact("Consortium")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    with pytest.raises(ContractRevertError) as info:
        Transactor(env.w3, env.deployer, ABIS).send(
            factory.constructor((5000, 5001, 0, 599, 0, 3600), (600, 3600), (1000, 64)), gas=10_000_000
        )
    assert info.value.name == "InvalidSettings"


def _spec(voting_period: int, expiry: int, floors: SettingsFloors | None = None) -> ConsortiumSpec:
    member = MemberSpec(
        name="Acme",
        weight=1,
        accounts=(AccountSpec("0x" + "11" * 20, Role.ADMIN),),
        nodes=(NodeSpec("ab" * 64, "10.0.0.1", 30303),),
    )
    return ConsortiumSpec(
        members=(member,),
        settings=GovernanceSettings(voting_period=voting_period, expiry_period=expiry),
        floors=floors,
    )


def test_the_spec_default_floors_are_an_hour_and_a_day_or_the_initial_settings_if_shorter() -> None:
    assert _spec(2 * 3600, 7 * DAY).settings_floors == SettingsFloors(3600, DAY)
    assert _spec(600, 3600).settings_floors == SettingsFloors(600, 3600)
    assert _spec(600, 7 * DAY).settings_floors == SettingsFloors(600, DAY)
    assert _spec(30, 60).settings_floors.as_tuple() == (30, 60)
    assert _spec(600, 3600, SettingsFloors(300, 120)).settings_floors == SettingsFloors(300, 120)


@pytest.mark.parametrize(
    "floors", [SettingsFloors(601, 60), SettingsFloors(60, 3601)], ids=["voting-floor-above", "expiry-floor-above"]
)
def test_an_explicit_floor_above_the_initial_settings_is_a_config_error(floors: SettingsFloors) -> None:
    with pytest.raises(ConfigError):
        _spec(600, 3600, floors)


def test_the_spec_refuses_floors_below_the_absolute_minimums() -> None:
    for bad in ((9, 60), (10, 59)):
        with pytest.raises(ConfigError):
            SettingsFloors(*bad)


def test_governance_can_always_set_its_settings_back_from_the_floors(env: Env) -> None:
    """Governance set as fast as allowed (the floors, no delays) still passes and executes a later
    proposal that restores the settings."""
    fastest = (5000, 5001, 0, FLOORS[0], 0, FLOORS[1])
    calls = [env.call("setSettings", fastest)]
    pid = voted_through(env, calls, "fastest")
    set_time(env, core(env, pid)["voteEnd"])
    execute(env, pid, calls, "fastest")
    assert settings(env) == fastest

    restore = [env.call("setSettings", SETTINGS)]
    back = voted_through(env, restore, "restore")
    c = core(env, back)
    assert c["voteEnd"] - c["voteStart"] == FLOORS[0]
    # The last executable second of the fastest settings: still in time.
    set_time(env, c["voteEnd"] + FLOORS[1] - 2)
    assert state(env, back) == ProposalState.SUCCEEDED
    execute(env, back, restore, "restore")
    assert settings(env) == SETTINGS


# ---------------------------------------------------------------------------------------- ballots


def signed_ballot(env: Env, signer: LocalAccount, pid: int, support: int, member_id: int, nonce: int) -> bytes:
    message = {"proposalId": pid, "support": support, "memberId": member_id, "voter": signer.address, "nonce": nonce}
    return sign_typed(signer, "Ballot", message, env.w3.eth.chain_id, env.consortium.address)


def by_sig(env: Env, pid: int, support: int, voter: str, nonce: int, signature: bytes) -> Any:
    return env.consortium.functions.castVoteBySig(pid, support, voter, nonce, signature)


def add_accepted_admin(env: Env, member_id: int, account: LocalAccount) -> None:
    """Member ``member_id``'s founder admin registers ``account`` as an admin; it accepts by signature."""
    send(env, env.consortium.functions.addAccounts(member_id, [account.address], [5]), env.founders[member_id - 1].admin)
    _, _, pending, nonce = env.consortium.functions.accountInfo(account.address).call()
    assert pending is True
    signature = sign_admin_acceptance(account, member_id, nonce, env.w3.eth.chain_id, env.consortium.address)
    send(env, env.consortium.functions.acceptAdminBySig(account.address, signature), env.spare[6])


def test_a_ballot_signed_for_one_member_cannot_be_counted_for_another(env: Env) -> None:
    """An admin of member 1 signs a ballot; the account then moves to member 2 (whose ballot nonce is
    0, as the ballot's). The relayer holding the ballot cannot cast member 2's vote with it."""
    pid = propose(env, [noop(env)])
    mover = keys(env)[env.spare[5]]
    add_accepted_admin(env, 1, mover)
    ballot = signed_ballot(env, mover, pid, FOR, 1, 0)
    # Signed for member 1 but named as member 2's: refused whoever holds the account.
    forged = signed_ballot(env, mover, pid, FOR, 2, 0)
    refused(env, by_sig(env, pid, FOR, mover.address, 0, forged), env.spare[3], "InvalidVoteSignature",
            voter=mover.address)

    send(env, env.consortium.functions.removeAccounts(1, [mover.address]), env.founders[0].admin)
    add_accepted_admin(env, 2, mover)
    assert env.consortium.functions.ballotNonce(2).call() == 0
    refused(env, by_sig(env, pid, FOR, mover.address, 0, ballot), env.spare[3], "InvalidVoteSignature",
            voter=mover.address)
    assert env.consortium.functions.hasVoted(pid, 2).call() is False
    assert tally(env, pid) == (0, 0, 0)
    # The same account's ballot signed as member 2's counts for member 2.
    send(env, by_sig(env, pid, FOR, mover.address, 0, signed_ballot(env, mover, pid, FOR, 2, 0)), env.spare[3])
    assert tally(env, pid) == (35, 0, 0)


def test_a_relayer_cannot_reorder_ballots_of_one_member_signed_by_two_admins(env: Env) -> None:
    first, second = propose(env, [noop(env)], "first"), propose(env, [noop(env, 2)], "second")
    founder = keys(env)[env.founders[1].admin]
    colleague = keys(env)[env.spare[5]]
    add_accepted_admin(env, 2, colleague)
    # Member 2 signs, in this order: founder's ballot (nonce 0), then its colleague's (nonce 1).
    one = signed_ballot(env, founder, first, FOR, 2, 0)
    two = signed_ballot(env, colleague, second, FOR, 2, 1)
    # The relayer submits the later one first: refused, the member's sequence expects 0.
    refused(env, by_sig(env, second, FOR, colleague.address, 1, two), env.spare[3], "InvalidVoteNonce",
            memberId=2, expected=0)
    assert env.consortium.functions.hasVoted(second, 2).call() is False
    # In order, both count.
    send(env, by_sig(env, first, FOR, founder.address, 0, one), env.spare[3])
    send(env, by_sig(env, second, FOR, colleague.address, 1, two), env.spare[3])
    assert tally(env, first) == tally(env, second) == (35, 0, 0)
    assert env.consortium.functions.ballotNonce(2).call() == 2


def test_ballots_signed_old_then_128_numbers_newer_cannot_be_submitted_newest_first(env: Env) -> None:
    """The issue's scenario: a member signs a ballot on an old proposal, then one on a proposal 128
    numbers newer. Counted newest first, the second would move the member's vote window past the
    old proposal and cost it its vote there; the nonce order refuses that."""
    old = propose(env, [noop(env)], "old")  # number 1
    admin = env.founders[0].admin
    tester = getattr(env.w3.provider, "ethereum_tester")  # noqa: B009 - the embedded chain's own API
    data = env.consortium.encode_abi("propose", [[env.spare[0]], [0], [b""], "filler"])
    for _ in range(127):  # numbers 2..128
        tester.send_transaction({"from": admin, "to": env.consortium.address, "gas": 500_000, "data": data})
    new = propose(env, [noop(env, 2)], "new")
    assert proposal_number(new) == 129  # 128 numbers newer than the old one
    assert state(env, old) == ProposalState.ACTIVE

    signer = keys(env)[env.founders[1].admin]
    ballot_old = signed_ballot(env, signer, old, FOR, 2, 0)
    ballot_new = signed_ballot(env, signer, new, FOR, 2, 1)
    refused(env, by_sig(env, new, FOR, signer.address, 1, ballot_new), env.spare[3], "InvalidVoteNonce",
            memberId=2, expected=0)
    send(env, by_sig(env, old, FOR, signer.address, 0, ballot_old), env.spare[3])
    send(env, by_sig(env, new, FOR, signer.address, 1, ballot_new), env.spare[3])
    assert tally(env, old) == (35, 0, 0)  # the member kept its vote on the older proposal
    assert tally(env, new) == (35, 0, 0)


# ---------------------------------------------------------------------------------------- execute


def passed_with(env: Env, calls: list[Call], description: str = "a proposal") -> int:
    pid = voted_through(env, calls, description)
    set_time(env, core(env, pid)["voteEnd"])
    return pid


@pytest.mark.parametrize("sent", [0, 4, 6, 10**18], ids=["none", "less", "more", "far-more"])
def test_execute_must_carry_exactly_the_sum_of_the_values(env: Env, sent: int) -> None:
    eoa = env.spare[4]
    calls = [(eoa, 2, b""), noop(env), (eoa, 3, b"")]
    pid = passed_with(env, calls)
    fn = execute_fn(env, pid, calls)
    with pytest.raises(ContractRevertError) as info:
        Transactor(env.w3, env.spare[0], ABIS).send(fn, value=sent, gas=3_000_000)
    assert info.value.name == "InvalidExecutionValue"
    assert (info.value.args_by_name["expected"], info.value.args_by_name["sent"]) == (5, sent)
    assert state(env, pid) == ProposalState.SUCCEEDED
    before = env.w3.eth.get_balance(eoa)
    Transactor(env.w3, env.spare[0], ABIS).send(fn, value=5, gas=3_000_000)
    assert env.w3.eth.get_balance(eoa) == before + 5
    assert env.w3.eth.get_balance(env.consortium.address) == 0  # nothing left behind
    assert state(env, pid) == ProposalState.EXECUTED


def test_a_call_with_calldata_to_an_address_without_code_is_refused_and_stays_executable(env: Env) -> None:
    """A typo'd target (an EOA, or a contract not deployed yet) would make the call a silent no-op and
    the proposal 'executed' for nothing."""
    no_code = env.spare[4]
    mistyped = (no_code, 0, bytes.fromhex(env.consortium.encode_abi("setMemberWeight", [2, 36])[2:]))
    calls = [noop(env, 2), mistyped]
    pid = passed_with(env, calls)
    refused(env, execute_fn(env, pid, calls), env.spare[0], "CallToAddressWithoutCode", index=1, target=no_code)
    assert state(env, pid) == ProposalState.SUCCEEDED
    assert core(env, pid)["executed"] is False
    (view,) = env.consortium.functions.getMembers(0, 1).call()
    assert view[3] == 40  # the first call was rolled back with it


def test_a_plain_value_transfer_to_an_eoa_still_executes(env: Env) -> None:
    eoa = env.spare[4]
    calls = [(eoa, 7, b"")]
    pid = passed_with(env, calls)
    before = env.w3.eth.get_balance(eoa)
    Transactor(env.w3, env.spare[0], ABIS).send(execute_fn(env, pid, calls), value=7, gas=3_000_000)
    assert env.w3.eth.get_balance(eoa) == before + 7
    assert state(env, pid) == ProposalState.EXECUTED


# ---------------------------------------------------------------------------------------- windows


def test_a_vote_at_exactly_vote_end_is_refused_and_at_vote_end_minus_one_counts(env: Env) -> None:
    pid = propose(env, [noop(env)])
    vote(env, pid, 0)
    vote_end = core(env, pid)["voteEnd"]
    assert vote_end == core(env, pid)["voteStart"] + VOTING_PERIOD

    set_time(env, vote_end - 2)
    error, receipt = at_next_second(env, env.consortium.functions.castVote(pid, FOR), env.founders[1].admin)
    assert error is None  # mined at voteEnd - 1: the last second of the vote
    assert tally(env, pid) == (75, 0, 0)

    assert env.now() == vote_end - 1
    error, receipt = at_next_second(env, env.consortium.functions.castVote(pid, FOR), env.founders[2].admin)
    assert error is not None and error.name == "ProposalNotActive", error
    assert error.args_by_name["state"] == ProposalState.SUCCEEDED
    assert tally(env, pid) == (75, 0, 0)
    assert env.consortium.functions.hasVoted(pid, 3).call() is False


def test_states_and_execution_at_the_exact_bounds(env: Env) -> None:
    delay = (5000, 5001, 0, VOTING_PERIOD, DAY, EXPIRY)
    setting = [env.call("setSettings", delay)]
    first = voted_through(env, setting, "delay")
    set_time(env, core(env, first)["voteEnd"])
    execute(env, first, setting, "delay")

    calls = [noop(env, 2)]
    pid = voted_through(env, calls)
    vote_end = core(env, pid)["voteEnd"]
    executable_at = vote_end + DAY  # voteEnd + executionDelay
    for t, expected in [
        (vote_end - 1, ProposalState.ACTIVE),
        (vote_end, ProposalState.QUEUED),
        (executable_at - 1, ProposalState.QUEUED),
        (executable_at, ProposalState.SUCCEEDED),
        (executable_at + EXPIRY - 1, ProposalState.SUCCEEDED),
        (executable_at + EXPIRY, ProposalState.EXPIRED),
    ]:
        set_time(env, t)
        assert state(env, pid) == expected, f"at voteEnd {t - vote_end:+d} s"


def test_execution_is_refused_one_second_early_and_at_expiry_and_taken_at_executable_at(env: Env) -> None:
    delay = (5000, 5001, 0, VOTING_PERIOD, DAY, EXPIRY)
    setting = [env.call("setSettings", delay)]
    first = voted_through(env, setting, "delay")
    set_time(env, core(env, first)["voteEnd"])
    execute(env, first, setting, "delay")
    calls = [env.call("setMemberWeight", 3, 30)]
    pid = voted_through(env, calls)
    executable_at = core(env, pid)["voteEnd"] + DAY
    fn = execute_fn(env, pid, calls)
    start = snapshot(env.w3)

    set_time(env, executable_at - 2)
    error, _ = at_next_second(env, fn, env.spare[0])  # mined at executableAt - 1
    assert error is not None and error.name == "ProposalNotExecutable", error
    assert error.args_by_name["state"] == ProposalState.QUEUED
    error, _ = at_next_second(env, fn, env.spare[0])  # mined at executableAt
    assert error is None
    assert state(env, pid) == ProposalState.EXECUTED

    revert_to(env.w3, start)  # the same proposal, never executed, until it expires
    set_time(env, executable_at + EXPIRY - 1)
    assert state(env, pid) == ProposalState.SUCCEEDED
    error, _ = at_next_second(env, fn, env.spare[0])  # mined at executableAt + expiryPeriod
    assert error is not None and error.name == "ProposalNotExecutable", error
    assert error.args_by_name["state"] == ProposalState.EXPIRED
    assert core(env, pid)["executed"] is False


# ---------------------------------------------------------------------------------------- bootstrap


def test_only_the_bootstrapper_starts_governance(env: Env) -> None:
    # On the session's Consortium, governance has started: nobody may start it again, not even the
    # former bootstrapper.
    for caller in (env.founders[0].admin, env.deployer, env.spare[3]):
        refused(env, env.consortium.functions.startGovernance(), caller, "NotBootstrapper", caller=caller)
    # A fresh one: an outsider cannot take the bootstrap away from the deployer by starting it early.
    fresh = deploy_consortium(env, SETTINGS, FLOORS)
    boot = Transactor(env.w3, env.deployer, ABIS)
    boot.send(fresh.functions.addMember("Solo", "", 10, [env.spare[2]], [5], [bootstrap_node(9)]), gas=3_000_000)
    outsider = env.spare[3]
    refused(env, fresh.functions.startGovernance(), outsider, "NotBootstrapper", caller=outsider)
    refused(env, fresh.functions.startGovernance(), env.spare[2], "NotBootstrapper", caller=env.spare[2])
    assert fresh.functions.bootstrapper().call() == env.deployer
    boot.send(fresh.functions.startGovernance(), gas=3_000_000)
    assert fresh.functions.bootstrapper().call() == "0x" + "0" * 40
