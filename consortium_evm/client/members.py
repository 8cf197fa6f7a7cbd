"""Members: read the registry, and let a member's admin manage its own accounts and nodes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from eth_account import Account
from eth_account.messages import encode_typed_data

from consortium_evm.client.models import Member, MemberAccount, MemberDetails, MemberNode, Totals
from consortium_evm.contract_errors import (
    InvalidNodeSignature,
    NoPendingAdmin,
    NotMemberAdmin,
    OnlyGovernance,
    UnknownMember,
)
from consortium_evm.domain.signatures import (
    TypedSigner,
    node_address,
    sign_admin_acceptance,
    sign_node_consent,
    typed_message,
)
from consortium_evm.domain.spec import AccountSpec, MemberStatus, NodeSpec, Role, node_key, parse_address, parse_enode
from consortium_evm.errors import ConfigError
from consortium_evm.tx.transactions import Sent, Transactor

if TYPE_CHECKING:
    from consortium_evm.client.core import ConsortiumClient

PAGE_SIZE = 250
"""Members read per ``getMembers`` call: 1,000 members take four calls and one for the count."""

_KEY = re.compile(r"^0x[0-9a-fA-F]{64}$")
_PRIVATE_KEY = re.compile(r"^(0x)?([0-9a-fA-F]{64})$")
_SIGNATURE = re.compile(r"^(0x)?([0-9a-fA-F]{130})$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ENODE_ID = re.compile(r"^[0-9a-fA-F]{128}$")
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def parse_node_private_key(text: str, source: str = "the node key") -> bytes:
    """A node's private key as geth's ``nodekey`` file holds it (64 hex digits, 0x optional,
    surrounding whitespace ignored); a ConfigError naming ``source`` otherwise (the key is not shown)."""
    match = _PRIVATE_KEY.match(text.strip())
    if match is None:
        raise ConfigError(f"{source} is not a node key (64 hex digits, as in geth's nodekey file)")
    key = bytes.fromhex(match.group(2))
    if not 0 < int.from_bytes(key, "big") < SECP256K1_ORDER:
        raise ConfigError(f"{source} is not a valid secp256k1 private key")
    return key


def parse_signature(text: str, what: str = "signature") -> bytes:
    """A 65-byte signature given as hex (0x optional); a ConfigError naming ``what`` otherwise."""
    match = _SIGNATURE.match(text.strip())
    if match is None:
        raise ConfigError(f"the {what} {text!r} is not a signature (65 bytes: 130 hex digits)")
    return bytes.fromhex(match.group(2))



def node_key_of(node: str) -> bytes:
    """The registry key of a node given as an enode URL, an enode id, or a key (0x + 64 hex digits)."""
    text = node.strip()
    if _KEY.match(text):
        return bytes.fromhex(text[2:])
    if text.startswith("enode://"):
        return parse_enode(text).key
    return node_key(text)


def parse_status(value: MemberStatus | str | int) -> MemberStatus:
    """``"suspended"``, ``2`` or a MemberStatus -> the status; anything else is a ConfigError."""
    try:
        if isinstance(value, str):
            return MemberStatus[value.strip().upper()]
        if not isinstance(value, bool):
            return MemberStatus(int(value))
    except (KeyError, ValueError):
        pass
    names = ", ".join(s.name.lower() for s in MemberStatus if s)
    raise ConfigError(f"unknown member status {value!r}; statuses are {names}")


def member_from_view(view: Sequence[Any]) -> Member:
    """A Member from the contract's ``MemberView`` tuple."""
    return Member(
        id=int(view[0]),
        name=str(view[1]),
        metadata_uri=str(view[2]),
        weight=int(view[3]),
        status=MemberStatus(int(view[4])),
        joined_at=int(view[5]),
        account_count=int(view[6]),
        admin_count=int(view[7]),
        node_count=int(view[8]),
    )


