"""A proposal file: several actions for one proposal, in YAML (``consortium-evm propose file``)::

    description: Admit Hooli, allow its bridge, raise the quorum   # optional; --description wins
    actions:
      - action: add-member
        name: Hooli
        weight: 20
        accounts:
          - {address: "0x...", roles: [admin, transact]}
        nodes:
          - {enode: "enode://...@10.0.0.9:30303", node_key: keys/node9/nodekey}   # or signature: 0x...
      - {action: allow-account, address: "0x...", roles: [transact]}
      - {action: set-settings, quorum: 60%, voting_period: 2d}

Each action is named like its ``propose`` command (:data:`ACTION_NAMES`). The file is validated with
the strict models of the configuration files: an unknown key, a missing one, a malformed address
(read by :func:`consortium_evm.domain.spec.parse_address`), share or duration is one ConfigError
naming the file, the line and the key path. What needs the chain (a member's name, a node's
consent for the id the member will get) is checked when the actions are built
(:meth:`consortium_evm.client.actions.Actions.planned`), with the same ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, Field, ValidationError

from consortium_evm.config.consortium_file import AccountModel, NodeModel, Share, _node
from consortium_evm.config.fields import Address, Duration, StrictModel
from consortium_evm.config.yamlsource import SourcedDocument, expand_env, load_yaml, validation_error
from consortium_evm.domain.spec import AccountSpec, MemberSpec, NodeSpec, Role, parse_address
from consortium_evm.errors import ConfigError


MemberId = Annotated[int, Field(ge=1, lt=2**32)]


def _hex(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"{value!r} is not 0x-hex (write it in quotes)")
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        raise ValueError(f"{value!r} is not 0x-hex") from None
    return value


Hex = Annotated[str, AfterValidator(_hex)]


class ConsentedNodeModel(NodeModel):
    signature: Hex | None = None
    """The node's consent from its operator (``members sign-node ENODE --member next``)."""
    node_key: str | None = None
    """A geth nodekey file (relative to the proposal file) to sign the consent with here."""


class AddMember(StrictModel):
    action: Literal["add-member"]
    name: str = Field(min_length=1)
    weight: int = Field(ge=1, lt=2**32)
    metadata_uri: str = ""
    accounts: list[AccountModel] = []
    nodes: list[ConsentedNodeModel] = []


class MemberAction(StrictModel):
    action: Literal["remove-member", "suspend", "reinstate"]
    member: MemberId


class SetWeight(StrictModel):
    action: Literal["set-weight"]
    member: MemberId
    weight: int = Field(ge=1, lt=2**32)


class SetSettings(StrictModel):
    action: Literal["set-settings"]
    quorum: Share | None = None
    threshold: Share | None = None
    voting_delay: Duration | None = None
    voting_period: Duration | None = None
    execution_delay: Duration | None = None
    expiry_period: Duration | None = None


class SetMemberLimits(StrictModel):
    action: Literal["set-member-limits"]
    max_accounts: int = Field(ge=1, lt=2**32)
    max_nodes: int = Field(ge=1, lt=2**32)


class AllowAccount(StrictModel):
    action: Literal["allow-account"]
    address: Address
    roles: list[Literal["transact", "deploy"]] = Field(default=["transact"], min_length=1)


class AccountAction(StrictModel):
    action: Literal["disallow-account"]
    address: Address


class SetNodeMatch(StrictModel):
    action: Literal["set-node-match"]
    mode: Literal["enode_id", "enode_id_host_port"]


class SetRules(StrictModel):
    action: Literal["set-rules"]
    rules: Address
    node: str | None = None


class ValidatorAction(StrictModel):
    action: Literal["add-validator", "remove-validator"]
    address: Address


class Call(StrictModel):
    action: Literal["call"]
    target: Address
    signature: str = Field(min_length=3)
    args: list[Any] = []
    value: int = Field(default=0, ge=0, lt=2**256)


class Raw(StrictModel):
    action: Literal["raw"]
    target: Address
    data: Hex
    value: int = Field(default=0, ge=0, lt=2**256)


