"""Governance as a state machine: random sequences of proposals, votes, executions, cancellations,
time jumps and account changes, checked after every step against a Python model and the chain.

The model predicts, for every transaction, whether it succeeds or which custom error refuses it (in
the contract's order of checks), and keeps what a member relies on:

* there is always an active member, an active admin account and an active node (``totals()``);
* each member's vote counts once, with its weight when the proposal was created (``proposalCore``
  tallies equal the model's sums; ``VoteCast`` carries the model's weight);
* a proposal executes at most once, and only if it passed (``ProposalExecuted`` events);
* a member's weight counts (in votes, in the quorum's base and in ``memberWeightAt``) only while it is
  active and has an accepted admin account, so the members that can vote always hold the whole quorum
  base; an admin account registered after the bootstrap (by a proposal or a member's admin) is pending
  and counts for nothing until it accepts (``acceptAdmin`` from it, or ``acceptAdminBySig`` by anyone);
* windows are exact: votes from ``voteStart`` until the second before ``voteEnd``, executable from
  ``voteEnd`` (no execution delay here) until the second before ``voteEnd + expiryPeriod``;
* no account of a suspended or removed member passes ``transactionAllowed``, and every admin account
  of an active member does, with or without the transact flag (every account's answer equals the
  model's);
* the deployer has no power (a governance call from it reverts with ``OnlyGovernance``).

One chain (the session's) serves every run: each run starts by reverting to the session snapshot
and the test reverts to it at the end. The settings keep the whole test within about a minute on
two cores.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from eth_utils.abi import get_abi_output_types
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from web3 import Web3
from web3.logs import DISCARD

from consortium_evm.domain.proposals import ProposalState, proposal_number, proposer_member_id
from consortium_evm.domain.signatures import sign_admin_acceptance
from consortium_evm.errors import ContractRevertError
from consortium_evm.node.tester import revert_to, tester_accounts
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import EXPIRY, VOTING_PERIOD, Env, enode, signed_node
from tests.support.contracts import ABIS, ADMIN, GAS, TRANSACT
from tests.support.governance import DAY

QUORUM_BPS, THRESHOLD_BPS, VOTE_WINDOW = 5000, 5001, 128
ACTIVE, SUSPENDED, REMOVED = 1, 2, 3

Action = tuple[Any, ...]


class LockOut(Exception):
    """A model operation refused with a named error."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass
class Member:
    status: int
    weight: int
    nodes: int = 1
    vote_base: int = 1
    voted: set[int] = field(default_factory=set)


@dataclass
class Proposal:
    pid: int
    number: int
    proposer: int
    actions: list[Action]
    description: str
    vote_start: int
    vote_end: int
    weights: dict[int, int]
    total: int
    votes: dict[int, tuple[int, int]] = field(default_factory=dict)
    executed: bool = False
    canceled: bool = False

    def tally(self) -> tuple[int, int, int]:
        sums = [0, 0, 0]  # against, for, abstain
        for support, weight in self.votes.values():
            sums[support] += weight
        return sums[1], sums[0], sums[2]

    def passed(self) -> bool:
        for_, against, abstain = self.tally()
        quorum = (self.total * QUORUM_BPS + 9999) // 10_000
        return for_ + against + abstain >= quorum and for_ > 0 and for_ * 10_000 >= THRESHOLD_BPS * (for_ + against)

    def state(self, t: int) -> int:
        if self.executed:
            return ProposalState.EXECUTED
        if self.canceled:
            return ProposalState.CANCELED
        if t < self.vote_start:
            return ProposalState.PENDING
        if t < self.vote_end:
            return ProposalState.ACTIVE
        if not self.passed():
            return ProposalState.DEFEATED
        executable_at = self.vote_end  # voteEnd + executionDelay, and no execution delay in these settings
        if t < executable_at:
            return ProposalState.QUEUED
        if t >= executable_at + EXPIRY:
            return ProposalState.EXPIRED
        return ProposalState.SUCCEEDED


