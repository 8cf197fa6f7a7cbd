"""The consortium's history as typed records, and a watch that yields new ones as blocks arrive.

Every state change of the contracts emits an event; :meth:`Events.history` reads them back with
``eth_getLogs`` (in block ranges of ``client.log_chunk``) and decodes each into:

- :class:`MemberEvent` (``member_id``): MemberAdded, MemberSuspended, MemberReinstated,
  MemberRemoved, MemberWeightChanged, AccountAdded, AccountRemoved, AdminAcceptancePending,
  AdminAccepted, NodeAdded, NodeRemoved;
- :class:`ProposalEvent` (``proposal_id``): ProposalCreated, ProposalExecuted, ProposalCanceled;
- :class:`VoteEvent` (``proposal_id``, ``member_id``, ``voter``, ``support``, ``weight``): VoteCast;
- :class:`Event`: SettingsChanged, MemberLimitsChanged, NodeMatchChanged, GovernanceStarted,
  the ingress's RulesChanged, and the ValidatorSet's ValidatorAdded and ValidatorRemoved.

:meth:`Events.watch` polls for new blocks and yields their events in order. Its ``next_block`` is
the first block whose events have not all been yielded: after a restart, pass it as ``from_block``.
Events of that block that were already yielded come again (delivery is at least once): key them by
``(tx_hash, log_index)``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from eth_utils.abi import event_abi_to_log_topic
from web3 import Web3
from web3._utils.events import get_event_data

from consortium_evm.client.models import Support, _plain
from consortium_evm.domain.proposals import proposal_number
from consortium_evm.errors import ConfigError, RPCError

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

MEMBER_EVENTS = (
    "MemberAdded", "MemberSuspended", "MemberReinstated", "MemberRemoved", "MemberWeightChanged",
    "AccountAdded", "AccountRemoved", "AdminAcceptancePending", "AdminAccepted", "NodeAdded", "NodeRemoved",
)
PROPOSAL_EVENTS = ("ProposalCreated", "ProposalExecuted", "ProposalCanceled")
VOTE_EVENTS = ("VoteCast",)
OTHER_EVENTS = ("SettingsChanged", "MemberLimitsChanged", "NodeMatchChanged", "GovernanceStarted", "RulesChanged")
VALIDATOR_EVENTS = ("ValidatorAdded", "ValidatorRemoved")
ALL_EVENTS = MEMBER_EVENTS + PROPOSAL_EVENTS + VOTE_EVENTS + OTHER_EVENTS + VALIDATOR_EVENTS

CATEGORIES: dict[str, tuple[str, ...]] = {
    "members": MEMBER_EVENTS,
    "proposals": PROPOSAL_EVENTS,
    "votes": VOTE_EVENTS,
    "settings": OTHER_EVENTS,
    "validators": VALIDATOR_EVENTS,
}
"""Event names by category (``consortium-evm events --kind members``)."""


@dataclass(frozen=True)
class Event:
    """One event: where it happened and its decoded arguments (by their Solidity names)."""

    name: str
    block_number: int
    tx_hash: str
    log_index: int
    address: str
    args: Mapping[str, Any] = field(compare=False)

    @property
    def key(self) -> tuple[str, int]:
        """``(tx_hash, log_index)``: unique per event, for idempotent handling."""
        return (self.tx_hash, self.log_index)

    def describe(self) -> str:
        """A one-line account of the event for people."""
        a = self.args
        match self.name:
            case "SettingsChanged":
                s = settings_values(a["settings"])
                return (f"settings changed: quorum {s[0]} bps, threshold {s[1]} bps, voting delay {s[2]} s, "
                        f"voting period {s[3]} s, execution delay {s[4]} s, expiry {s[5]} s")
            case "MemberLimitsChanged":
                return f"member limits set: {a['maxAccounts']} accounts, {a['maxNodes']} nodes per member"
            case "NodeMatchChanged":
                return "nodes matched by " + ("enode id" if int(a["mode"]) == 0 else "enode id, host and port")
            case "GovernanceStarted":
                return f"governance took over from the bootstrapper {a['formerBootstrapper']}"
            case "RulesChanged":
                return f"permission rules changed from {a['previousRules']} to {a['newRules']}"
            case "ValidatorAdded" | "ValidatorRemoved":
                return f"validator {a['validator']} {self.name.removeprefix('Validator').lower()}"
        return f"{self.name} {dict(_plain(dict(a)))}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "name": self.name, "block_number": self.block_number, "tx_hash": self.tx_hash,
            "log_index": self.log_index, "address": self.address, "args": _plain(dict(self.args)),
            "description": self.describe(),
        }


@dataclass(frozen=True)
class MemberEvent(Event):
    """A change to a member, its accounts or its nodes."""

    member_id: int = 0

    def describe(self) -> str:
        a, m = self.args, f"member {self.member_id}"
        match self.name:
            case "MemberAdded":
                return f"{m} added: {a['name']} (weight {a['weight']})"
            case "MemberSuspended" | "MemberReinstated" | "MemberRemoved":
                return f"{m} {self.name.removeprefix('Member').lower()}"
            case "MemberWeightChanged":
                return f"{m} weight {a['oldWeight']} -> {a['newWeight']}"
            case "AccountAdded":
                owner = m if self.member_id else "unaffiliated"
                return f"{owner}: account {a['account']} added (flags {a['flags']})"
            case "AccountRemoved":
                owner = m if self.member_id else "unaffiliated"
                return f"{owner}: account {a['account']} removed"
            case "AdminAcceptancePending":
                return f"{m}: account {a['account']} registered as admin, waiting for its acceptance"
            case "AdminAccepted":
                return f"{m}: account {a['account']} accepted its admin registration"
            case "NodeAdded":
                return f"{m}: node {bytes(a['publicKey']).hex()[:16]}... at {a['host']}:{a['port']} added"
            case "NodeRemoved":
                return f"{m}: node key 0x{bytes(a['nodeKey']).hex()[:16]}... removed"
        return super().describe()


@dataclass(frozen=True)
class ProposalEvent(Event):
    """A proposal created, executed or canceled."""

    proposal_id: int = 0

    def describe(self) -> str:
        number = proposal_number(self.proposal_id)
        if self.name == "ProposalCreated":
            return f"proposal #{number} created by member {self.args['proposerMemberId']}: {self.args['description']}"
        return f"proposal #{number} {self.name.removeprefix('Proposal').lower()}"


@dataclass(frozen=True)
class VoteEvent(Event):
    """A vote counted."""

    proposal_id: int = 0
    member_id: int = 0
    voter: str = ""
    support: Support = Support.ABSTAIN
    weight: int = 0

    def describe(self) -> str:
        return (f"member {self.member_id} voted {self.support.label} on proposal #{proposal_number(self.proposal_id)} "
                f"with weight {self.weight} ({self.voter})")


SETTINGS_FIELDS = ("quorumBps", "thresholdBps", "votingDelay", "votingPeriod", "executionDelay", "expiryPeriod")


def settings_values(value: Any) -> tuple[int, ...]:
    """The six numbers of a decoded ``Settings`` struct (a tuple, or a mapping by field name)."""
    if isinstance(value, Mapping) or hasattr(value, "keys"):
        return tuple(int(value[name]) for name in SETTINGS_FIELDS)
    return tuple(int(v) for v in value)


def _record(name: str, block: int, tx_hash: str, index: int, address: str, args: Mapping[str, Any]) -> Event:
    base: dict[str, Any] = {"name": name, "block_number": block, "tx_hash": tx_hash, "log_index": index,
                            "address": address, "args": args}
    if name in MEMBER_EVENTS:
        return MemberEvent(**base, member_id=int(args["memberId"]))
    if name in PROPOSAL_EVENTS:
        return ProposalEvent(**base, proposal_id=int(args["proposalId"]))
    if name in VOTE_EVENTS:
        return VoteEvent(**base, proposal_id=int(args["proposalId"]), member_id=int(args["memberId"]),
                         voter=str(args["voter"]), support=Support(int(args["support"])), weight=int(args["weight"]))
    return Event(**base)


class Events:
    """The consortium's events (``client.events``)."""

    def __init__(self, client: ConsortiumClient) -> None:
        self._client = client
        self._abis: dict[bytes, dict[str, Any]] = {}
        for abi in client.abis:
            for entry in abi:
                if entry.get("type") == "event" and entry["name"] in ALL_EVENTS:
                    self._abis[bytes(event_abi_to_log_topic(cast(Any, entry)))] = entry
        self._topics = {entry["name"]: topic for topic, entry in self._abis.items()}

    def _addresses(self) -> list[str]:
        client = self._client
        return [str(c.address) for c in (client.consortium, client.ingress, client.validator_set) if c is not None]

    def history(
        self,
        from_block: int | None = None,
        to_block: int | None = None,
        *,
        kinds: Iterable[str] | None = None,
        member_id: int | None = None,
        proposal_id: int | None = None,
    ) -> list[Event]:
        """Events from ``from_block`` (default: the deployment's block) to ``to_block`` (default,
        and at most: the latest), in chain order; only ``kinds`` (event names or categories) if given, only those
        about ``member_id`` or ``proposal_id`` if given."""
        start = self._client.from_block if from_block is None else max(0, int(from_block))
        # Nodes refuse (or answer inconsistently) a range past their head: stop at the latest block.
        latest = self._client.block_number()
        end = latest if to_block is None else min(int(to_block), latest)
        return self.read(start, end, self.resolve_kinds(kinds), member_id=member_id, proposal_id=proposal_id)

    def read(
        self, start: int, end: int, names: tuple[str, ...], *, member_id: int | None = None,
        proposal_id: int | None = None,
    ) -> list[Event]:
        """:meth:`history` for callers that already know the head: blocks ``start`` to ``end``
        (both at most the latest), event ``names`` as :meth:`resolve_kinds` gives them."""
        topics: list[Any] = [[Web3.to_hex(self._topics[n]) for n in names]]
        # memberId is the first indexed argument of every member event, proposalId of every proposal
        # and vote event: the node filters on it when the kinds allow.
        if member_id is not None and set(names) <= set(MEMBER_EVENTS):
            topics.append(Web3.to_hex(int(member_id).to_bytes(32, "big")))
        elif proposal_id is not None and set(names) <= set(PROPOSAL_EVENTS + VOTE_EVENTS):
            topics.append(Web3.to_hex(int(proposal_id).to_bytes(32, "big")))
        events = [self._decode(log) for log in self._logs(start, end, topics)]
        if member_id is not None:
            events = [e for e in events if getattr(e, "member_id", None) == member_id]
        if proposal_id is not None:
            events = [e for e in events if getattr(e, "proposal_id", None) == proposal_id]
        return events

    def watch(
        self,
        from_block: int | None = None,
        *,
        kinds: Iterable[str] | None = None,
        poll_interval: float = 1.0,
        confirmations: int = 1,
        stop: threading.Event | None = None,
    ) -> EventWatch:
        """An iterator over events from ``from_block`` (default: the next block) onwards, waiting for
        new blocks, until ``stop`` is set. Only blocks with ``confirmations`` (the block itself
        counts) are read, so that a short reorganization does not deliver events that vanish."""
        start = self._client.block_number() + 1 if from_block is None else int(from_block)
        return EventWatch(self, start, self.resolve_kinds(kinds), poll_interval, max(1, confirmations), stop)

    def resolve_kinds(self, kinds: Iterable[str] | None) -> tuple[str, ...]:
        """Event names from names and categories (one as a string, or several); a ConfigError names
        an unknown one."""
        if kinds is None:
            return tuple(n for n in ALL_EVENTS if n in self._topics)  # the ValidatorSet's only with one
        if isinstance(kinds, str):
            kinds = [kinds]
        names: list[str] = []
        for kind in kinds:
            if kind in VALIDATOR_EVENTS or kind == "validators":
                if self._client.validator_set is None:
                    raise ConfigError(f"{kind!r}: this client knows no ValidatorSet (the consortium may have none)")
            if kind in CATEGORIES:
                names.extend(CATEGORIES[kind])
            elif kind in self._topics:
                names.append(kind)
            else:
                raise ConfigError(
                    f"unknown event kind {kind!r}; use a category ({', '.join(CATEGORIES)}) or an event name "
                    f"({', '.join(ALL_EVENTS)})"
                )
        if not names:
            raise ConfigError("no event kind given (kinds=None reads every kind)")
        return tuple(dict.fromkeys(names))

    def _logs(self, start: int, end: int, topics: Sequence[Any]) -> list[Any]:
        logs: list[Any] = []
        chunk = max(1, self._client.log_chunk)
        for low in range(start, end + 1, chunk):
            high = min(end, low + chunk - 1)
            query = {"address": self._addresses(), "fromBlock": low, "toBlock": high, "topics": list(topics)}
            try:
                logs.extend(self._client.w3.eth.get_logs(cast(Any, query)))
            except Exception as exc:  # noqa: BLE001
                raise RPCError(f"the node failed eth_getLogs for blocks {low}..{high}: {exc}") from exc
        return logs

    def _decode(self, log: Any) -> Event:
        entry = self._abis[bytes(log["topics"][0])]
        data = get_event_data(self._client.w3.codec, cast(Any, entry), log)
        tx_hash = "0x" + bytes(log["transactionHash"]).hex().removeprefix("0x")
        return _record(str(entry["name"]), int(log["blockNumber"]), tx_hash, int(log["logIndex"]),
                       str(log["address"]), dict(data["args"]))


class EventWatch(Iterator[Event]):
    """Yields events as blocks arrive (see :meth:`Events.watch`); ``next_block`` is where to resume."""

    def __init__(
        self, events: Events, from_block: int, names: tuple[str, ...], poll_interval: float, confirmations: int,
        stop: threading.Event | None,
    ) -> None:
        self._events = events
        self._names = names
        self._poll = poll_interval
        self._confirmations = confirmations
        self._stop = stop
        self._scanned_to = from_block - 1
        self._buffer: list[Event] = []

    @property
    def next_block(self) -> int:
        """The first block whose events have not all been yielded."""
        return self._buffer[0].block_number if self._buffer else self._scanned_to + 1

    def __iter__(self) -> EventWatch:
        return self

    def __next__(self) -> Event:
        while not self._buffer:
            if self._stop is not None and self._stop.is_set():
                raise StopIteration
            ready = self._events._client.block_number() - (self._confirmations - 1)
            if ready > self._scanned_to:
                self._buffer = self._events.read(self._scanned_to + 1, ready, self._names)
                self._scanned_to = ready
                continue
            if self._stop is not None:
                self._stop.wait(self._poll)
            else:
                time.sleep(self._poll)
        return self._buffer.pop(0)
