"""What a consortium is made of, as plain data: founding members, their accounts and nodes, and the
governance settings. The deployer bootstraps exactly this; the client library returns the same
shapes when it reads the chain back.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from consortium_evm.errors import ConfigError

_ENODE_ID = re.compile(r"^(0[xX])?[0-9a-fA-F]{128}$")
_HEX_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ENODE_URL = re.compile(r"^enode://([0-9a-fA-F]{128})@([^:@/\s]+):(\d{1,5})(\?.*)?$")
MAX_TOTAL_WEIGHT = 2**40 - 1
"""The contracts keep tallies in 40 bits: the sum of all member weights must stay below this."""


class Role(enum.IntFlag):
    """Role flags of an account within its member (the contracts' ``Roles`` library)."""

    TRANSACT = 1
    DEPLOY = 2
    ADMIN = 4

    @classmethod
    def parse(cls, names: str | list[str] | int) -> Role:
        """``"transact,deploy"``, ``["admin"]`` or an int -> flags; unknown names are a ConfigError."""
        if isinstance(names, int):
            if names <= 0 or names & ~int(cls.TRANSACT | cls.DEPLOY | cls.ADMIN):
                raise ConfigError(f"invalid role flags {names}")
            return cls(names)
        items = names.split(",") if isinstance(names, str) else names
        flags = cls(0)
        for item in items:
            key = item.strip().upper()
            if key not in cls.__members__:
                raise ConfigError(f"unknown role {item.strip()!r}; roles are transact, deploy, admin")
            flags |= cls[key]
        if not flags:
            raise ConfigError("an account needs at least one role (transact, deploy or admin)")
        return flags


class MemberStatus(enum.IntEnum):
    """A member's status, as the registry numbers it."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    REMOVED = 3


class NodeMatch(enum.IntEnum):
    """How a connecting node is matched against the registry."""

    ENODE_ID = 0
    ENODE_ID_HOST_PORT = 1


def parse_address(value: object, what: str = "address") -> ChecksumAddress:
    """A user-given address, checksummed; THE parser of every address a person types (files, CLI
    arguments, the client's API). A :class:`ConfigError` naming ``what`` when it is not ``0x`` and
    40 hex digits, or when its letters are mixed-case and do not match their EIP-55 checksum (a
    mistyped character). All-lowercase and all-uppercase hex carry no checksum and are accepted.

    (``eth_utils.is_address`` no longer checks the checksum of mixed-case addresses: a one-letter
    slip would name an account nobody controls.)
    """
    if not isinstance(value, str) or not _HEX_ADDRESS.match(value):
        shown = repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"
        raise ConfigError(f"{what} {shown} is not an Ethereum address (0x and 40 hex digits)")
    digits = value[2:]
    checksummed = to_checksum_address(value)
    if digits != digits.lower() and digits != digits.upper() and value != checksummed:
        raise ConfigError(
            f"{what} {value} has a wrong EIP-55 checksum (its upper- and lower-case letters do not match): "
            "a character is probably mistyped; copy the address again from its source"
        )
    return checksummed


def enode_public_key(enode_id: str) -> bytes:
    """The 64-byte public key of an enode id (128 hex digits, ``0x`` optional)."""
    if not isinstance(enode_id, str) or not _ENODE_ID.match(enode_id):
        raise ConfigError(f"enode id {enode_id!r} is not 128 hex digits")
    return bytes.fromhex(enode_id[2:] if enode_id[:2] in ("0x", "0X") else enode_id)


def node_key(enode_id: str) -> bytes:
    """The registry's key for a node: keccak-256 of its 64-byte public key."""
    return bytes(keccak(enode_public_key(enode_id)))


def enode_url_parts(enode: str) -> tuple[str, str, int] | None:
    """The id, host and port of an enode URL (``enode://ID@HOST:PORT``, a ``?query`` allowed), or
    None when ``enode`` is not one. The one enode URL parser: :func:`parse_enode` and the
    consortium file use it."""
    match = _ENODE_URL.match(enode)
    return None if match is None else (match.group(1), match.group(2), int(match.group(3)))


def parse_enode(enode: str) -> NodeSpec:
    """An enode URL (``enode://ID@HOST:PORT``) as a NodeSpec; a ConfigError if malformed."""
    parts = enode_url_parts(enode.strip())
    if parts is None:
        raise ConfigError(f"{enode!r} is not an enode URL (enode://<128 hex digits>@<host>:<port>)")
    return NodeSpec(*parts)


@dataclass(frozen=True)
class AccountSpec:
    """An account and its role flags."""

    address: str
    roles: Role

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", parse_address(self.address, "account"))
        object.__setattr__(self, "roles", Role.parse(int(self.roles)))


@dataclass(frozen=True)
class NodeSpec:
    """A node: its enode id (the 64-byte public key as 128 hex digits), host and P2P port."""

    enode_id: str
    host: str
    port: int = 30303
    signature: bytes = b""
    """The node key's consent to its registration (``signatures.sign_node_consent``): needed once
    governance has started; the bootstrap registers the founding nodes without one."""

    def __post_init__(self) -> None:
        key = enode_public_key(self.enode_id).hex()
        object.__setattr__(self, "enode_id", key)
        if not self.host:
            raise ConfigError(f"node {key[:12]}...: host is empty")
        if not 0 < int(self.port) < 65536:
            raise ConfigError(f"node {key[:12]}...: port {self.port} is not between 1 and 65535")

    @property
    def public_key(self) -> bytes:
        """The 64-byte public key."""
        return bytes.fromhex(self.enode_id)

    @property
    def key(self) -> bytes:
        """The registry's key for this node."""
        return node_key(self.enode_id)

    def as_tuple(self) -> tuple[bytes, str, int, bytes]:
        """The ``NodeSpec`` tuple the contract takes."""
        return (self.public_key, self.host, int(self.port), bytes(self.signature))


@dataclass(frozen=True)
class MemberSpec:
    """A member organization as governance adds it."""

    name: str
    weight: int
    metadata_uri: str = ""
    accounts: tuple[AccountSpec, ...] = ()
    nodes: tuple[NodeSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("a member needs a name")
        if not isinstance(self.weight, int) or not 0 < self.weight < 2**32:
            raise ConfigError(f"member {self.name!r}: weight {self.weight!r} must be a whole number from 1 to 2^32-1")
        object.__setattr__(self, "accounts", tuple(self.accounts))
        object.__setattr__(self, "nodes", tuple(self.nodes))

    def add_member_args(self) -> tuple[str, str, int, list[str], list[int], list[tuple[bytes, str, int, bytes]]]:
        """The arguments of ``Consortium.addMember`` for this member."""
        return (
            self.name,
            self.metadata_uri,
            self.weight,
            [a.address for a in self.accounts],
            [int(a.roles) for a in self.accounts],
            [n.as_tuple() for n in self.nodes],
        )


@dataclass(frozen=True)
class GovernanceSettings:
    """Governance parameters (see the contract's ``Settings``); times in seconds. The one settings
    record: the client's ``Settings`` (what it reads back) is this record, unchecked."""

    quorum_bps: int = 5000
    threshold_bps: int = 5001
    voting_delay: int = 0
    voting_period: int = 3 * 24 * 3600
    execution_delay: int = 0
    expiry_period: int = 14 * 24 * 3600

    def __post_init__(self) -> None:
        day, year = 24 * 3600, 365 * 24 * 3600
        checks = [
            ("quorum_bps", 1 <= self.quorum_bps <= 10_000, "1 to 10000 basis points"),
            ("threshold_bps", 1 <= self.threshold_bps <= 10_000, "1 to 10000 basis points"),
            ("voting_delay", 0 <= self.voting_delay <= 30 * day, "0 to 30 days"),
            ("voting_period", ABSOLUTE_MIN_VOTING_PERIOD <= self.voting_period <= year,
             f"{ABSOLUTE_MIN_VOTING_PERIOD} seconds to 365 days"),
            ("execution_delay", 0 <= self.execution_delay <= 30 * day, "0 to 30 days"),
            ("expiry_period", ABSOLUTE_MIN_EXPIRY_PERIOD <= self.expiry_period <= year,
             f"{ABSOLUTE_MIN_EXPIRY_PERIOD} seconds to 365 days"),
        ]
        for name, ok, bounds in checks:
            if not ok:
                raise ConfigError(f"governance setting {name}={getattr(self, name)!r} is out of bounds ({bounds})")

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        """The ``Settings`` tuple the contract takes."""
        return (
            self.quorum_bps,
            self.threshold_bps,
            self.voting_delay,
            self.voting_period,
            self.execution_delay,
            self.expiry_period,
        )


ABSOLUTE_MIN_VOTING_PERIOD = 10
"""The contract's floor under every voting period and voting-period floor (seconds)."""
ABSOLUTE_MIN_EXPIRY_PERIOD = 60
"""The contract's floor under every expiry period and expiry floor (seconds)."""


@dataclass(frozen=True)
class SettingsFloors:
    """Floors under the voting and expiry periods, fixed at deployment (the contract's
    ``SettingsFloors``): no later proposal can set governance so fast that, on the chain's block
    time, the next proposal could not be voted on and executed. Production defaults: an hour and a
    day; development networks lower them."""

    min_voting_period: int = 3600
    min_expiry_period: int = 24 * 3600

    def __post_init__(self) -> None:
        year = 365 * 24 * 3600
        for name, low in (("min_voting_period", ABSOLUTE_MIN_VOTING_PERIOD),
                          ("min_expiry_period", ABSOLUTE_MIN_EXPIRY_PERIOD)):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= year:
                raise ConfigError(f"governance floor {name}={value!r} is out of bounds ({low} seconds to 365 days)")

    def as_tuple(self) -> tuple[int, int]:
        """The ``SettingsFloors`` tuple the contract takes."""
        return (self.min_voting_period, self.min_expiry_period)

    def check(self, settings: GovernanceSettings) -> None:
        """Raise ConfigError when ``settings`` go below these floors."""
        if settings.voting_period < self.min_voting_period:
            raise ConfigError(
                f"voting_period {settings.voting_period}s is below the floor of {self.min_voting_period}s "
                "(lower governance.floors.voting_period for a development network)"
            )
        if settings.expiry_period < self.min_expiry_period:
            raise ConfigError(
                f"expiry_period {settings.expiry_period}s is below the floor of {self.min_expiry_period}s "
                "(lower governance.floors.expiry_period for a development network)"
            )


@dataclass(frozen=True)
class MemberLimits:
    """How many accounts and nodes one member may own."""

    max_accounts: int = 1000
    max_nodes: int = 64

    def __post_init__(self) -> None:
        for name in ("max_accounts", "max_nodes"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 < value < 2**32:
                raise ConfigError(f"member limit {name}={value!r} must be a whole number from 1 to 2^32-1")

    def as_tuple(self) -> tuple[int, int]:
        """The ``MemberLimits`` tuple the contract takes."""
        return (self.max_accounts, self.max_nodes)


@dataclass(frozen=True)
class ConsortiumSpec:
    """Founding members, governance settings and limits: everything the bootstrap needs."""

    members: tuple[MemberSpec, ...]
    settings: GovernanceSettings = field(default_factory=GovernanceSettings)
    limits: MemberLimits = field(default_factory=MemberLimits)
    floors: SettingsFloors | None = None
    """The floors under the voting and expiry periods; by default the production floors (an hour, a
    day), lowered to the initial settings when those are shorter (an explicit value must hold them)."""
    node_match: NodeMatch = NodeMatch.ENODE_ID
    validators: tuple[str, ...] = ()
    """The network's validators (block sealers); when there are any, the deployment adds a
    ``ValidatorSet`` holding them, owned by governance."""

    def __post_init__(self) -> None:
        members = tuple(self.members)
        object.__setattr__(self, "members", members)
        if self.floors is None:
            default = SettingsFloors()
            object.__setattr__(self, "floors", SettingsFloors(
                min(default.min_voting_period, self.settings.voting_period),
                min(default.min_expiry_period, self.settings.expiry_period),
            ))
        else:
            self.floors.check(self.settings)
        object.__setattr__(self, "validators", checked_validators(self.validators))
        if not members:
            raise ConfigError("the consortium needs at least one founding member")
        if sum(m.weight for m in members) > MAX_TOTAL_WEIGHT:
            raise ConfigError(f"the members' weights add up to more than {MAX_TOTAL_WEIGHT}")
        seen_accounts: dict[str, str] = {}
        seen_nodes: dict[str, str] = {}
        for member in members:
            if len(member.accounts) > self.limits.max_accounts or len(member.nodes) > self.limits.max_nodes:
                raise ConfigError(f"member {member.name!r} owns more accounts or nodes than the member limits allow")
            for account in member.accounts:
                other = seen_accounts.setdefault(account.address, member.name)
                if other != member.name or sum(a.address == account.address for a in member.accounts) > 1:
                    raise ConfigError(f"account {account.address} is listed twice ({other} and {member.name})")
            for node in member.nodes:
                other = seen_nodes.setdefault(node.enode_id, member.name)
                if other != member.name or sum(n.enode_id == node.enode_id for n in member.nodes) > 1:
                    raise ConfigError(f"node {node.enode_id[:12]}... is listed twice ({other} and {member.name})")
        if not any(a.roles & Role.ADMIN for m in members for a in m.accounts):
            raise ConfigError("no founding member has an admin account: nobody could propose or vote")
        if not any(m.nodes for m in members):
            raise ConfigError("no founding member has a node: the network would have no permitted node")

    @property
    def settings_floors(self) -> SettingsFloors:
        """The floors in force (set by ``__post_init__`` when not given)."""
        assert self.floors is not None
        return self.floors


ZERO_ADDRESS = "0x" + "00" * 20


def checked_validators(validators: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``validators`` checksummed; a ConfigError names a bad address, the zero address or a duplicate."""
    out: list[str] = []
    for index, validator in enumerate(validators):
        address = parse_address(validator, f"validator [{index}]")
        if address == ZERO_ADDRESS:
            raise ConfigError(f"validator [{index}] is the zero address")
        if address in out:
            raise ConfigError(f"validator {address} is listed twice ([{out.index(address)}] and [{index}])")
        out.append(address)
    return tuple(out)


@dataclass(frozen=True)
class NetworkSpec:
    """What a genesis file needs beyond the consortium: chain id, block timing, gas limit, forks and
    funded accounts (the validators are :attr:`ConsortiumSpec.validators`). Times in seconds."""

    chain_id: int
    block_period: int = 5
    """Seconds between blocks (Clique ``period``, IBFT 2.0/QBFT ``blockperiodseconds``)."""
    epoch: int = 30_000
    """Blocks between checkpoints that reset pending validator votes."""
    request_timeout: int = 10
    """IBFT 2.0/QBFT round timeout in seconds (``requesttimeoutseconds``); Clique has none."""
    gas_limit: int = 30_000_000
    evm_version: str = "london"
    """Every fork up to this one is active from block 0."""
    timestamp: int = 0
    """The genesis block's timestamp (also the ``joinedAt`` of the founding members)."""
    alloc: tuple[tuple[str, int], ...] = ()
    """Funded accounts: (address, balance in wei)."""

    def __post_init__(self) -> None:
        checks = [
            ("chain_id", 1 <= self.chain_id <= 2**63 - 37, "1 to 2^63-37"),
            ("block_period", 0 <= self.block_period <= 24 * 3600, "0 to 86400 seconds"),
            ("epoch", 1 <= self.epoch < 2**63, "a positive number of blocks"),
            ("request_timeout", 1 <= self.request_timeout <= 24 * 3600, "1 to 86400 seconds"),
            ("gas_limit", 5_000 <= self.gas_limit < 2**63, "5000 to 2^63-1"),
            ("timestamp", 0 <= self.timestamp < 2**63, "a non-negative Unix time"),
        ]
        for name, ok, bounds in checks:
            if not ok:
                raise ConfigError(f"network setting {name}={getattr(self, name)!r} is out of bounds ({bounds})")
        seen: set[str] = set()
        alloc = []
        for address, balance in self.alloc:
            key = parse_address(address, "funded account")
            if key in seen:
                raise ConfigError(f"funded account {key} is listed twice")
            if not 0 <= balance < 2**256:
                raise ConfigError(f"balance of {key} must be from 0 to 2^256-1 wei")
            seen.add(key)
            alloc.append((key, balance))
        object.__setattr__(self, "alloc", tuple(alloc))
