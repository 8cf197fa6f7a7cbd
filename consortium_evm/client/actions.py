"""Typed constructors of proposal actions (``client.actions``).

Each returns an :class:`~consortium_evm.client.models.Action` (target, value, calldata and a
readable summary) to pass to ``client.proposals.create``. One proposal may carry several::

    actions = [client.actions.suspend_member(3), client.actions.set_param("quorum_bps", 6000)]
    client.proposals.create(actions, "Suspend member 3 and raise the quorum to 60%")
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from consortium_evm.client.members import node_key_of
from consortium_evm.client.models import SETTINGS_PARAMETERS, Action, Member, MemberNode, Settings
from consortium_evm.domain.spec import MemberSpec, MemberStatus, NodeMatch, NodeSpec, Role, parse_address, parse_enode
from consortium_evm.config.proposal_file import PlannedAction
from consortium_evm.errors import AccountRequiredError, ConfigError, ConsortiumError, ContractRevertError

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient


class Actions:
    """Builds proposal actions against the client's contracts."""

    def __init__(self, client: ConsortiumClient) -> None:
        self._client = client

    def _on(self, contract: Contract, label: str, name: str, *args: Any) -> Action:
        data = bytes.fromhex(contract.encode_abi(name, list(args))[2:])
        return Action(contract.address, 0, data, describe_call(contract, data, label))

    def _consortium(self, name: str, *args: Any) -> Action:
        return self._on(self._client.consortium, "Consortium", name, *args)

    # -- members ---------------------------------------------------------------------------------

    def add_member(self, member: MemberSpec) -> Action:
        """Admit a member with its accounts and nodes. Each node needs its node key's consent for
        the id the member will get (``members.next_member_id()``; ``members.signed_node``); a node
        without one is a ConfigError here, as the registry would refuse it at execution. Its admin
        accounts count once each accepts (``members.accept_admin``)."""
        for node in member.nodes:
            if not node.signature:
                raise ConfigError(
                    f"member {member.name!r}: node enode://{node.enode_id}@{node.host}:{node.port} has no consent "
                    "signature; its operator signs it with its nodekey for the member's id (members.signed_node, "
                    "consortium-evm members sign-node)"
                )
        return self._consortium("addMember", *member.add_member_args())

    def remove_member(self, member_id: int) -> Action:
        """Remove a member for good (its accounts and nodes lose access)."""
        return self._consortium("removeMember", member_id)

    def suspend_member(self, member_id: int) -> Action:
        """Suspend a member: no access, no vote, until reinstated."""
        return self._consortium("suspendMember", member_id)

    def reinstate_member(self, member_id: int) -> Action:
        """Give a suspended member its access and vote back."""
        return self._consortium("reinstateMember", member_id)

    def set_weight(self, member_id: int, weight: int) -> Action:
        """Set a member's voting weight."""
        return self._consortium("setMemberWeight", member_id, weight)

    def set_member_limits(self, max_accounts: int, max_nodes: int) -> Action:
        """Set how many accounts and nodes one member may own."""
        return self._consortium("setMemberLimits", max_accounts, max_nodes)

    # -- governance settings -----------------------------------------------------------------------

    def set_settings(self, settings: Settings) -> Action:
        """Replace all governance settings."""
        return self._consortium("setSettings", settings.as_tuple())

    def set_param(self, name: str, value: int) -> Action:
        """Change one governance parameter (``quorum_bps``, ``threshold_bps``, ``voting_delay``,
        ``voting_period``, ``execution_delay``, ``expiry_period``), keeping the others as they are now."""
        return self.change_settings(**{name: value})

    def change_settings(self, **changes: int) -> Action:
        """Change several governance parameters at once (names as :meth:`set_param` takes them),
        keeping the others as they are now."""
        values: dict[str, int] = {}
        for name, value in changes.items():
            key = name.replace("-", "_")
            if key not in SETTINGS_PARAMETERS:
                raise ConfigError(f"unknown governance parameter {name!r}; parameters are {', '.join(SETTINGS_PARAMETERS)}")
            values[key] = int(value)
        if not values:
            raise ConfigError(f"no governance parameter to change; parameters are {', '.join(SETTINGS_PARAMETERS)}")
        return self.set_settings(replace(self._client.settings(), **values))

    # -- permissioning -----------------------------------------------------------------------------

    def allow_account(self, address: str, roles: Role | int | str = Role.TRANSACT) -> Action:
        """Allow an account that belongs to no member (a service, a bridge) with transact and/or
        deploy roles."""
        flags = Role.parse(int(roles) if isinstance(roles, int) else roles)
        if flags & Role.ADMIN:
            raise ConfigError("an account allowed on its own has no member to be an admin of: use transact and/or deploy")
        return self._consortium("setUnaffiliatedAccount", parse_address(address, "account"), int(flags))

    def disallow_account(self, address: str) -> Action:
        """Withdraw an account allowed on its own."""
        return self._consortium("setUnaffiliatedAccount", parse_address(address, "account"), 0)

    def set_node_match(self, mode: NodeMatch | int | str) -> Action:
        """Match connecting nodes by enode id alone, or by id, host and port (a NodeMatch, its
        number, or its name: ``enode_id``, ``enode_id_host_port``)."""
        try:
            if isinstance(mode, str):
                match = NodeMatch[mode.strip().upper().replace("-", "_")]
            else:
                match = NodeMatch(int(mode))
        except (KeyError, ValueError):
            names = ", ".join(m.name.lower() for m in NodeMatch)
            raise ConfigError(f"unknown node matching mode {mode!r}; modes are {names}") from None
        return self._consortium("setNodeMatch", int(match))

    def set_rules(self, rules: str, node: NodeSpec | MemberNode | str | None = None) -> Action:
        """Put another permission rules contract behind the ingress. The ingress probes it when the
        proposal executes: it must refuse accounts no one can register, let the executing account
        reach governance, and let ``node`` connect. ``node`` (a NodeSpec, a MemberNode, an enode URL,
        an enode id or a node key) must then be registered, with that host and port, to an active
        member; by default the first registered node of the signing account's member, else of the
        first active member that has one (see :meth:`probe_node`)."""
        if self._client.ingress is None:
            raise ConfigError("this client was made without the PermissionIngress address")
        address = parse_address(rules, "rules contract")  # a typo is named before the chain is asked
        probe = self.probe_node(node)
        return self._on(self._client.ingress, "PermissionIngress", "setRules", address,
                        bytes.fromhex(probe.enode_id), probe.host, probe.port)

    def probe_node(self, node: NodeSpec | MemberNode | str | None = None) -> NodeSpec:
        """The node ``set_rules`` names for the ingress's node probe: ``node`` itself (an enode URL,
        NodeSpec or MemberNode as given; an enode id or node key completed with its registered host
        and port), or by default the first node still registered to the signing account's member
        (in the order the registry's events added them) if that member is active, else the first such
        node of the active members in id order. A ConfigError when there is none."""
        if isinstance(node, NodeSpec):
            return node
        if isinstance(node, MemberNode):
            return NodeSpec(node.enode_id, node.host, node.port)
        members = self._client.members
        if isinstance(node, str):
            if node.strip().startswith("enode://"):
                return parse_enode(node)
            key = "0x" + node_key_of(node).hex()
            owner = members.by_node(node)
            found = [n for n in members.details(owner.id).nodes if n.key == key] if owner else []
            if not found:
                raise ConfigError(f"node {node!r} is not registered: give its enode URL or a registered node")
            return NodeSpec(found[0].enode_id, found[0].host, found[0].port)
        candidates: list[Member] = []
        signer = self._client.address
        if signer is not None:
            own = members.by_account(signer)
            if own is not None and own.active:
                candidates.append(own)
        candidates += [m for m in members.list(status=MemberStatus.ACTIVE) if m.node_count and m not in candidates]
        for member in candidates:
            nodes = members.details(member.id).nodes
            if nodes:
                return NodeSpec(nodes[0].enode_id, nodes[0].host, nodes[0].port)
        raise ConfigError("no active member has a registered node to probe the new rules with")

    # -- validators ----------------------------------------------------------------------------------

    def _validator_set(self) -> Contract:
        if self._client.validator_set is None:
            raise ConfigError(
                "this consortium has no ValidatorSet: list validators in the consortium file's network section "
                "to deploy one (or give the client its address)"
            )
        return self._client.validator_set

    def add_validator(self, address: str) -> Action:
        """Add a validator (a Clique signer, an IBFT 2.0/QBFT validator) to the ValidatorSet; on
        header-voting networks each validator's node then votes it in (``validators sync``)."""
        return self._on(self._validator_set(), "ValidatorSet", "addValidator", parse_address(address, "validator"))

    def remove_validator(self, address: str) -> Action:
        """Remove a validator from the ValidatorSet (the last one is refused)."""
        return self._on(self._validator_set(), "ValidatorSet", "removeValidator", parse_address(address, "validator"))

    # -- a proposal file --------------------------------------------------------------------------

    def planned(self, plan: Sequence[PlannedAction]) -> list[Action]:
        """The actions of a proposal file (:func:`consortium_evm.config.proposal_file.load_proposal_file`),
        in its order. A member to admit gets the next member id, a second one the id after it (the
        order the proposal executes them), and its nodes' consents are signed or checked for that
        id before anything is sent. Any problem is a ConfigError (or the chain's named error) led
        by the action's ``file:line``."""
        next_id = None
        actions: list[Action] = []
        for item in plan:
            try:
                if item.name == "add-member":
                    next_id = self._client.members.next_member_id() if next_id is None else next_id
                    actions.append(self.add_member(self._consented(item, next_id)))
                    next_id += 1
                else:
                    actions.append(self._planned(item))
            except ConsortiumError as exc:
                raise _located(exc, item.where) from None
        return actions

    def _consented(self, item: PlannedAction, member_id: int) -> MemberSpec:
        from consortium_evm.client.members import parse_node_private_key

        member: MemberSpec = item.values["member"]
        members, nodes = self._client.members, []
        for consent in item.values["consents"]:
            if consent.node_key_file is not None:
                try:
                    text = consent.node_key_file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise ConfigError(f"cannot read the node key file {consent.node_key_file}: "
                                      f"{getattr(exc, 'strerror', None) or exc}") from None
                key = parse_node_private_key(text, f"the node key file {consent.node_key_file}")
                nodes.append(members.signed_node(consent.node, key, member_id))
            else:
                nodes.append(members.with_node_signature(consent.node, consent.signature, member_id))
        return replace(member, nodes=tuple(nodes))

    def _planned(self, item: PlannedAction) -> Action:
        v = item.values
        simple = {
            "remove-member": lambda: self.remove_member(v["member"]),
            "suspend": lambda: self.suspend_member(v["member"]),
            "reinstate": lambda: self.reinstate_member(v["member"]),
            "set-weight": lambda: self.set_weight(v["member"], v["weight"]),
            "set-settings": lambda: self.change_settings(**{SETTINGS_KEYS[k]: n for k, n in v.items()}),
            "set-member-limits": lambda: self.set_member_limits(v["max_accounts"], v["max_nodes"]),
            "allow-account": lambda: self.allow_account(v["address"], v["roles"]),
            "disallow-account": lambda: self.disallow_account(v["address"]),
            "set-node-match": lambda: self.set_node_match(v["mode"]),
            "set-rules": lambda: self.set_rules(v["rules"], v["node"]),
            "add-validator": lambda: self.add_validator(v["address"]),
            "remove-validator": lambda: self.remove_validator(v["address"]),
            "call": lambda: self.call(v["target"], v["signature"], v["args"], v["value"]),
            "raw": lambda: self.raw(v["target"], v["data"], v["value"]),
        }
        if item.name not in simple:
            raise ConfigError(f"unknown action {item.name!r}")
        return simple[item.name]()

    # -- anything else -----------------------------------------------------------------------------

    def call(self, target: str, signature: str, args: Sequence[Any] = (), value: int = 0) -> Action:
        """A call of any contract by its function signature, e.g.
        ``call(board, "post(string)", ["hello"])``; ``value`` wei come from the Consortium."""
        name, _, rest = signature.partition("(")
        if not name or not rest.endswith(")"):
            raise ConfigError(f"{signature!r} is not a function signature such as transfer(address,uint256)")
        types = _split_types(rest[:-1])
        if len(types) != len(args):
            raise ConfigError(f"{signature} takes {len(types)} arguments, {len(args)} given")
        canonical = f"{name.strip()}({','.join(types)})"
        try:
            values = [_coerce(t, a) for t, a in zip(types, args)]
            data = bytes(keccak(text=canonical))[:4] + encode(types, values)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - eth-abi's parse and encoding errors, int() and hex
            raise ConfigError(f"cannot encode {canonical} with {list(args)!r}: {exc}") from None
        shown = ", ".join(repr(a) for a in args)
        address = parse_address(target, "target")
        return Action(address, int(value), data, f"{address}.{name.strip()}({shown})")

    def raw(self, target: str, data: bytes | str, value: int = 0, summary: str = "") -> Action:
        """A call with calldata you encoded yourself (bytes or 0x-hex)."""
        address = parse_address(target, "target")
        try:
            payload = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data)
        except ValueError:
            raise ConfigError(f"calldata {data!r} is not 0x-hex") from None
        return Action(address, int(value), payload, summary or self.summary(address, payload) or f"{address} <{len(payload)} bytes>")

    def summary(self, target: str, data: bytes) -> str:
        """``Contract.function(arg=value, ...)`` for a call of one of the consortium's contracts, or ``""``."""
        client, address = self._client, Web3.to_checksum_address(target)
        for label, contract in (("Consortium", client.consortium), ("PermissionIngress", client.ingress),
                                ("ValidatorSet", client.validator_set)):
            if contract is not None and address == contract.address:
                return describe_call(contract, bytes(data), label)
        return ""




