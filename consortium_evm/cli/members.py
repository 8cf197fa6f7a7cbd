"""``consortium-evm status`` and ``consortium-evm members ...``: the registry, and a member's admin
managing its own accounts and nodes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client, report_sent
from consortium_evm.cli.output import ADDRESS, echo_json, short, table, when
from consortium_evm.client import ConsortiumClient, Member, MemberDetails
from consortium_evm.client.members import node_url, parse_node_private_key, parse_signature
from consortium_evm.domain.spec import MemberStatus, NodeSpec, Role, parse_enode
from consortium_evm.errors import ConfigError


@click.group("members")
def members_group() -> None:
    """Members of the consortium: list and show them; manage your own member's accounts and nodes."""


def _status(member: Member) -> str:
    return MemberStatus(member.status).name.lower()


@members_group.command("list")
@click.option("--status", "status_filter", type=click.Choice(["active", "suspended", "removed"]), default=None,
              help="Only members with this status.")
@client_options
def members_list(options: ClientOptions, status_filter: str | None) -> None:
    """Every member, in id order."""
    wanted = MemberStatus[status_filter.upper()] if status_filter else None
    members = make_client(options).members.list(status=wanted)
    if options.as_json:
        echo_json([m.to_json() for m in members])
        return
    rows = [[m.id, m.name, m.weight, _status(m), m.account_count, m.admin_count, m.node_count, when(m.joined_at)]
            for m in members]
    click.echo(table(["ID", "NAME", "WEIGHT", "STATUS", "ACCOUNTS", "ADMINS", "NODES", "JOINED"], rows,
                     right=["ID", "WEIGHT", "ACCOUNTS", "ADMINS", "NODES"]))
    click.echo(f"{len(members)} member(s)")


@members_group.command("show")
@click.argument("member")
@client_options
def members_show(options: ClientOptions, member: str) -> None:
    """A member with its accounts and nodes. MEMBER is its name, its id, one of its accounts or one
    of its nodes (enode URL, id or key)."""
    client = make_client(options)
    details = client.members.details(client.members.find(member).id)
    if options.as_json:
        echo_json(details.to_json())
        return
    _show_details(details)


def _show_details(details: MemberDetails) -> None:
    m = details.member
    click.echo(f"Member {m.id}: {m.name}")
    click.echo(f"  status    {_status(m)}")
    click.echo(f"  weight    {m.weight}")
    click.echo(f"  joined    {when(m.joined_at)}")
    click.echo(f"  metadata  {m.metadata_uri or '-'}")
    pending = [a.address for a in details.accounts if a.admin_pending]
    click.echo(f"  admins    {m.admin_count} accepted" + (f", {len(pending)} pending acceptance: {', '.join(pending)}"
                                                          if pending else ""))
    click.echo("")
    rows = [[a.address, _roles(a.roles) + (" (admin: not accepted yet)" if a.admin_pending else ""),
             "yes" if a.active else "no"] for a in details.accounts]
    click.echo(table(["ACCOUNT", "ROLES", "ACCESS"], rows))
    click.echo("")
    nodes = [[short(n.enode_id, 16), n.host, n.port, short(n.key, 16)] for n in details.nodes]
    click.echo(table(["ENODE ID", "HOST", "PORT", "KEY"], nodes, right=["PORT"]))


def _roles(roles: Role) -> str:
    return ",".join(r.name.lower() for r in Role if r in roles and r.name) or "-"


@members_group.command("add-account")
@click.argument("addresses", nargs=-1, required=True, type=ADDRESS)
@click.option("--roles", default="transact", show_default=True,
              help="Comma-separated roles for the accounts: transact, deploy, admin.")
@click.option("--member", "member_id", type=int, default=None, help="The member (default: the signing account's own).")
@client_options
def members_add_account(options: ClientOptions, addresses: tuple[str, ...], roles: str, member_id: int | None) -> None:
    """Register ADDRESSES for your member with --roles (an admin account of the member signs)."""
    flags = Role.parse(roles)
    sent = make_client(options).members.add_accounts({a: flags for a in addresses}, member_id=member_id)
    report_sent(options, f"Added {len(addresses)} account(s) with roles {_roles(flags)}", sent,
                accounts=list(addresses), roles=_roles(flags))