class Members:
    """The member registry (``client.members``)."""

    def __init__(self, client: ConsortiumClient) -> None:
        self._client = client
        self._c = client.consortium.functions

    # -- reads -----------------------------------------------------------------------------------

    def totals(self) -> Totals:
        """The consortium-wide counters."""
        return Totals(*(int(v) for v in self._client.call(self._c.totals())))

    def list(self, *, status: MemberStatus | str | int | None = None, include_removed: bool = True) -> list[Member]:
        """Every member in id order (removed ones too, unless ``include_removed`` is False), or
        those with ``status`` (a MemberStatus, or its name: ``active``, ``suspended``, ``removed``).
        Paging is hidden: 250 members per call."""
        status = None if status is None else parse_status(status)
        count = self.totals().member_count
        members: list[Member] = []
        for offset in range(0, count, PAGE_SIZE):
            page = self._client.call(self._c.getMembers(offset, PAGE_SIZE))
            members.extend(member_from_view(view) for view in page)
        if status is not None:
            return [m for m in members if m.status == status]
        if not include_removed:
            return [m for m in members if m.status != MemberStatus.REMOVED]
        return members

    def get(self, member_id: int) -> Member:
        """The member ``member_id``; raises :class:`~consortium_evm.contract_errors.UnknownMember`."""
        if member_id < 1:
            raise UnknownMember("UnknownMember", {"memberId": member_id})
        page = self._client.call(self._c.getMembers(member_id - 1, 1))
        if not page:
            raise UnknownMember("UnknownMember", {"memberId": member_id})
        return member_from_view(page[0])

    def by_account(self, address: str) -> Member | None:
        """The member ``address`` is registered to, or None."""
        member_id, _active = self._client.call(self._c.memberOf(parse_address(address, "account")))
        return self.get(int(member_id)) if member_id else None

    def by_node(self, node: str) -> Member | None:
        """The member a node is registered to (an enode URL, an enode id or a node key), or None."""
        member_id, _active, _host, _port = self._client.call(self._c.nodeAccess(node_key_of(node)))
        return self.get(int(member_id)) if member_id else None

    def find(self, selector: int | str) -> Member:
        """The member a person names: its id (``3``), its name (exact, case and surrounding spaces
        aside), one of its accounts (an address), or one of its nodes (an enode URL, an enode id or
        a node key). A ConfigError saying what is accepted when nothing matches;
        :class:`~consortium_evm.contract_errors.UnknownMember` for an id nobody has."""
        if isinstance(selector, int) and not isinstance(selector, bool):
            return self.get(selector)
        text = str(selector).strip()
        accepted = "give a member name, id, account address or enode (URL, id or node key)"
        if text.isdigit():
            return self.get(int(text))
        found: Member | None = None
        if _ADDRESS.match(text):
            found = self.by_account(text)
        elif text.startswith("enode://") or _KEY.match(text) or _ENODE_ID.match(text):
            found = self.by_node(text)
        else:
            named = [m for m in self.list() if m.name.strip().casefold() == text.casefold()]
            if len(named) > 1:
                ids = ", ".join(str(m.id) for m in named)
                raise ConfigError(f"{len(named)} members are named {text!r} (ids {ids}): give the id")
            found = named[0] if named else None
        if found is None:
            raise ConfigError(f"no member matches {text!r}: {accepted}")
        return found

    def account(self, address: str) -> MemberAccount:
        """An account's registration and whether it has its roles now."""
        checksummed = parse_address(address, "account")
        member_id, flags, pending, nonce = self._client.call(self._c.accountInfo(checksummed))
        access = int(self._client.call(self._c.accountAccess(checksummed)))
        return MemberAccount(checksummed, int(member_id), Role(int(flags)), bool(pending), int(nonce), access != 0)

    # -- an admin account accepts its registration -------------------------------------------------

    def pending_admins(self, member_id: int) -> tuple[MemberAccount, ...]:
        """The member's accounts registered as admins that have not accepted yet."""
        return tuple(a for a in self.details(member_id).accounts if a.admin_pending)

    def next_member_id(self) -> int:
        """The id the next member admitted will get (members are numbered in the order they are
        added, removed ones included): the member a new member's node consents must name. Two
        admissions pending at once take the next two ids in the order they execute."""
        return self.totals().member_count + 1

    def accept_admin(self) -> Sent:
        """Accept the signing account's pending admin registration (a transaction from it): from then
        on it counts as its member's admin. Raises NoPendingAdmin when there is none (found out
        before anything is sent)."""
        transactor = self._client.require_transactor("accepting an admin registration")
        return transactor.send(self._c.acceptAdmin())

    def sign_admin_acceptance(self, signer: TypedSigner | None = None) -> str:
        """The signing account's EIP-712 acceptance of its pending admin registration, as 0x-hex, for
        anyone to submit with ``accept_admin_by_sig`` (a pending account that the rules do not let
        transact accepts this way). It carries the account's consent nonce: it accepts this
        registration only. Raises NoPendingAdmin when there is none; nothing is sent."""
        account = signer or self._client.signer("signing an admin acceptance")
        info = self.account(account.address)
        if not info.admin_pending:
            raise NoPendingAdmin("NoPendingAdmin", {"account": info.address})
        signature = sign_admin_acceptance(account, info.member_id, info.consent_nonce, self._client.chain_id,
                                          self._client.consortium.address)
        return "0x" + signature.hex()

    def accept_admin_by_sig(self, account: str, signature: str | bytes) -> Sent:
        """Submit ``account``'s signed acceptance (from ``sign_admin_acceptance``); any account may.
        A signature that is not the account's over its current consent nonce is refused with
        InvalidConsentSignature."""
        transactor = self._client.require_transactor("submitting an admin acceptance")
        raw = signature if isinstance(signature, bytes) else parse_signature(signature, "acceptance signature")
        return transactor.send(self._c.acceptAdminBySig(parse_address(account, "account"), raw))

    def details(self, member_id: int) -> MemberDetails:
        """A member with its current accounts and nodes (rebuilt from the registry's events, each
        account and node checked against its record)."""
        member = self.get(member_id)
        events = self._client.events.history(
            kinds=("AccountAdded", "AccountRemoved", "NodeAdded", "NodeRemoved"), member_id=member_id
        )
        accounts: dict[str, None] = {}
        nodes: dict[str, MemberNode] = {}
        for event in events:
            args = event.args
            if event.name == "AccountAdded":
                accounts[str(args["account"])] = None
            elif event.name == "AccountRemoved":
                accounts.pop(str(args["account"]), None)
            elif event.name == "NodeAdded":
                key = "0x" + bytes(args["nodeKey"]).hex()
                nodes[key] = MemberNode(bytes(args["publicKey"]).hex(), str(args["host"]), int(args["port"]), member_id, key)
            else:
                nodes.pop("0x" + bytes(args["nodeKey"]).hex(), None)
        current = [self.account(a) for a in accounts]
        # An account or node re-registered elsewhere after this member was removed belongs there now.
        owned = tuple(n for n in nodes.values() if self._node_owner(n.key) == member_id)
        return MemberDetails(member, tuple(a for a in current if a.member_id == member_id), owned)

    def _node_owner(self, key: str) -> int:
        return int(self._client.call(self._c.nodeAccess(bytes.fromhex(key[2:])))[0])

    # -- a member's admin manages its own accounts and nodes ---------------------------------------

    def add_accounts(
        self,
        accounts: Mapping[str, Role | int | str | Iterable[str]] | Sequence[AccountSpec],
        member_id: int | None = None,
    ) -> Sent:
        """Register accounts with their roles (``{"0x..": "transact,deploy"}``, a Role, role flags
        as an int or a list of role names; or AccountSpecs) for ``member_id`` (default: the signing
        account's own member). A signer that is not an admin of that member gets NotMemberAdmin."""
        specs = _account_specs(accounts)
        transactor, target = self._own_member(member_id, "adding accounts")
        fn = self._c.addAccounts(target, [a.address for a in specs], [int(a.roles) for a in specs])
        return self._manage(transactor, fn, target)

    def remove_accounts(self, addresses: Iterable[str], member_id: int | None = None) -> Sent:
        """Remove accounts from ``member_id`` (default: the signing account's own member)."""
        transactor, target = self._own_member(member_id, "removing accounts")
        fn = self._c.removeAccounts(target, [parse_address(a, "account") for a in addresses])
        return self._manage(transactor, fn, target)

    def add_nodes(self, nodes: Iterable[NodeSpec | str], member_id: int | None = None) -> Sent:
        """Register nodes for ``member_id`` (default: the signer's member). Each NodeSpec carries its
        node key's consent (``signed_node``, or ``signatures.sign_node_consent``); a bare enode URL
        has none, and the registry refuses it with InvalidNodeSignature, whose message names the node."""
        specs = [n if isinstance(n, NodeSpec) else parse_enode(n) for n in nodes]
        transactor, target = self._own_member(member_id, "adding nodes")
        fn = self._c.addNodes(target, [n.as_tuple() for n in specs])
        try:
            return self._manage(transactor, fn, target)
        except InvalidNodeSignature as exc:
            raise named_node_refusal(exc, specs, target) from exc

    def signed_node(self, enode: str | NodeSpec, node_private_key: bytes | str, member_id: int) -> NodeSpec:
        """The node of ``enode`` (an enode URL or a NodeSpec) with its node key's consent to be
        registered for ``member_id`` on this consortium; ``node_private_key`` is the node's key
        (geth's ``nodekey`` file: bytes, or hex). The node's operator signs it; the member's admin
        or a proposal registers it. A key that is not the node's is a ConfigError."""
        spec = enode if isinstance(enode, NodeSpec) else parse_enode(enode)
        key = node_private_key if isinstance(node_private_key, bytes) else parse_node_private_key(node_private_key)
        if node_address(spec.public_key).lower() != Account.from_key(key).address.lower():
            raise ConfigError(f"the node key given is not the key of node {spec.enode_id[:16]}... (its enode id is "
                              "the public key of its nodekey)")
        signature = sign_node_consent(key, member_id, self._client.chain_id, self._client.consortium.address)
        return NodeSpec(spec.enode_id, spec.host, spec.port, signature)

    def with_node_signature(self, enode: str | NodeSpec, signature: str | bytes, member_id: int) -> NodeSpec:
        """The node of ``enode`` with a consent ``signature`` its operator gave (``signed_node`` or
        ``consortium-evm members sign-node``), checked here: a signature that is not the node key's
        for ``member_id`` on this consortium is refused with InvalidNodeSignature naming the node,
        before anything is sent; one that is not 65 bytes of hex is a ConfigError."""
        spec = enode if isinstance(enode, NodeSpec) else parse_enode(enode)
        raw = signature if isinstance(signature, bytes) else parse_signature(signature, "node signature")
        signed = NodeSpec(spec.enode_id, spec.host, spec.port, raw)
        self.check_node_consent(signed, member_id)
        return signed

    def node_consent_valid(self, node: NodeSpec, member_id: int) -> bool:
        """Whether ``node.signature`` is its node key's consent to be registered for ``member_id``
        on this consortium and chain (what the registry checks)."""
        if len(node.signature) != 65:
            return False
        message = typed_message("NodeConsent", {"nodeKey": node.key, "memberId": member_id}, self._client.chain_id,
                                self._client.consortium.address)
        try:
            signer = Account.recover_message(encode_typed_data(full_message=cast(Any, message)),
                                             signature=node.signature)
        except Exception:  # noqa: BLE001 - eth_account raises several types for a malformed signature
            return False
        return str(signer).lower() == node_address(node.public_key).lower()

    def check_node_consent(self, node: NodeSpec, member_id: int) -> None:
        """Unless ``node.signature`` is its node key's consent for ``member_id`` on this consortium,
        the InvalidNodeSignature the registry would revert with, naming the node, found before
        anything is sent (for a proposal, days before it would fail to execute)."""
        if not self.node_consent_valid(node, member_id):
            key = "0x" + node.key.hex()
            raise InvalidNodeSignature(
                "InvalidNodeSignature", {"nodeKey": key},
                f"InvalidNodeSignature(nodeKey={key!r}), found before sending: {node_refusal(node, member_id)}",
            )

    def remove_nodes(self, nodes: Iterable[str], member_id: int | None = None) -> Sent:
        """Remove nodes (enode URLs, enode ids or node keys) from ``member_id`` (default: the
        signer's member)."""
        keys = [node_key_of(n) for n in nodes]
        transactor, target = self._own_member(member_id, "removing nodes")
        fn = self._c.removeNodes(target, keys)
        return self._manage(transactor, fn, target)

    def _own_member(self, member_id: int | None, what: str) -> tuple[Transactor, int]:
        transactor = self._client.require_transactor(what)
        if member_id is not None:
            return transactor, int(member_id)
        found, _active = self._client.call(self._c.memberOf(transactor.address))
        if not found:
            raise NotMemberAdmin("NotMemberAdmin", {"account": transactor.address, "memberId": 0})
        return transactor, int(found)

    @staticmethod
    def _manage(transactor: Transactor, fn: Any, member_id: int) -> Sent:
        # The registry lets governance (and the bootstrapper, before governance starts) manage any
        # member, so an account that is neither that member's admin nor governance is refused with
        # OnlyGovernance: for a member's back-end that means "not an admin of this member".
        try:
            return transactor.send(fn)
        except OnlyGovernance as exc:
            raise NotMemberAdmin("NotMemberAdmin", {"account": transactor.address, "memberId": member_id}) from exc


