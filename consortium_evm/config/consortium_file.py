"""``consortium.yaml``: the founding members and governance parameters a deployment bootstraps.

Validated with pydantic; every problem is reported with the file, the line and the key path.
Durations are seconds or strings like ``90s``, ``30m``, ``6h``, ``3d``; shares are basis points or
percentages (``50%``, ``66.67%``). A node is an enode URL (``enode://ID@HOST:PORT``) or an ``id`` with
a ``host`` and ``port``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError

from consortium_evm.config.fields import Duration, StrictModel, duration, parse_wei
from consortium_evm.config.yamlsource import SourcedDocument, expand_env, load_yaml, validation_error
from consortium_evm.domain.spec import (
    AccountSpec,
    ConsortiumSpec,
    GovernanceSettings,
    MemberLimits,
    SettingsFloors,
    MemberSpec,
    NetworkSpec,
    NodeMatch,
    NodeSpec,
    Role,
    checked_validators,
    enode_url_parts,
    parse_address,
)
from consortium_evm.errors import ConfigError
from consortium_evm.node.geth import CLIQUE_EVM_VERSIONS

GENESIS_EVM_VERSIONS = CLIQUE_EVM_VERSIONS
"""EVM versions a generated genesis can target, homestead to london (Clique and GoQuorum stop at
london; Besu's time-based forks after it are not generated)."""


def _share(value: Any) -> Any:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return round(float(value.strip()[:-1]) * 100)
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage") from None
    return value


def parse_duration(text: str) -> int:
    """Seconds from ``90``, ``90s``, ``30m``, ``6h``, ``3d`` or ``1w``; a ConfigError otherwise."""
    try:
        value = duration(text.strip())
        return int(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def parse_share(text: str) -> int:
    """Basis points from ``5000`` or ``50%`` (1 to 10000); a ConfigError otherwise."""
    try:
        value = int(_share(text.strip()))
    except ValueError:
        raise ConfigError(f"{text!r} is not a share: basis points (5000) or a percentage (50%)") from None
    if not 1 <= value <= 10_000:
        raise ConfigError(f"{text!r} is out of bounds: a share is 1 to 10000 basis points (0.01% to 100%)")
    return value


def _evm_version(value: Any) -> Any:
    if value not in GENESIS_EVM_VERSIONS:
        raise ValueError(f"{value!r} is not an EVM version a genesis can target: {', '.join(GENESIS_EVM_VERSIONS)}")
    return value


def _amount(value: Any) -> Any:
    """Wei: a hex string (``"0x10"``, as genesis files write balances), else what
    :func:`consortium_evm.config.fields.parse_wei` reads (an integer, ``"1000 ether"``, ``"5 gwei"``)."""
    if isinstance(value, str) and value.strip().lower().startswith("0x"):
        try:
            return int(value.strip(), 16)
        except ValueError:
            raise ValueError(f"{value!r} is not a hex number") from None
    return parse_wei(value)


Share = Annotated[int, BeforeValidator(_share), Field(ge=1, le=10_000)]
Amount = Annotated[int, BeforeValidator(_amount), Field(ge=0, lt=2**256)]
EvmVersion = Annotated[str, BeforeValidator(_evm_version)]


class FloorsModel(StrictModel):
    voting_period: Duration | None = None
    expiry_period: Duration | None = None


class GovernanceModel(StrictModel):
    floors: FloorsModel | None = None
    quorum: Share = 5000
    approval_threshold: Share = 5001
    voting_delay: Duration = 0
    voting_period: Duration = 3 * 86400
    execution_delay: Duration = 0
    expiry_period: Duration = 14 * 86400


class LimitsModel(StrictModel):
    max_accounts_per_member: int = Field(default=1000, ge=1, lt=2**32)
    max_nodes_per_member: int = Field(default=64, ge=1, lt=2**32)


class AccountModel(StrictModel):
    address: str
    roles: list[Literal["transact", "deploy", "admin"]] = Field(min_length=1)


class NodeModel(StrictModel):
    enode: str | None = None
    id: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)


class MemberModel(StrictModel):
    name: str = Field(min_length=1)
    metadata_uri: str = ""
    weight: int = Field(ge=1, lt=2**32)
    no_admin: bool = False
    """True when the member is meant to start without an admin account (its weight counts only
    once governance gives it one); without it, a member with no admin account is refused."""
    accounts: list[AccountModel] = []
    nodes: list[NodeModel] = []


class NetworkModel(StrictModel):
    chain_id: int = Field(ge=1, le=2**63 - 37)
    block_period: Duration = 5
    epoch: int = Field(default=30_000, ge=1)
    request_timeout: Duration = 10
    gas_limit: int = Field(default=30_000_000, ge=5_000, lt=2**63)
    evm_version: EvmVersion = "london"
    timestamp: int = Field(default=0, ge=0)
    validators: list[str] | None = None
    alloc: dict[str, Amount] = {}


class ConsortiumModel(StrictModel):
    members: list[MemberModel] = Field(min_length=1)
    governance: GovernanceModel = GovernanceModel()
    limits: LimitsModel = LimitsModel()
    node_match: Literal["enode_id", "enode_id_host_port"] = "enode_id"
    network: NetworkModel | None = None


def _node(doc: SourcedDocument, model: NodeModel, where: tuple[Any, ...]) -> NodeSpec:
    try:
        if model.enode is not None:
            parts = enode_url_parts(model.enode)
            if parts is None:
                raise ConfigError("enode must look like enode://<128 hex digits>@<host>:<port>")
            if model.id is not None or model.host is not None or model.port is not None:
                raise ConfigError("give either an enode URL or id, host and port, not both")
            return NodeSpec(*parts)
        if model.id is None or model.host is None:
            raise ConfigError("a node needs an enode URL, or an id and a host (port defaults to 30303)")
        return NodeSpec(model.id, model.host, model.port or 30303)
    except ConfigError as exc:
        raise doc.error(where, str(exc)) from None


def _member(doc: SourcedDocument, model: MemberModel, index: int) -> MemberSpec:
    base = ("members", index)
    accounts = []
    for i, account in enumerate(model.accounts):
        try:
            accounts.append(AccountSpec(account.address, Role.parse(list(account.roles))))
        except ConfigError as exc:
            raise doc.error((*base, "accounts", i, "address"), str(exc)) from None
    nodes = tuple(_node(doc, node, (*base, "nodes", i)) for i, node in enumerate(model.nodes))
    has_admin = any(a.roles & Role.ADMIN for a in accounts)
    if not has_admin and not model.no_admin:
        raise doc.error(
            base,
            f"member {model.name!r} has no admin account: nobody could vote or act for it, and its weight "
            f"({model.weight}) would never count; give one of its accounts the admin role, or write "
            "`no_admin: true` on the member if it is meant to start without one",
        )
    if has_admin and model.no_admin:
        raise doc.error(
            (*base, "no_admin"),
            f"member {model.name!r} says no_admin: true but has an admin account; remove one or the other",
        )
    return MemberSpec(model.name, model.weight, model.metadata_uri, tuple(accounts), nodes)


def _validators(doc: SourcedDocument, model: NetworkModel) -> tuple[str, ...]:
    where = ("network", "validators")
    if not model.validators:
        raise doc.error(where, "at least one validator is needed (the addresses that seal blocks): none is listed")
    for index, validator in enumerate(model.validators):
        try:
            checked_validators([validator])
        except ConfigError as exc:
            raise doc.error((*where, index), str(exc).replace("validator [0]", "validator")) from None
    try:
        return checked_validators(model.validators)
    except ConfigError as exc:
        duplicate = re.search(r"\[(\d+)\]\)$", str(exc))
        index = int(duplicate.group(1)) if duplicate else 0
        raise doc.error((*where, index), str(exc)) from None


def _network(doc: SourcedDocument, model: NetworkModel) -> NetworkSpec:
    for address in model.alloc:
        try:
            parse_address(address, "funded account")
        except ConfigError as exc:
            raise doc.error(("network", "alloc", address), str(exc)) from None
    try:
        return NetworkSpec(
            chain_id=model.chain_id,
            block_period=model.block_period,
            epoch=model.epoch,
            request_timeout=model.request_timeout,
            gas_limit=model.gas_limit,
            evm_version=model.evm_version,
            timestamp=model.timestamp,
            alloc=tuple(model.alloc.items()),
        )
    except ConfigError as exc:
        raise doc.error(("network",), str(exc)) from None


@dataclass(frozen=True)
class ConsortiumFile:
    """A loaded ``consortium.yaml``: the consortium, its ``network`` section (None when the file has
    none: it can be deployed but no genesis made from it) and the file's SHA-256."""

    spec: ConsortiumSpec
    network: NetworkSpec | None
    sha256: str


def parse_consortium_file(doc: SourcedDocument) -> tuple[ConsortiumSpec, NetworkSpec | None]:
    """The consortium and the network section of a loaded ``consortium.yaml`` document."""
    if not isinstance(doc.data, dict):
        raise doc.error((), "expected a mapping with members, governance and limits")
    data = expand_env(doc, doc.data, ())
    try:
        model = ConsortiumModel.model_validate(data)
    except ValidationError as exc:
        raise validation_error(doc, exc) from None
    members = tuple(_member(doc, m, i) for i, m in enumerate(model.members))
    g = model.governance
    try:
        settings = GovernanceSettings(
            g.quorum, g.approval_threshold, g.voting_delay, g.voting_period, g.execution_delay, g.expiry_period
        )
    except ConfigError as exc:
        raise doc.error(("governance",), str(exc)) from None
    floors = _floors(doc, g, settings)
    limits = MemberLimits(model.limits.max_accounts_per_member, model.limits.max_nodes_per_member)
    network = _network(doc, model.network) if model.network is not None else None
    validators = _validators(doc, model.network) if model.network is not None else ()
    try:
        spec = ConsortiumSpec(
            members=members,
            settings=settings,
            limits=limits,
            node_match=NodeMatch.ENODE_ID if model.node_match == "enode_id" else NodeMatch.ENODE_ID_HOST_PORT,
            validators=validators,
            floors=floors,
        )
    except ConfigError as exc:
        raise doc.error(("members",), str(exc)) from None
    return spec, network


def _floors(doc: SourcedDocument, g: GovernanceModel, settings: GovernanceSettings) -> SettingsFloors | None:
    """The file's ``governance.floors`` (None when absent: the spec's defaults apply); a floor that is
    out of bounds or above the initial settings is an error at its line."""
    if g.floors is None:
        return None
    default = SettingsFloors()
    try:
        floors = SettingsFloors(
            g.floors.voting_period if g.floors.voting_period is not None
            else min(default.min_voting_period, settings.voting_period),
            g.floors.expiry_period if g.floors.expiry_period is not None
            else min(default.min_expiry_period, settings.expiry_period),
        )
        floors.check(settings)
    except ConfigError as exc:
        raise doc.error(("governance", "floors"), str(exc)) from None
    return floors


def parse_consortium(doc: SourcedDocument) -> ConsortiumSpec:
    """The consortium described by a loaded ``consortium.yaml`` document."""
    return parse_consortium_file(doc)[0]


def load_consortium_file(path: str | Path) -> ConsortiumFile:
    """Load ``consortium.yaml`` with its ``network`` section (see :class:`ConsortiumFile`)."""
    doc = load_yaml(path)
    spec, network = parse_consortium_file(doc)
    return ConsortiumFile(spec, network, hashlib.sha256(Path(path).read_bytes()).hexdigest())


def load_consortium(path: str | Path) -> tuple[ConsortiumSpec, str]:
    """Load ``consortium.yaml``; returns the consortium and the file's SHA-256 (for the journal)."""
    loaded = load_consortium_file(path)
    return loaded.spec, loaded.sha256
