"""``consortium.yaml``: the founding members and governance parameters a deployment bootstraps.

Validated with pydantic; every problem is reported with the file, the line and the key path.
Durations are seconds or strings like ``90s``, ``30m``, ``6h``, ``3d``; shares are basis points or
percentages (``50%``, ``66.67%``). A node is an enode URL (``enode://ID@HOST:PORT``) or an ``id`` with
a ``host`` and ``port``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from consortium_evm.errors import ConfigError
from consortium_evm.spec import (
    AccountSpec,
    ConsortiumSpec,
    GovernanceSettings,
    MemberLimits,
    MemberSpec,
    NodeMatch,
    NodeSpec,
    Role,
)
from consortium_evm.yamlsource import SourcedDocument, expand_env, load_yaml, validation_error

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_ENODE_URL = re.compile(r"^enode://([0-9a-fA-F]{128})@([^:@/\s]+):(\d{1,5})(\?.*)?$")


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration (seconds, or a number with s, m, h, d or w)")
        return int(match.group(1)) * _UNITS[match.group(2)]
    return value


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
        value = _duration(text.strip())
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


Duration = Annotated[int, BeforeValidator(_duration), Field(ge=0)]
Share = Annotated[int, BeforeValidator(_share), Field(ge=1, le=10_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class GovernanceModel(_Strict):
    quorum: Share = 5000
    approval_threshold: Share = 5001
    voting_delay: Duration = 0
    voting_period: Duration = 3 * 86400
    execution_delay: Duration = 0
    expiry_period: Duration = 14 * 86400


class LimitsModel(_Strict):
    max_accounts_per_member: int = Field(default=1000, ge=1, lt=2**32)
    max_nodes_per_member: int = Field(default=64, ge=1, lt=2**32)


class AccountModel(_Strict):
    address: str
    roles: list[Literal["transact", "deploy", "admin"]] = Field(min_length=1)


class NodeModel(_Strict):
    enode: str | None = None
    id: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)


class MemberModel(_Strict):
    name: str = Field(min_length=1)
    metadata_uri: str = ""
    weight: int = Field(ge=1, lt=2**32)
    accounts: list[AccountModel] = []
    nodes: list[NodeModel] = []


class ConsortiumModel(_Strict):
    members: list[MemberModel] = Field(min_length=1)
    governance: GovernanceModel = GovernanceModel()
    limits: LimitsModel = LimitsModel()
    node_match: Literal["enode_id", "enode_id_host_port"] = "enode_id"


def _node(doc: SourcedDocument, model: NodeModel, where: tuple[Any, ...]) -> NodeSpec:
    try:
        if model.enode is not None:
            match = _ENODE_URL.match(model.enode)
            if match is None:
                raise ConfigError("enode must look like enode://<128 hex digits>@<host>:<port>")
            if model.id is not None or model.host is not None or model.port is not None:
                raise ConfigError("give either an enode URL or id, host and port, not both")
            return NodeSpec(match.group(1), match.group(2), int(match.group(3)))
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
    return MemberSpec(model.name, model.weight, model.metadata_uri, tuple(accounts), nodes)


def parse_consortium(doc: SourcedDocument) -> ConsortiumSpec:
    """The consortium described by a loaded ``consortium.yaml`` document."""
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
    limits = MemberLimits(model.limits.max_accounts_per_member, model.limits.max_nodes_per_member)
    try:
        return ConsortiumSpec(
            members=members,
            settings=settings,
            limits=limits,
            node_match=NodeMatch.ENODE_ID if model.node_match == "enode_id" else NodeMatch.ENODE_ID_HOST_PORT,
        )
    except ConfigError as exc:
        raise doc.error(("members",), str(exc)) from None


def load_consortium(path: str | Path) -> tuple[ConsortiumSpec, str]:
    """Load ``consortium.yaml``; returns the consortium and the file's SHA-256 (for the journal)."""
    doc = load_yaml(path)
    return parse_consortium(doc), hashlib.sha256(Path(path).read_bytes()).hexdigest()