ActionModel = Annotated[
    Union[AddMember, MemberAction, SetWeight, SetSettings, SetMemberLimits, AllowAccount, AccountAction,
          SetNodeMatch, SetRules, ValidatorAction, Call, Raw],
    Field(discriminator="action"),
]

ACTION_NAMES = ("add-member", "remove-member", "suspend", "reinstate", "set-weight", "set-settings",
                "set-member-limits", "allow-account", "disallow-account", "set-node-match", "set-rules",
                "add-validator", "remove-validator", "call", "raw")
"""The actions a proposal file may hold, named like their ``propose`` commands."""


class ProposalFileModel(StrictModel):
    description: str | None = Field(default=None, min_length=1)
    actions: list[ActionModel] = Field(min_length=1)


@dataclass(frozen=True)
class NodeConsent:
    """A node of a member to admit, with where its consent comes from."""

    node: NodeSpec
    signature: bytes | None
    node_key_file: Path | None


@dataclass(frozen=True)
class PlannedAction:
    """One action of a proposal file, validated; built against a chain by ``client.actions.planned``."""

    name: str
    """The action's name (:data:`ACTION_NAMES`)."""
    values: dict[str, Any]
    """Its validated fields (addresses checksummed, shares in basis points, durations in seconds;
    ``member``: a MemberSpec and ``consents``: NodeConsents for add-member; ``roles``: a Role)."""
    where: str
    """``file:line: actions[i]``, for messages."""


@dataclass(frozen=True)
class ProposalFile:
    """A loaded proposal file."""

    description: str | None
    actions: tuple[PlannedAction, ...]


def _planned(doc: SourcedDocument, model: Any, index: int) -> PlannedAction:
    base = ("actions", index)
    where = doc.where(base)
    values = model.model_dump(exclude={"action"})
    if isinstance(model, AddMember):
        accounts = []
        for i, account in enumerate(model.accounts):
            try:
                accounts.append(AccountSpec(parse_address(account.address, "address"), Role.parse(list(account.roles))))
            except ConfigError as exc:
                raise doc.error((*base, "accounts", i, "address"), str(exc)) from None
        consents = []
        for i, node in enumerate(model.nodes):
            at = (*base, "nodes", i)
            spec = _node(doc, NodeModel(enode=node.enode, id=node.id, host=node.host, port=node.port), at)
            if (node.signature is None) == (node.node_key is None):
                raise doc.error(at, "each node needs its node key's consent: give node_key (its nodekey file) or "
                                    "signature (from `consortium-evm members sign-node ENODE --member next`), one of them")
            key_file = None if node.node_key is None else (doc.path.parent / node.node_key)
            signature = None if node.signature is None else bytes.fromhex(node.signature[2:])
            consents.append(NodeConsent(spec, signature, key_file))
        member = MemberSpec(model.name, model.weight, model.metadata_uri, tuple(accounts), tuple(c.node for c in consents))
        values = {"member": member, "consents": tuple(consents)}
    elif isinstance(model, AllowAccount):
        values["roles"] = Role.parse(list(model.roles))
    elif isinstance(model, SetSettings):
        values = {k: v for k, v in values.items() if v is not None}
        if not values:
            raise doc.error(base, "set-settings changes nothing: give at least one of quorum, threshold, voting_delay, "
                                  "voting_period, execution_delay, expiry_period")
    return PlannedAction(str(model.action), values, where)


def parse_proposal_file(doc: SourcedDocument) -> ProposalFile:
    """The proposal described by a loaded proposal file."""
    if not isinstance(doc.data, dict):
        raise doc.error((), "expected a mapping with `actions:` (a list of actions) and an optional `description:`")
    data = expand_env(doc, doc.data, ())
    try:
        model = ProposalFileModel.model_validate(data)
    except ValidationError as exc:
        raise validation_error(doc, exc) from None
    return ProposalFile(model.description, tuple(_planned(doc, a, i) for i, a in enumerate(model.actions)))


def load_proposal_file(path: str | Path) -> ProposalFile:
    """Load and validate a proposal file (see the module's documentation)."""
    return parse_proposal_file(load_yaml(path))
