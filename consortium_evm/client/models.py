"""What the client returns: frozen dataclasses, plain Python values (ints, checksummed addresses,
hex strings), each with ``to_json()`` for scripts and the CLI's ``--json``."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from consortium_evm.domain.proposals import ProposalState, proposal_number
from consortium_evm.domain.spec import GovernanceSettings, MemberStatus, NodeMatch, Role
from consortium_evm.errors import ConfigError
from consortium_evm.tx.transactions import Sent


class Support(enum.IntEnum):
    """A vote, numbered as the contract (and OpenZeppelin's GovernorCountingSimple) numbers it."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2

    @property
    def label(self) -> str:
        """``for``, ``against`` or ``abstain``."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int | Support) -> Support:
        """``"for"``/``"yes"``, ``"against"``/``"no"``, ``"abstain"``, 0-2 or a Support."""
        if isinstance(value, Support):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2:
            return cls(value)
        if isinstance(value, str):
            key = {"yes": "for", "no": "against", "y": "for", "n": "against"}.get(value.strip().lower(), value.strip().lower())
            if key.upper() in cls.__members__:
                return cls[key.upper()]
        raise ConfigError(f"unknown vote {value!r}; a vote is for, against or abstain")


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Flag):
        # "transact,admin" (what Role.parse reads back); "" for no flags at all
        return ",".join(str(f.name).lower() for f in type(value) if f.value and f in value)
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Mapping):  # dicts, and web3's AttributeDict (decoded structs)
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


PROPOSAL_ID_KEYS = frozenset({"proposal_id"})


def proposal_id_json(value: int) -> str:
    """A proposal id for JSON: 0x-hex (256-bit numbers lose precision in many JSON readers)."""
    return hex(int(value))


class _JSON:
    _hex_keys: frozenset[str] = PROPOSAL_ID_KEYS

    def to_json(self) -> dict[str, Any]:
        """This record as JSON-ready data (enums as lower-case names, bytes as 0x-hex, proposal ids
        as 0x-hex strings)."""
        data = asdict(self)  # type: ignore[call-overload]
        return {k: proposal_id_json(v) if k in self._hex_keys and isinstance(v, int) else _plain(v)
                for k, v in data.items()}


@dataclass(frozen=True)
class Member(_JSON):
    """A member organization as the registry holds it."""

    id: int
    name: str
    metadata_uri: str
    weight: int
    status: MemberStatus
    joined_at: int
    """Unix time of the block that added it."""
    account_count: int
    admin_count: int
    node_count: int

    @property
    def active(self) -> bool:
        """Whether the member is active (its accounts and nodes have access; it votes)."""
        return self.status == MemberStatus.ACTIVE


@dataclass(frozen=True)
class MemberAccount(_JSON):
    """An account registered to a member (or allowed on its own: ``member_id`` 0)."""

    address: str
    member_id: int
    roles: Role
    """The roles in force once its member is active: the admin role only once accepted."""
    admin_pending: bool
    """Registered as an admin that has not accepted yet (``members.accept_admin``)."""
    consent_nonce: int
    """The nonce its signed acceptance must carry."""
    active: bool
    """Whether the account has its roles now (its member is active)."""


@dataclass(frozen=True)
class MemberNode(_JSON):
    """A node registered to a member."""

    enode_id: str
    """The 64-byte public key as 128 hex digits."""
    host: str
    port: int
    member_id: int
    key: str
    """The registry's key: keccak-256 of the public key, 0x-hex."""

    @property
    def enode(self) -> str:
        """The node's enode URL."""
        return f"enode://{self.enode_id}@{self.host}:{self.port}"


@dataclass(frozen=True)
class MemberDetails(_JSON):
    """A member with its accounts and nodes (read from the registry's events and records)."""

    member: Member
    accounts: tuple[MemberAccount, ...]
    nodes: tuple[MemberNode, ...]


@dataclass(frozen=True)
class Action(_JSON):
    """One call of a proposal: ``target`` is called with ``data`` and ``value`` wei."""

    target: str
    value: int
    data: bytes
    summary: str = ""
    """A readable form, such as ``Consortium.suspendMember(memberId=2)``."""


@dataclass(frozen=True)
class Tally(_JSON):
    """A proposal's votes, by the weights its members had when it was created."""

    for_votes: int
    against_votes: int
    abstain_votes: int
    quorum: int
    """Weight that must vote (for, against or abstain) for the result to count."""
    total_weight: int
    """Total active weight when the proposal was created."""
    threshold_bps: int
    """Share of for among for + against needed to pass, in basis points."""

    @property
    def cast(self) -> int:
        """Weight that voted."""
        return self.for_votes + self.against_votes + self.abstain_votes

    @property
    def quorum_reached(self) -> bool:
        """Whether enough weight voted."""
        return self.cast >= self.quorum

    @property
    def approved(self) -> bool:
        """Whether for reaches the threshold among for + against (now)."""
        decided = self.for_votes + self.against_votes
        return self.for_votes > 0 and self.for_votes * 10_000 >= self.threshold_bps * decided


@dataclass(frozen=True)
class Proposal(_JSON):
    """A proposal with its actions, its state and its tally."""

    _hex_keys = frozenset({"id"})

    id: int
    number: int
    proposer_member_id: int
    proposer: str
    description: str
    actions: tuple[Action, ...]
    state: ProposalState
    vote_start: int
    """Unix time voting opens."""
    vote_end: int
    """Unix time voting closes: votes are taken from ``vote_start`` (inclusive) until ``vote_end``
    (exclusive)."""
    executable_at: int
    """Unix time from which a passed proposal may execute."""
    expires_at: int
    """Unix time from which a passed, unexecuted proposal has expired (``executable_at`` inclusive to
    ``expires_at`` exclusive is the execution window)."""
    snapshot: int
    """The epoch whose weights and settings the proposal follows."""
    tally: Tally
    created_block: int
    created_tx: str

    @property
    def description_hash(self) -> bytes:
        """keccak-256 of the description (what ``execute`` takes)."""
        from eth_utils.crypto import keccak

        return bytes(keccak(text=self.description))


@dataclass(frozen=True)
class Settings(_JSON, GovernanceSettings):
    """The governance settings (times in seconds, shares in basis points): the record of
    :class:`~consortium_evm.domain.spec.GovernanceSettings`, as read from the chain or given to
    ``actions.set_settings``. Not checked against the deployment bounds here: the contract checks
    what it is sent, and what it holds it accepted."""

    def __post_init__(self) -> None:
        pass


SETTINGS_PARAMETERS: tuple[str, ...] = tuple(f.name for f in fields(GovernanceSettings))
"""The governance parameters ``set_param`` can change, by name."""


@dataclass(frozen=True)
class Totals(_JSON):
    """Consortium-wide counters."""

    member_count: int
    """Members ever added (removed ones included)."""
    active_members: int
    active_admins: int
    active_nodes: int
    total_active_weight: int
    total_weight: int


@dataclass(frozen=True)
class Status(_JSON):
    """The consortium at a glance."""

    chain_id: int
    block_number: int
    consortium: str
    ingress: str
    rules: str
    """The rules contract the ingress forwards to."""
    governance_started: bool
    totals: Totals
    settings: Settings
    proposal_count: int
    epoch: int
    node_match: NodeMatch
    validator_set: str = ""
    """The ValidatorSet the members govern ("" when the consortium has none)."""
    validators: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignedVote(_JSON):
    """A ballot signed by a member's admin account (EIP-712), which anyone may submit."""

    proposal_id: int
    support: Support
    voter: str
    nonce: int
    signature: str
    """65 bytes, 0x-hex."""
    chain_id: int
    consortium: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignedVote:
        """A signed vote from ``to_json()`` output; a malformed one is a ConfigError."""
        try:
            return cls(
                proposal_id=int(str(data["proposal_id"]), 0),
                support=Support.parse(data["support"]),
                voter=str(data["voter"]),
                nonce=int(data["nonce"]),
                signature=str(data["signature"]),
                chain_id=int(data["chain_id"]),
                consortium=str(data["consortium"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"not a signed vote (expected the JSON `proposals sign-vote` writes): {exc!r}") from None


@dataclass(frozen=True)
class Proposed(_JSON):
    """A proposal created by :meth:`~consortium_evm.client.proposals.Proposals.create`."""

    proposal_id: int
    sent: Sent = field(repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"proposal_id": proposal_id_json(self.proposal_id), "number": proposal_number(self.proposal_id),
                **_sent_json(self.sent)}


@dataclass(frozen=True)
class Voted(_JSON):
    """A vote counted by the contract."""

    proposal_id: int
    member_id: int
    voter: str
    support: Support
    weight: int
    sent: Sent = field(repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal_id": proposal_id_json(self.proposal_id), "member_id": self.member_id, "voter": self.voter,
            "support": self.support.label, "weight": self.weight, **_sent_json(self.sent),
        }


def _sent_json(sent: Sent) -> dict[str, Any]:
    return {"tx_hash": sent.tx_hash, "block_number": sent.block_number, "gas_used": sent.gas_used}


def sent_json(sent: Sent) -> dict[str, Any]:
    """A mined transaction as JSON-ready data (hash, block, gas used)."""
    return _sent_json(sent)