@dataclass
class Registry:
    """The model of the member registry: members (by id) and accounts (address -> (member, flags in
    force)); an admin registration after the bootstrap is in ``pending`` (and its admin flag not in
    force) until the account accepts it; ``consent`` is each account's consent nonce."""

    members: dict[int, Member]
    accounts: dict[str, tuple[int, int]]
    pending: set[str] = field(default_factory=set)
    consent: Counter[str] = field(default_factory=Counter)

    def admin_count(self, member_id: int) -> int:
        return sum(1 for mid, flags in self.accounts.values() if mid == member_id and flags & ADMIN)

    def effective(self, member_id: int) -> int:
        """The weight that counts: an active member's with at least one admin account."""
        m = self.members[member_id]
        return m.weight if m.status == ACTIVE and self.admin_count(member_id) > 0 else 0

    def totals(self) -> tuple[int, int, int, int, int, int]:
        active = [i for i, m in self.members.items() if m.status == ACTIVE]
        admins = sum(1 for mid, flags in self.accounts.values() if mid in active and flags & ADMIN)
        return (
            len(self.members),
            len(active),
            admins,
            sum(self.members[i].nodes for i in active),
            sum(self.effective(i) for i in self.members),
            sum(m.weight for m in self.members.values() if m.status in (ACTIVE, SUSPENDED)),
        )

    def access(self, account: str) -> int:
        mid, flags = self.accounts.get(account, (0, 0))
        if mid == 0:
            return flags
        return flags if self.members[mid].status == ACTIVE else 0

    def may_transact(self, account: str) -> bool:
        """``transactionAllowed`` to an existing contract: the transact or the admin flag in force."""
        return bool(self.access(account) & (TRANSACT | ADMIN))

    def _check_no_lock_out(self) -> None:
        _, members, admins, nodes, _, _ = self.totals()
        if members == 0:
            raise LockOut("WouldLeaveNoActiveMember")
        if admins == 0:
            raise LockOut("WouldLeaveNoAdmin")
        if nodes == 0:
            raise LockOut("WouldLeaveNoNode")

    def _existing(self, member_id: int) -> Member:
        member = self.members.get(member_id)
        if member is None or member.status not in (ACTIVE, SUSPENDED):
            raise LockOut("UnknownMember")
        return member

    def check_manager(self, sender: str, member_id: int) -> None:
        """``_checkManager`` for a sender that is not governance."""
        mid, flags = self.accounts.get(sender, (0, 0))
        if mid == member_id and mid != 0 and flags & ADMIN:
            if self.members[mid].status != ACTIVE:
                raise LockOut("MemberNotActive")
            return
        raise LockOut("OnlyGovernance")

    def apply(self, action: Action) -> None:
        """Apply one governance action, as the Consortium calling itself; raises LockOut when refused."""
        kind, member_id = action[0], action[1]
        if kind == "setMemberWeight":
            self._existing(member_id).weight = action[2]
        elif kind == "suspendMember":
            member = self.members.get(member_id)
            if member is None or member.status != ACTIVE:
                raise LockOut("MemberNotActive")
            member.status = SUSPENDED
            self._check_no_lock_out()
        elif kind == "reinstateMember":
            member = self.members.get(member_id)
            if member is None or member.status != SUSPENDED:
                raise LockOut("MemberNotSuspended")
            member.status = ACTIVE
        elif kind == "removeMember":
            member = self._existing(member_id)
            was_active = member.status == ACTIVE
            member.status = REMOVED
            if was_active:
                self._check_no_lock_out()
        elif kind == "addAccounts":
            self._existing(member_id)
            self.add_account(member_id, action[2], action[3])
        elif kind == "removeAccounts":
            self._existing(member_id)
            self.remove_account(member_id, action[2])
        else:  # pragma: no cover
            raise AssertionError(kind)

    def add_account(self, member_id: int, account: str, flags: int) -> None:
        owner, owner_flags = self.accounts.get(account, (0, 0))
        if (owner == 0 and owner_flags != 0) or (owner != 0 and self.members[owner].status != REMOVED):
            raise LockOut("AccountAlreadyRegistered")
        # Outside the bootstrap an admin flag waits for the account's acceptance.
        self.accounts[account] = (member_id, flags & ~ADMIN)
        if flags & ADMIN:
            self.pending.add(account)
        else:
            self.pending.discard(account)

    def remove_account(self, member_id: int, account: str) -> None:
        owner, flags = self.accounts.get(account, (0, 0))
        if owner != member_id or (flags == 0 and account not in self.pending):
            raise LockOut("AccountNotInMember")
        self.accounts[account] = (0, 0)
        self.pending.discard(account)
        self.consent[account] += 1
        if self.members[member_id].status == ACTIVE:
            self._check_no_lock_out()

    def accept_admin(self, account: str) -> None:
        """``acceptAdmin`` (or a valid ``acceptAdminBySig``) of ``account``."""
        owner, flags = self.accounts.get(account, (0, 0))
        if account not in self.pending or owner == 0 or self.members[owner].status == REMOVED:
            raise LockOut("NoPendingAdmin")
        self.accounts[account] = (owner, flags | ADMIN)
        self.pending.discard(account)
        self.consent[account] += 1


