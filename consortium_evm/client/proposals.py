"""Proposals: create, read with their tally, vote (directly or by signature), execute, cancel, wait.

A proposal's actions and description live in its ``ProposalCreated`` event (the contract keeps a
hash of them); the client reads them from the chain's logs once and keeps them, so that
``execute`` needs only the proposal's id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from eth_utils.crypto import keccak
from web3 import Web3

from consortium_evm.client.events import ProposalEvent
from consortium_evm.client.models import Action, Proposal, Proposed, SignedVote, Support, Tally, Voted
from consortium_evm.contract_errors import ProposalNotExecutable, UnknownProposal
from consortium_evm.domain.proposals import ProposalState, proposal_number, proposer_member_id
from consortium_evm.domain.signatures import TypedSigner, sign_typed
from consortium_evm.domain.spec import parse_address
from consortium_evm.errors import ConfigError, ProposalOutcomeError, WaitTimeoutError
from consortium_evm.tx.transactions import Sent
from consortium_evm.util.times import utc

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

BPS = 10_000
REACHABLE: dict[ProposalState, frozenset[ProposalState]] = {
    ProposalState.PENDING: frozenset(ProposalState),
    ProposalState.ACTIVE: frozenset(ProposalState) - {ProposalState.PENDING},
    ProposalState.QUEUED: frozenset({ProposalState.QUEUED, ProposalState.SUCCEEDED, ProposalState.EXPIRED,
                                     ProposalState.EXECUTED}),
    ProposalState.SUCCEEDED: frozenset({ProposalState.SUCCEEDED, ProposalState.EXPIRED, ProposalState.EXECUTED}),
    ProposalState.CANCELED: frozenset({ProposalState.CANCELED}),
    ProposalState.DEFEATED: frozenset({ProposalState.DEFEATED}),
    ProposalState.EXPIRED: frozenset({ProposalState.EXPIRED}),
    ProposalState.EXECUTED: frozenset({ProposalState.EXECUTED}),
}
"""The states a proposal in a given state may still reach (time only moves forward; a proposal's
settings and weights are those of its creation)."""


def _states(states: ProposalState | str | int | Iterable[ProposalState | str | int]) -> set[ProposalState]:
    items = [states] if isinstance(states, (str, int)) else list(states)
    if not items:
        raise ConfigError("no proposal state given")
    return {ProposalState.parse(s) for s in items}


class Proposals:
    """Governance proposals (``client.proposals``)."""

    def __init__(self, client: ConsortiumClient) -> None:
        self._client = client
        self._c = client.consortium.functions
        self._created: dict[int, ProposalEvent] = {}
        self._scan_lock = threading.Lock()
        self._scanned_to = client.from_block - 1
        self._snapshots: dict[int, tuple[Any, int]] = {}

    # -- reads -----------------------------------------------------------------------------------

    def get(self, proposal_id: int | str) -> Proposal:
        """A proposal with its actions, state and tally; raises UnknownProposal."""
        pid = self.resolve(proposal_id)
        created = self._creation(pid)
        c, call = self._c, self._client.call
        state = ProposalState(int(call(c.state(pid))))
        core = call(c.proposalCore(pid))
        vote_start, vote_end, snapshot = int(core[0]), int(core[1]), int(core[2])
        settings, total = self._at_snapshot(snapshot)
        quorum = (total * settings.quorum_bps + BPS - 1) // BPS
        executable_at = vote_end + settings.execution_delay
        args = created.args
        return Proposal(
            id=pid,
            number=proposal_number(pid),
            proposer_member_id=proposer_member_id(pid),
            proposer=str(args["proposer"]),
            description=str(args["description"]),
            actions=tuple(self._action(t, v, d) for t, v, d in zip(args["targets"], args["values"], args["calldatas"])),
            state=state,
            vote_start=vote_start,
            vote_end=vote_end,
            executable_at=executable_at,
            expires_at=executable_at + settings.expiry_period,
            snapshot=snapshot,
            tally=Tally(int(core[5]), int(core[6]), int(core[7]), quorum, total, settings.threshold_bps),
            created_block=created.block_number,
            created_tx=created.tx_hash,
        )

    def list(
        self, state: ProposalState | str | int | Iterable[ProposalState | str | int] | None = None
    ) -> list[Proposal]:
        """Every proposal, oldest first, or those in ``state`` (one state or several)."""
        wanted = None if state is None else _states(state)
        self._scan()
        proposals = [self.get(pid) for pid in list(self._created)]
        if wanted is None:
            return proposals
        return [p for p in proposals if p.state in wanted]

    def resolve(self, proposal: int | str) -> int:
        """A proposal id from an id (int, decimal or 0x-hex) or ``#N`` (its sequence number)."""
        if isinstance(proposal, int) and not isinstance(proposal, bool):
            return _checked_id(proposal, proposal)
        if not isinstance(proposal, str):
            raise ConfigError(f"{proposal!r} is not a proposal id (a number, 0x-hex, or #N)")
        text = proposal.strip()
        if text.startswith("#"):
            digits = text[1:].strip()
            if not digits.isdigit():
                raise ConfigError(f"{proposal!r} is not a proposal number (#1, #2, ...)")
            number = int(digits)
            self._scan()
            for pid in list(self._created):
                if proposal_number(pid) == number:
                    return pid
            raise UnknownProposal(
                "UnknownProposal", {"proposalId": text},
                f"no proposal {text} in blocks {self._client.from_block} to {self._scanned_to}",
            )
        try:
            return _checked_id(int(text, 0), proposal)
        except ValueError:
            raise ConfigError(f"{proposal!r} is not a proposal id (a number, 0x-hex, or #N)") from None

    def has_voted(self, proposal_id: int | str, member_id: int) -> bool:
        """Whether ``member_id`` has voted on the proposal (or can no longer vote on it); raises
        UnknownProposal for a proposal nobody created."""
        pid = self.resolve(proposal_id)
        self._client.call(self._c.state(pid))  # UnknownProposal, rather than False, for a wrong id
        return bool(self._client.call(self._c.hasVoted(pid, member_id)))

    def wait_for(
        self,
        proposal_id: int | str,
        states: ProposalState | str | int | Iterable[ProposalState | str | int],
        *,
        timeout: float = 300.0,
        poll_interval: float = 1.0,
    ) -> Proposal:
        """Wait until the proposal is in one of ``states``; returns it then. Raises
        ProposalOutcomeError as soon as it can no longer reach them (it ended in another final
        state, or went past them: a queued proposal is never active again), WaitTimeoutError after
        ``timeout`` seconds."""
        wanted = _states(states)
        pid = self.resolve(proposal_id)
        deadline = time.monotonic() + timeout
        while True:
            proposal = self.get(pid)
            if proposal.state in wanted:
                return proposal
            if not wanted & REACHABLE[proposal.state]:
                ended = "ended" if proposal.state.is_final else "is"
                raise ProposalOutcomeError(
                    f"proposal #{proposal.number} {ended} {proposal.state.label} and can no longer become "
                    f"{' or '.join(sorted(s.label for s in wanted))}"
                )
            if time.monotonic() >= deadline:
                raise WaitTimeoutError(
                    f"proposal #{proposal.number} is still {proposal.state.label} after {timeout:g} s "
                    f"(waiting for {' or '.join(sorted(s.label for s in wanted))})"
                )
            time.sleep(poll_interval)

    # -- writes ----------------------------------------------------------------------------------

    def create(self, actions: Action | Sequence[Action], description: str) -> Proposed:
        """Propose ``actions`` (from ``client.actions``). The signing account must be an admin of an
        active member. Returns the new proposal's id and the transaction."""
        items = [actions] if isinstance(actions, Action) else list(actions)
        if not items:
            raise ConfigError("a proposal needs at least one action")
        fn = self._c.propose([a.target for a in items], [a.value for a in items], [a.data for a in items], description)
        sent = self._client.require_transactor("proposing").send(fn)
        (event,) = self._client.consortium.events.ProposalCreated().process_receipt(sent.receipt)
        return Proposed(int(event.args.proposalId), sent)

    def vote(self, proposal_id: int | str, support: Support | str | int) -> Voted:
        """Cast the signing account's member's vote: for, against or abstain."""
        pid = self.resolve(proposal_id)
        sent = self._client.require_transactor("voting").send(self._c.castVote(pid, int(Support.parse(support))))
        return self._voted(sent)

    def sign_vote(
        self,
        proposal_id: int | str,
        support: Support | str | int,
        *,
        signer: TypedSigner | None = None,
        nonce: int | None = None,
    ) -> SignedVote:
        """Sign a ballot (EIP-712) for someone else to submit. ``signer`` defaults to the client's
        account; ``nonce`` to its member's next ballot nonce (one sequence per member, whichever
        admin signs: sign the next one with ``nonce + 1``; they count in nonce order)."""
        account = signer or self._client.signer()
        pid = self.resolve(proposal_id)
        choice = Support.parse(support)
        member_id = int(self._client.call(self._c.memberOf(account.address))[0])
        if nonce is None:
            nonce = int(self._client.call(self._c.ballotNonce(member_id)))
        message = {"proposalId": pid, "support": int(choice), "memberId": member_id, "voter": account.address,
                   "nonce": nonce}
        signature = sign_typed(account, "Ballot", message, self._client.chain_id, self._client.consortium.address)
        return SignedVote(pid, choice, str(account.address), nonce, "0x" + signature.hex(),
                          self._client.chain_id, self._client.consortium.address)

    def submit_vote(self, vote: SignedVote) -> Voted:
        """Submit a signed ballot from the client's account (any account may relay it). A ballot
        for another consortium or chain, or a malformed one (as read from a file), is a ConfigError."""
        transactor = self._client.require_transactor("submitting a vote")
        try:
            consortium = parse_address(vote.consortium, "the signed vote's consortium")
            voter = parse_address(vote.voter, "the signed vote's voter")
        except ConfigError as exc:
            raise ConfigError(f"malformed signed vote: {exc}") from None
        if vote.chain_id != self._client.chain_id or consortium != self._client.consortium.address:
            raise ConfigError(
                f"this vote was signed for the consortium {vote.consortium} on chain {vote.chain_id}, not "
                f"{self._client.consortium.address} on chain {self._client.chain_id}"
            )
        try:
            signature = bytes.fromhex(vote.signature.removeprefix("0x"))
        except (AttributeError, ValueError):
            signature = b""
        if len(signature) != 65 or not 0 <= vote.nonce < 2**64:
            raise ConfigError(f"malformed signed vote: voter {vote.voter!r}, nonce {vote.nonce!r}, signature "
                              f"{vote.signature!r} (65 bytes of 0x-hex expected)")
        fn = self._c.castVoteBySig(_checked_id(vote.proposal_id, vote.proposal_id), int(vote.support), voter,
                                   vote.nonce, signature)
        return self._voted(transactor.send(fn))

    def execute(self, proposal_id: int | str, value: int | None = None) -> Sent:
        """Execute a passed proposal (anyone may). ``value`` wei go with it; by default the sum of
        its actions' values."""
        pid = self.resolve(proposal_id)
        args = self._creation(pid).args
        values = [int(v) for v in args["values"]]
        fn = self._c.execute(pid, list(args["targets"]), values, list(args["calldatas"]),
                             bytes(keccak(text=str(args["description"]))))
        transactor = self._client.require_transactor("executing")
        try:
            return transactor.send(fn, value=sum(values) if value is None else value)
        except ProposalNotExecutable as exc:
            raise self._not_executable(pid, exc) from None

    def cancel(self, proposal_id: int | str) -> Sent:
        """Cancel a pending or active proposal (an admin of the proposing member only)."""
        pid = self.resolve(proposal_id)
        return self._client.require_transactor("canceling").send(self._c.cancel(pid))

    # -- internals -------------------------------------------------------------------------------

    def _not_executable(self, pid: int, exc: ProposalNotExecutable) -> ProposalNotExecutable:
        """``exc`` with the proposal's times, as the client knows them, in its message."""
        proposal = self.get(pid)
        state, name = proposal.state, f"proposal #{proposal.number}"
        ends, executable, expires = utc(proposal.vote_end), utc(proposal.executable_at), utc(proposal.expires_at)
        if state == ProposalState.PENDING:
            why = (f"{name} is pending: voting starts at {utc(proposal.vote_start)} and ends at {ends}; if it passes "
                   f"it is executable at {executable} and expires at {expires}")
        elif state == ProposalState.ACTIVE:
            why = (f"{name} is active: voting ends at {ends}; if it passes it is executable at {executable} and "
                   f"expires at {expires}")
        elif state == ProposalState.QUEUED:
            why = f"{name} passed and waits for its execution delay: executable at {executable}, expires at {expires}"
        elif state == ProposalState.EXPIRED:
            why = f"{name} expired at {expires} without being executed"
        else:
            why = f"{name} is {state.label}"
        return ProposalNotExecutable(exc.name, exc.args_by_name, f"{exc}; {why}")


    def _scan(self) -> None:
        # Proposals are read from ProposalCreated events once, up to the latest block seen.
        # One scan at a time: threads of a back-end may share one client.
        with self._scan_lock:
            latest = self._client.block_number()
            if latest <= self._scanned_to:
                return
            for event in self._client.events.read(self._scanned_to + 1, latest, ("ProposalCreated",)):
                assert isinstance(event, ProposalEvent)
                self._created[event.proposal_id] = event
            self._scanned_to = latest

    def _creation(self, pid: int) -> ProposalEvent:
        if pid not in self._created:
            self._scan()
        if pid not in self._created:
            self._client.call(self._c.state(pid))  # raises UnknownProposal for an id nobody created
            raise UnknownProposal(
                "UnknownProposal", {"proposalId": pid},
                f"proposal {pid} exists but its ProposalCreated event is not in blocks {self._client.from_block} "
                f"to {self._scanned_to}: was the client given the right deployment block?",
            )
        return self._created[pid]

    def _at_snapshot(self, snapshot: int) -> tuple[Any, int]:
        # What an epoch held never changes (every change opens a new epoch): read it once.
        if snapshot not in self._snapshots:
            settings = self._client.settings(snapshot)
            total = int(self._client.call(self._c.totalWeightAt(snapshot)))
            self._snapshots[snapshot] = (settings, total)
        return self._snapshots[snapshot]

    def _action(self, target: str, value: int, data: bytes) -> Action:
        return Action(Web3.to_checksum_address(target), int(value), bytes(data), self._client.actions.summary(target, data))

    def _voted(self, sent: Sent) -> Voted:
        (event,) = self._client.consortium.events.VoteCast().process_receipt(sent.receipt)
        a = event.args
        return Voted(int(a.proposalId), int(a.memberId), str(a.voter), Support(int(a.support)), int(a.weight), sent)


def _checked_id(value: int, given: object) -> int:
    if not 0 <= value < 2**256:
        raise ConfigError(f"{given!r} is not a proposal id (a number, 0x-hex, or #N)")
    return value