@members_group.command("remove-account")
@click.argument("addresses", nargs=-1, required=True, type=ADDRESS)
@click.option("--member", "member_id", type=int, default=None, help="The member (default: the signing account's own).")
@client_options
def members_remove_account(options: ClientOptions, addresses: tuple[str, ...], member_id: int | None) -> None:
    """Remove ADDRESSES from your member (an admin account of the member signs)."""
    sent = make_client(options).members.remove_accounts(addresses, member_id=member_id)
    report_sent(options, f"Removed {len(addresses)} account(s)", sent, accounts=list(addresses))


NODE_KEY_HELP = "A geth nodekey file (the node's private key as hex) to sign the node's consent with"


def read_node_key(path: str) -> bytes:
    """The private key in a geth ``nodekey`` file; a one-line ConfigError naming the file otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the node key file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_node_private_key(text, f"the node key file {path}")


def consented_nodes(client: ConsortiumClient, enodes: Sequence[str], key_files: Sequence[str],
                    signatures: Sequence[str], member_id: int, *, key_option: str, signature_option: str,
                    check: bool) -> list[NodeSpec]:
    """The nodes of ``enodes`` with their node keys' consent for ``member_id``: signed here with
    ``key_files`` or given as ``signatures`` (by the nodes' operators), one per node in the order
    of the nodes. With ``check`` a given signature is checked before anything is sent."""
    nodes = [parse_enode(e) for e in enodes]
    if key_files and signatures:
        raise ConfigError(f"give either {key_option} or {signature_option} for the nodes, not both")
    given, option = (key_files, key_option) if key_files else (signatures, signature_option)
    if len(given) != len(nodes):
        if not given:
            raise ConfigError(f"each node needs its node key's consent: give {key_option} FILE (its nodekey) or "
                              f"{signature_option} HEX (from `consortium-evm members sign-node`) for each node, "
                              "in the order of the nodes")
        raise ConfigError(f"{len(nodes)} node(s) but {len(given)} {option}: give one per node, in the order of the nodes")
    if key_files:
        return [client.members.signed_node(n, read_node_key(f), member_id) for n, f in zip(nodes, key_files)]
    if check:
        return [client.members.with_node_signature(n, sig, member_id) for n, sig in zip(nodes, signatures)]
    return [NodeSpec(n.enode_id, n.host, n.port, parse_signature(sig, "node signature"))
            for n, sig in zip(nodes, signatures)]


@members_group.command("add-node")
@click.argument("enodes", nargs=-1, required=True)
@click.option("--node-key", "key_files", multiple=True, type=click.Path(dir_okay=False),
              help=NODE_KEY_HELP + " (one per node, in their order).")
@click.option("--signature", "signatures", multiple=True, metavar="HEX",
              help="The node's consent signature from its operator (`members sign-node`; one per node, in their order).")
@click.option("--member", "member_id", type=int, default=None, help="The member (default: the signing account's own).")
@client_options
def members_add_node(options: ClientOptions, enodes: tuple[str, ...], key_files: tuple[str, ...],
                     signatures: tuple[str, ...], member_id: int | None) -> None:
    """Register nodes (enode URLs: enode://ID@HOST:PORT) for your member. Each node consents with
    its node key: --node-key FILE signs here, or --signature HEX is its operator's signature."""
    client = make_client(options)
    target = member_id
    if target is None and client.address is not None:
        target = client.members.account(client.address).member_id or None
    nodes = consented_nodes(client, enodes, key_files, signatures, target or 0, key_option="--node-key",
                            signature_option="--signature", check=False)
    sent = client.members.add_nodes(nodes, member_id=target)
    report_sent(options, f"Added {len(enodes)} node(s)", sent, nodes=list(enodes))


@members_group.command("sign-node")
@click.argument("enode")
@click.option("--node-key", "key_file", required=True, type=click.Path(dir_okay=False), help=NODE_KEY_HELP + ".")
@click.option("--member", "member", required=True, metavar="ID|next",
              help="The member the node is registered for: its id, or `next` for a member being admitted "
                   "(the id it will get).")
@client_options
def members_sign_node(options: ClientOptions, enode: str, key_file: str, member: str) -> None:
    """Sign ENODE's consent to be registered for --member on this consortium with its node key (the
    node's operator does this; nothing is sent). Give the printed signature to the member's admin
    (`members add-node --signature`) or the proposer (`propose add-member --node-signature`)."""
    client = make_client(options)
    text = member.strip().lower()
    if text == "next":
        member_id = client.members.next_member_id()
    elif text.isdigit() and int(text) > 0:
        member_id = int(text)
    else:
        raise ConfigError(f"--member {member!r} is not a member id (1, 2, ...) or `next`")
    node = client.members.signed_node(enode, read_node_key(key_file), member_id)
    signature = "0x" + node.signature.hex()
    if options.as_json:
        echo_json({"enode": node_url(node), "node_key": "0x" + node.key.hex(), "member_id": member_id,
                   "signature": signature, "chain_id": client.chain_id, "consortium": client.consortium.address})
        return
    click.echo(signature)
    click.echo(f"Node {short(node.enode_id, 16)} consents to be registered for member {member_id} on "
               f"{client.consortium.address} (chain {client.chain_id}).", err=True)


@members_group.command("accept-admin")
@client_options
def members_accept_admin(options: ClientOptions) -> None:
    """Accept your account's pending admin registration (--account sends the transaction); until
    then it does not act as its member's admin."""
    client = make_client(options)
    sent = client.members.accept_admin()
    info = client.members.account(str(client.address))
    report_sent(options, f"{info.address} accepted its admin registration: it is an admin of member {info.member_id}",
                sent, account=info.address, member_id=info.member_id)


@members_group.command("sign-acceptance")
@client_options
def members_sign_acceptance(options: ClientOptions) -> None:
    """Sign your account's acceptance of its pending admin registration (EIP-712; nothing is sent),
    for anyone to submit with `members submit-acceptance` (an account the permission rules do not
    let transact accepts this way)."""
    client = make_client(options)
    signature = client.members.sign_admin_acceptance()
    info = client.members.account(client.signer("signing an admin acceptance").address)
    if options.as_json:
        echo_json({"account": info.address, "member_id": info.member_id, "nonce": info.consent_nonce,
                   "signature": signature, "chain_id": client.chain_id, "consortium": client.consortium.address})
        return
    click.echo(signature)
    click.echo(f"{info.address} accepts its admin registration for member {info.member_id} (nonce "
               f"{info.consent_nonce}); anyone submits it: members submit-acceptance {info.address} <signature>",
               err=True)


@members_group.command("submit-acceptance")
@click.argument("pending_account", metavar="ACCOUNT", type=ADDRESS)
@click.argument("signature")
@client_options
def members_submit_acceptance(options: ClientOptions, pending_account: str, signature: str) -> None:
    """Submit ACCOUNT's signed acceptance of its admin registration (from `members sign-acceptance`);
    any account may send it."""
    client = make_client(options)
    sent = client.members.accept_admin_by_sig(pending_account, signature)
    member_id = client.members.account(pending_account).member_id
    report_sent(options, f"Submitted the admin acceptance of {pending_account}: it is an admin of member {member_id}",
                sent, account=pending_account, member_id=member_id)


@members_group.command("remove-node")
@click.argument("nodes", nargs=-1, required=True)
@click.option("--member", "member_id", type=int, default=None, help="The member (default: the signing account's own).")
@client_options
def members_remove_node(options: ClientOptions, nodes: tuple[str, ...], member_id: int | None) -> None:
    """Remove nodes (enode URLs, enode ids or node keys) from your member."""
    sent = make_client(options).members.remove_nodes(nodes, member_id=member_id)
    report_sent(options, f"Removed {len(nodes)} node(s)", sent, nodes=list(nodes))