SETTINGS_KEYS = {"quorum": "quorum_bps", "threshold": "threshold_bps", "voting_delay": "voting_delay",
                 "voting_period": "voting_period", "execution_delay": "execution_delay",
                 "expiry_period": "expiry_period"}
"""The governance parameters as a person names them (proposal files, ``propose set-settings``) →
their names in :class:`~consortium_evm.client.models.Settings`."""


def _located(exc: ConsortiumError, where: str) -> ConsortiumError:
    """``exc`` (its own class, so a named revert stays one) with ``where:`` before its message."""
    located = copy.copy(exc)
    located.args = (f"{where}: {exc}",)
    if isinstance(located, ContractRevertError):
        return type(located)(located.name, located.args_by_name, f"{where}: {exc}")
    if isinstance(located, AccountRequiredError):
        return ConfigError(f"{where}: {exc}")
    return located


def describe_call(contract: Contract, data: bytes, label: str) -> str:
    """``label.function(arg=value, ...)`` for calldata of ``contract``'s ABI, or ``""``."""
    try:
        fn, args = contract.decode_function_input(data)
    except Exception:  # noqa: BLE001 - not this contract's function
        return ""
    shown = ", ".join(f"{k}={_show(v)}" for k, v in args.items())
    return f"{label}.{fn.fn_name}({shown})"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


def _split_types(text: str) -> list[str]:
    types, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            types.append(current.strip())
            current = ""
            continue
        depth += (char == "(") - (char == ")")
        current += char
    if current.strip():
        types.append(current.strip())
    return types


def _coerce(abi_type: str, value: Any) -> Any:
    """Values from the command line are strings: make them what the ABI type wants."""
    if not isinstance(value, str):
        return value
    if abi_type == "address":
        return parse_address(value, "address argument")
    if abi_type.startswith(("uint", "int")) and not abi_type.endswith("]"):
        return int(value, 0)
    if abi_type == "bool":
        if value.lower() not in ("true", "false", "1", "0"):
            raise ConfigError(f"{value!r} is not a bool (true or false)")
        return value.lower() in ("true", "1")
    if abi_type.startswith("bytes") and not abi_type.endswith("]"):
        return bytes.fromhex(value.removeprefix("0x"))
    return cast(Any, value)