ACTION_KINDS = ["setMemberWeight"] * 4 + ["addAccounts"] * 2 + ["removeAccounts"] * 2 + [
    "suspendMember", "suspendMember", "reinstateMember", "reinstateMember", "removeMember",
]
# Mostly short: an execution waits for its own proposal's end, which leaves newer proposals open (a
# weight change then meets votes on proposals created before it); a quarter end votes or expire them.
JUMPS = [30, 1, 600, 1800, 30, 600, 1, 1800, 600, VOTING_PERIOD + 1, 3 * DAY, EXPIRY + 1]
SUPPORTS = [1, 1, 0, 1, 1, 2, 1, 1, 0, 3]  # mostly for, so that proposals pass and execute


class GovernanceMachine(RuleBasedStateMachine):
    """Drives the session's consortium; ``base`` is set by the test from the ``_deployed`` fixture."""

    base: ClassVar[tuple[Env, int]]

    def __init__(self) -> None:
        super().__init__()
        env, snap = self.base
        revert_to(env.w3, snap)
        # Move the chain ahead of the wall clock: from now on each block is exactly one second later.
        env.advance(2 * DAY)
        self.env = env
        self.tester = getattr(env.w3.provider, "ethereum_tester")  # noqa: B009
        self.c = env.consortium.functions
        self.spares = list(env.spare[1:7])
        # Ordered by how freely they may change (Hypothesis favours the first): spares, users, admins.
        self.pool = self.spares + [f.user for f in env.founders] + [f.admin for f in env.founders]
        self.executors = self.pool + [env.spare[0], env.deployer]
        self.keys = {a.address: a for a in tester_accounts(len(env.w3.eth.accounts))}
        self.model = Registry(
            members={f.member_id: Member(ACTIVE, f.weight) for f in env.founders},
            accounts={
                **{f.admin: (f.member_id, ADMIN | TRANSACT) for f in env.founders},
                **{f.user: (f.member_id, TRANSACT) for f in env.founders},
            },
        )
        self.proposals: dict[int, Proposal] = {}
        self.executed_events: Counter[int] = Counter()
        self.checked_block = env.w3.eth.block_number
        self.touched: set[int] = set()
        self.full_sweep = True
        self.registry_changed = True
        self.last_access: dict[str, bool] = {}
        self.step = 0

    # ------------------------------------------------------------------------------ plumbing

    # Reads go straight to eth-tester (web3's request plumbing would cost a quarter of the run).

    def now(self) -> int:
        return int(self.tester.get_block_by_number("latest")["timestamp"])

    def read(self, fn: Any) -> Any:
        """``fn``'s result at the latest block, as web3 would decode it (one value, or a list)."""
        raw = self.tester.call({"from": self.env.spare[0], "to": fn.address, "data": fn._encode_transaction_data()})
        values = self.env.w3.codec.decode(get_abi_output_types(fn.abi), bytes.fromhex(raw[2:]))
        return values[0] if len(values) == 1 else list(values)

    def clear_boundaries(self) -> None:
        """Keep the next transaction off the one second where its simulation (run at the latest block's
        time ``t``) and its block (``t + 1``) would see different states: ``t + 1`` equal to a vote's
        end (the first second it takes no votes and may execute), or to the first second a passed
        proposal is expired."""
        while True:
            t = self.now() + 1
            if not any(t in (p.vote_end, p.vote_end + EXPIRY) for p in self.proposals.values()):
                return
            self.env.advance(2)

    def transact(self, fn: Any, sender: str, expected: str | None) -> Any:
        """Send ``fn``; it must succeed when ``expected`` is None, or be refused with ``expected``."""
        event(f"{fn.fn_name}: {expected or 'ok'}")
        try:
            sent = Transactor(self.env.w3, sender, ABIS).send(fn, gas=GAS)
        except ContractRevertError as err:
            assert expected is not None, f"unexpected {err}"
            assert err.name == expected, f"expected {expected}, got {err}"
            return None
        assert expected is None, f"expected {expected}, but the transaction succeeded"
        return sent.receipt

    def admins(self) -> list[str]:
        return [a for a, (mid, flags) in self.model.accounts.items() if mid and flags & ADMIN]

    def pick_proposal(self, data: Any, preferred: list[Proposal]) -> Proposal:
        """Usually one of ``preferred`` (Hypothesis favours the first ones), sometimes any proposal."""
        # Hypothesis favours small draws: the simplest choice (0) is the common case throughout.
        if preferred and data.draw(st.integers(0, 5), label="prefer") < 5:
            return data.draw(st.sampled_from(preferred), label="proposal")
        return data.draw(st.sampled_from(list(self.proposals.values())), label="proposal")

    def voters_left(self, p: Proposal) -> list[str]:
        """Admin accounts of active members that have not voted on ``p``."""
        return [a for a in self.admins() if self.model.members[self.model.accounts[a][0]].status == ACTIVE
                and self.model.accounts[a][0] not in p.votes]

    def open_proposals(self) -> list[Proposal]:
        """Proposals open for votes, oldest first: an older proposal tends to be voted on, executed
        and change weights while newer ones are still open, whose votes must keep their snapshot."""
        t = self.now() + 1
        return [p for p in self.proposals.values() if p.state(t) == ProposalState.ACTIVE]

    def executable_proposals(self) -> list[Proposal]:
        """Proposals that passed, then open ones whose current tally would pass."""
        t = self.now() + 1
        done = [p for p in self.proposals.values() if p.state(t) == ProposalState.SUCCEEDED]
        return done + [p for p in self.open_proposals() if p.passed()]

    def draw_action(self, data: Any) -> Action:
        kind = data.draw(st.sampled_from(ACTION_KINDS), label="kind")
        member = data.draw(st.integers(1, 3), label="member")
        if kind == "setMemberWeight":
            return (kind, member, data.draw(st.integers(1, 60), label="weight"))
        if kind == "addAccounts":
            free = [a for a in self.pool if self.model.accounts.get(a, (0, 0))[0] == 0
                    or self.model.members[self.model.accounts[a][0]].status == REMOVED]
            account = data.draw(st.sampled_from(free or self.pool), label="account")
            return (kind, member, account, data.draw(st.sampled_from([TRANSACT, ADMIN | TRANSACT, ADMIN, 3]), label="flags"))
        if kind == "removeAccounts":
            owned = [(self.model.accounts[a][0], a) for a in self.pool if self.model.accounts.get(a, (0, 0))[0]]
            if owned and data.draw(st.integers(0, 4), label="owned") < 4:
                member, account = data.draw(st.sampled_from(owned), label="owned account")
            else:
                account = data.draw(st.sampled_from(self.pool), label="account")
            return (kind, member, account)
        return (kind, member)

    def calls(self, actions: list[Action]) -> list[tuple[str, int, bytes]]:
        out = []
        for action in actions:
            kind = action[0]
            if kind == "addAccounts":
                out.append(self.env.call(kind, action[1], [action[2]], [action[3]]))
            elif kind == "removeAccounts":
                out.append(self.env.call(kind, action[1], [action[2]]))
            else:
                out.append(self.env.call(kind, *action[1:]))
        return out

    # ------------------------------------------------------------------------------ rules

    @rule(data=st.data())
    def propose(self, data: Any) -> None:
        candidates = self.admins()
        if data.draw(st.integers(0, 9), label="odd proposer") == 9:
            candidates = self.pool
        sender = data.draw(st.sampled_from(candidates), label="proposer")
        actions = [self.draw_action(data) for _ in range(data.draw(st.integers(1, 2), label="actions"))]
        description = f"proposal {len(self.proposals) + 1}: {actions}"
        mid, flags = self.model.accounts.get(sender, (0, 0))
        expected = None
        if mid == 0 or not flags & ADMIN:
            expected = "NotMemberAdmin"
        elif self.model.members[mid].status != ACTIVE:
            expected = "MemberNotActive"
        calls = self.calls(actions)
        self.clear_boundaries()
        fn = self.c.propose([x[0] for x in calls], [x[1] for x in calls], [x[2] for x in calls], description)
        receipt = self.transact(fn, sender, expected)
        if receipt is None:
            return
        (created,) = self.env.consortium.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)
        pid = int(created.args.proposalId)
        number = len(self.proposals) + 1
        assert proposal_number(pid) == number and proposer_member_id(pid) == mid
        core = self.read(self.c.proposalCore(pid))
        assert core[0] == self.env.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
        assert core[1] == core[0] + VOTING_PERIOD
        weights = {i: self.model.effective(i) for i in self.model.members}
        total = sum(weights.values())
        assert self.read(self.c.totalWeightAt(core[2])) == total
        self.proposals[pid] = Proposal(pid, number, mid, actions, description, core[0], core[1], weights, total)
        self.touched.add(pid)

    @precondition(lambda self: self.proposals)
    @rule(data=st.data())
    def vote(self, data: Any) -> None:
        """A round of votes on one proposal: each member that has not voted usually votes, through one
        of its admin accounts; now and then an odd account (non-admin, already voted) tries too."""
        p = self.pick_proposal(data, [q for q in self.open_proposals() if self.voters_left(q)])
        if p.state(self.now() + 1) != ProposalState.ACTIVE:
            voter = data.draw(st.sampled_from(self.admins()), label="late voter")
            self.cast(p, voter, data.draw(st.sampled_from([1, 0, 2]), label="support"))
            return
        for member_id in sorted(self.model.members):
            admins = [a for a in self.admins() if self.model.accounts[a][0] == member_id]
            if not admins or member_id in p.votes or data.draw(st.integers(0, 3), label="abstains from voting") == 3:
                continue
            voter = data.draw(st.sampled_from(admins), label="voter")
            self.cast(p, voter, data.draw(st.sampled_from(SUPPORTS), label="support"))
        if data.draw(st.integers(0, 3), label="odd voter") == 3:
            voter = data.draw(st.sampled_from(self.pool), label="odd voter account")
            self.cast(p, voter, data.draw(st.sampled_from([1, 0, 2, 3]), label="support"))

    @precondition(lambda self: self.proposals)
    @rule(data=st.data())
    def single_vote(self, data: Any) -> None:
        """One admin account votes on an open proposal its member has not voted on yet; preferably one
        whose member's weight changed since the proposal was created (its vote must count the old one)."""
        pairs = [(q, a) for q in self.open_proposals() for a in self.voters_left(q)]
        if not pairs:
            return
        changed = [(q, a) for q, a in pairs if q.weights[self.model.accounts[a][0]] != self.model.effective(
            self.model.accounts[a][0]) and q.weights[self.model.accounts[a][0]] > 0]
        if changed and data.draw(st.integers(0, 3), label="changed weight") < 3:
            pairs = changed
        p, voter = data.draw(st.sampled_from(pairs), label="proposal and voter")
        self.cast(p, voter, data.draw(st.sampled_from(SUPPORTS), label="support"))

    def cast(self, p: Proposal, voter: str, support: int) -> None:
        self.clear_boundaries()
        t = self.now() + 1
        mid, flags = self.model.accounts.get(voter, (0, 0))
        member = self.model.members.get(mid)
        expected, new_base = None, None
        if p.executed or p.canceled or not p.vote_start <= t < p.vote_end:
            expected = "ProposalNotActive"
        elif mid == 0 or not flags & ADMIN:
            expected = "NotMemberAdmin"
        elif member is None or member.status != ACTIVE:
            expected = "MemberNotActive"
        elif p.weights.get(mid, 0) == 0:
            expected = "NoVotingWeight"
        elif p.number < member.vote_base:
            expected = "VoteWindowPassed"
        else:
            new_base = max(member.vote_base, p.number - (VOTE_WINDOW - 1))
            if p.number in member.voted:
                expected = "AlreadyVoted"
            elif support > 2:
                expected = "InvalidVoteType"
        receipt = self.transact(self.c.castVote(p.pid, support), voter, expected)
        self.touched.add(p.pid)
        if receipt is None:
            return
        (counted,) = self.env.consortium.events.VoteCast().process_receipt(receipt, errors=DISCARD)
        assert (counted.args.memberId, counted.args.support, counted.args.weight) == (mid, support, p.weights[mid])
        assert member is not None and new_base is not None
        member.vote_base = new_base
        member.voted = {n for n in member.voted if n >= new_base} | {p.number}
        p.votes[mid] = (support, p.weights[mid])
        assert self.read(self.c.hasVoted(p.pid, mid)) is True

    @precondition(lambda self: self.proposals)
    @rule(data=st.data())
    def execute(self, data: Any) -> None:
        """Execute a proposal, usually one that passed; often after waiting for its vote to end."""
        p = self.pick_proposal(data, self.executable_proposals())
        sender = data.draw(st.sampled_from(self.executors), label="executor")
        tampered = data.draw(st.integers(0, 14), label="tamper") == 14
        if p.passed() and self.now() < p.vote_end and data.draw(st.integers(0, 2), label="wait for the end") < 2:
            self.env.advance(p.vote_end - self.now())  # the latest block at vote_end: executable from there
        self.clear_boundaries()
        state = p.state(self.now() + 1)
        calls = self.calls(p.actions)
        description = p.description + (" (tampered)" if tampered else "")
        fn = self.c.execute(p.pid, [x[0] for x in calls], [x[1] for x in calls], [x[2] for x in calls],
                            Web3.keccak(text=description))
        after = copy.deepcopy(self.model)
        expected = None
        if tampered:
            expected = "ProposalActionsMismatch"
        elif state != ProposalState.SUCCEEDED:
            expected = "ProposalNotExecutable"
        else:
            try:
                for action in p.actions:
                    after.apply(action)
            except LockOut as refused:
                expected = refused.name
        receipt = self.transact(fn, sender, expected)
        self.touched.add(p.pid)
        if receipt is None:
            return
        p.executed = True
        self.model = after
        self.full_sweep = self.registry_changed = True

    @precondition(lambda self: self.proposals)
    @rule(data=st.data())
    def cancel(self, data: Any) -> None:
        p = data.draw(st.sampled_from(list(self.proposals.values())), label="proposal")
        own = [a for a, (mid, flags) in self.model.accounts.items() if mid == p.proposer and flags & ADMIN]
        if own and data.draw(st.integers(0, 2), label="own admin") == 2:
            sender = data.draw(st.sampled_from(own), label="canceler")
        else:
            sender = data.draw(st.sampled_from(self.pool + [self.env.deployer]), label="canceler")
        self.clear_boundaries()
        mid, flags = self.model.accounts.get(sender, (0, 0))
        expected = None
        if p.state(self.now() + 1) not in (ProposalState.PENDING, ProposalState.ACTIVE):
            expected = "ProposalNotCancelable"
        elif mid != p.proposer or not flags & ADMIN:
            expected = "NotProposer"
        elif self.model.members[mid].status != ACTIVE:
            expected = "MemberNotActive"
        receipt = self.transact(self.c.cancel(p.pid), sender, expected)
        self.touched.add(p.pid)
        if receipt is not None:
            p.canceled = True

    @rule(seconds=st.sampled_from(JUMPS))
    def time_jump(self, seconds: int) -> None:
        self.env.advance(seconds)

    @rule(data=st.data())
    def member_admin_changes_accounts(self, data: Any) -> None:
        """A member admin adds or removes an account of its own member, directly (no proposal)."""
        sender = data.draw(st.sampled_from(self.admins()), label="admin")
        pending = sorted(a for a in self.model.pending if self.model.accounts.get(a, (0, 0))[0])
        if pending and data.draw(st.integers(0, 5), label="pending admin tries") == 5:
            sender = data.draw(st.sampled_from(pending), label="pending admin")  # it does not count yet
        own = self.model.accounts[sender][0]
        member = own if data.draw(st.integers(0, 7), label="other member") < 7 else data.draw(st.integers(1, 3))
        after = copy.deepcopy(self.model)
        mine = [a for a in self.pool if self.model.accounts.get(a, (0, 0))[0] == member and a != sender]
        if data.draw(st.integers(0, 7), label="removes itself") == 7:
            mine = [sender]  # an admin account removing itself (refused if it is the last admin)
        free = [a for a in self.pool if self.model.accounts.get(a, (0, 0))[0] == 0]
        if not mine or (free and data.draw(st.integers(0, 1), label="add or remove") == 0):
            account = data.draw(st.sampled_from(free or self.pool), label="account")
            # Admin registrations first: each one waits for the account's acceptance.
            flags = data.draw(st.sampled_from([ADMIN | TRANSACT, TRANSACT, ADMIN]), label="flags")
            fn = self.c.addAccounts(member, [account], [flags])
            adding = True
        else:
            account = data.draw(st.sampled_from(mine), label="account")
            fn = self.c.removeAccounts(member, [account])
            adding = False
        expected = None
        try:
            after.check_manager(sender, member)
            if adding:
                after.add_account(member, account, flags)
            else:
                after.remove_account(member, account)
        except LockOut as refused:
            expected = refused.name
        self.clear_boundaries()
        if self.transact(fn, sender, expected) is not None:
            self.model = after
            self.registry_changed = True

    @precondition(lambda self: self.model.pending)
    @rule(data=st.data())
    def accept_admin(self, data: Any) -> None:
        """A pending admin account accepts, usually: by a transaction from it, or by its signature
        submitted by anyone (now and then over a stale consent nonce); now and then an account with
        nothing pending tries."""
        pending = sorted(self.model.pending)
        if pending and data.draw(st.integers(0, 4), label="pending account") < 4:
            account = data.draw(st.sampled_from(pending), label="account")
        else:
            account = data.draw(st.sampled_from(self.pool), label="account")
        after = copy.deepcopy(self.model)
        expected = None
        if data.draw(st.booleans(), label="by signature"):
            member_id = self.model.accounts.get(account, (0, 0))[0]
            nonce = self.model.consent[account]
            stale = data.draw(st.integers(0, 5), label="stale nonce") == 5
            chain_id, consortium = self.env.w3.eth.chain_id, self.env.consortium.address
            signature = sign_admin_acceptance(self.keys[account], member_id, nonce + stale, chain_id, consortium)
            fn = self.c.acceptAdminBySig(account, signature)
            sender = data.draw(st.sampled_from(self.executors), label="submitter")
            if stale:
                expected = "InvalidConsentSignature"
        else:
            fn, sender = self.c.acceptAdmin(), account
        if expected is None:
            try:
                after.accept_admin(account)
            except LockOut as refused:
                expected = refused.name
        self.clear_boundaries()
        if self.transact(fn, sender, expected) is not None:
            self.model = after
            self.registry_changed = self.full_sweep = True

    # ------------------------------------------------------------------------------ invariants

    @invariant()
    def consortium_totals_match_and_never_lock_out(self) -> None:
        chain = tuple(self.read(self.c.totals()))
        assert chain == self.model.totals()
        _, members, admins, nodes, _, _ = chain
        assert members >= 1 and admins >= 1 and nodes >= 1
        if self.registry_changed:
            self.registry_changed = False
            self.check_members()

    def check_members(self) -> None:
        """Each member's status, weight and admin accounts, as the model has them; and the quorum stays
        within reach: the members with an admin account that the chain lets transact hold the whole
        total active weight."""
        for account in self.pool:  # (memberId, flags in force, adminPending, consentNonce)
            mid, flags = self.model.accounts.get(account, (0, 0))
            expected_info = [mid, flags, account in self.model.pending, self.model.consent[account]]
            assert self.read(self.c.accountInfo(account)) == expected_info, account
        reachable = 0
        for view in self.read(self.c.getMembers(0, 10)):
            member_id, weight, status, admin_count = view[0], view[3], view[4], view[7]
            model = self.model.members[member_id]
            assert (status, weight) == (model.status, model.weight)
            if status != REMOVED:  # a removed member's accounts may since belong to another one
                expected = self.model.admin_count(member_id)
                assert admin_count == expected, f"member {member_id}: {admin_count} admin accounts"
            if status == ACTIVE and any(self.allowed(a) for a in self.admins() if self.model.accounts[a][0] == member_id):
                reachable += weight
        assert reachable == self.read(self.c.totals())[4]

    def allowed(self, account: str) -> bool:
        target = self.env.consortium.address
        return bool(self.read(self.env.ingress.functions.transactionAllowed(account, target, 0, 0, 0, b"")))

    @invariant()
    def tallies_count_each_member_once_with_its_snapshot_weight(self) -> None:
        t = self.now()
        for pid in self.touched:
            p = self.proposals[pid]
            core = self.read(self.c.proposalCore(pid))
            assert tuple(core[5:8]) == p.tally(), f"tally of proposal {p.number}"
            assert (core[3], core[4]) == (p.executed, p.canceled)
            assert self.read(self.c.state(pid)) == p.state(t)
        self.touched = set()

    @invariant()
    def executions_are_once_and_only_for_passed_proposals(self) -> None:
        latest = self.env.w3.eth.block_number
        if latest > self.checked_block:
            logs = self.env.consortium.events.ProposalExecuted().get_logs(from_block=self.checked_block + 1, to_block=latest)
            for log in logs:
                self.executed_events[int(log.args.proposalId)] += 1
            self.checked_block = latest
        assert all(n == 1 for n in self.executed_events.values()), self.executed_events
        assert set(self.executed_events) == {pid for pid, p in self.proposals.items() if p.executed}
        assert all(self.proposals[pid].passed() for pid in self.executed_events)

    @invariant()
    def only_accounts_of_active_members_may_transact(self) -> None:
        """After an execution every account is checked; otherwise those whose access the model says
        changed, and one more in turn."""
        now = {a: self.model.may_transact(a) for a in self.pool}
        if self.full_sweep:
            accounts = list(self.pool)
        else:
            accounts = [a for a in self.pool if now[a] != self.last_access.get(a)]
            accounts.append(self.pool[self.step % len(self.pool)])
        self.step += 1
        self.full_sweep = False
        self.last_access = now
        for account in dict.fromkeys(accounts):
            self.check_access(account)

    def check_access(self, account: str) -> None:
        allowed = self.allowed(account)
        expected = self.model.may_transact(account)
        assert allowed == expected, f"{account}: allowed={allowed}, model={self.model.accounts.get(account)}"
        mid = self.model.accounts.get(account, (0, 0))[0]
        if mid and self.model.members[mid].status != ACTIVE:
            assert not allowed, f"{account} of inactive member {mid} may transact"

    @invariant()
    def the_deployer_has_no_power(self) -> None:
        deployer = self.env.deployer
        attempts = [
            self.c.setMemberWeight(1, 1),
            self.c.addAccounts(1, [deployer], [ADMIN | TRANSACT]),
            self.c.suspendMember(1),
            self.c.setSettings((1, 1, 0, 1, 0, 1)),
            self.c.addMember("Mallory", "", 1000, [deployer], [5], [signed_node(99, 4, "10.9.9.9")]),
            self.env.ingress.functions.setRules(self.env.spare[0], bytes.fromhex(enode(1)), "10.0.0.1", 30303),
        ]
        fn = attempts[self.step % len(attempts)]
        with pytest.raises(ContractRevertError) as info:
            Transactor(self.env.w3, deployer, ABIS).simulate(fn)
        assert info.value.name == "OnlyGovernance"

    def teardown(self) -> None:
        """A full sweep: every account's access, every proposal's tally and state, every voted mark."""
        for account in self.pool:
            self.check_access(account)
        self.check_members()
        t = self.now()
        for p in self.proposals.values():
            core = self.read(self.c.proposalCore(p.pid))
            assert tuple(core[5:8]) == p.tally()
            assert self.read(self.c.state(p.pid)) == p.state(t)
            for mid in self.model.members:  # each member's weight at the snapshot, as the model took it
                assert self.read(self.c.memberWeightAt(mid, core[2])) == p.weights.get(mid, 0)
            for mid, member in self.model.members.items():
                # Below the window: voted (or too late) only if the member had weight at the snapshot.
                expected = (p.number < member.vote_base and p.weights[mid] > 0) or p.number in member.voted
                assert self.read(self.c.hasVoted(p.pid, mid)) is expected