def node_url(node: NodeSpec) -> str:
    """A node's enode URL."""
    return f"enode://{node.enode_id}@{node.host}:{node.port}"


def node_refusal(node: NodeSpec, member_id: int) -> str:
    """Why a node's consent does not do, naming the node by its enode URL."""
    what = "has no consent signature" if not node.signature else "has a consent signature that is not its node key's"
    return (f"node {node_url(node)} {what} for member {member_id} on this consortium; its operator signs it with "
            "its nodekey (consortium-evm members sign-node)")


def named_node_refusal(exc: InvalidNodeSignature, nodes: Iterable[NodeSpec], member_id: int) -> InvalidNodeSignature:
    """The registry's InvalidNodeSignature with a message that names the refused node by its enode
    URL (the registry names it by its key only)."""
    key = str(exc.args_by_name.get("nodeKey", ""))
    found = next((n for n in nodes if "0x" + n.key.hex() == key.lower()), None)
    if found is None:
        return exc
    message = f"reverted with InvalidNodeSignature(nodeKey={key!r}): {node_refusal(found, member_id)}"
    return InvalidNodeSignature(exc.name, dict(exc.args_by_name), message)


def _account_specs(
    accounts: Mapping[str, Role | int | str | Iterable[str]] | Sequence[AccountSpec],
) -> list[AccountSpec]:
    if isinstance(accounts, Mapping):
        specs = []
        for address, roles in accounts.items():
            if isinstance(roles, (Role, int, str)):
                flags = Role.parse(int(roles) if isinstance(roles, int) else roles)
            else:
                flags = Role.parse(list(roles))
            specs.append(AccountSpec(address, flags))
        return specs
    return list(accounts)