def _copy_of_rule(name: str, method: Any, needs: bool | str, **strategies: Any) -> Any:
    """``method`` as a rule of its own under ``name``, enabled when there are proposals (``needs`` true)
    or pending admin accounts (``needs == "pending"``)."""

    def step(self: GovernanceMachine, **kwargs: Any) -> None:
        method(self, **kwargs)

    step.__name__ = step.__qualname__ = name
    copy_rule = rule(**strategies)(step)
    if needs == "pending":
        return precondition(lambda self: bool(self.model.pending))(copy_rule)
    return precondition(lambda self: bool(self.proposals))(copy_rule) if needs else copy_rule


# Rule weights. Hypothesis picks evenly among the rules enabled for a run, and swarm testing
# disables each rule (by function name) with a probability drawn per run, so a run without any vote
# or execution would be common. The core steps therefore also exist as copies under other names: they
# weigh more, and it is unlikely that every copy is disabled at once.
for _name, _copies, _needs, _strategies in (
    ("propose", 3, False, {"data": st.data()}),
    ("vote", 2, True, {"data": st.data()}),
    ("single_vote", 2, True, {"data": st.data()}),
    ("execute", 3, True, {"data": st.data()}),
    ("time_jump", 1, False, {"seconds": st.sampled_from(JUMPS)}),
    ("accept_admin", 1, "pending", {"data": st.data()}),
):
    for _i in range(_copies):
        _copy_name = f"{_name}_copy_{_i + 1}"
        setattr(GovernanceMachine, _copy_name,
                _copy_of_rule(_copy_name, getattr(GovernanceMachine, _name), _needs, **_strategies))


def test_governance_state_machine(_deployed: tuple[Env, int]) -> None:
    env, snap = _deployed
    GovernanceMachine.base = _deployed
    try:
        run_state_machine_as_test(
            GovernanceMachine,
            settings=settings(
                max_examples=10,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
            ),
        )
    finally:
        revert_to(env.w3, snap)
