"""``consortium-evm status`` and ``consortium-evm members ...``: the registry, and a member's admin
managing its own accounts and nodes."""

from __future__ import annotations

import click

from consortium_evm.cli_client import ClientOptions, client_options, make_client, report_sent
from consortium_evm.cli_output import ADDRESS, duration, echo_json, short, share, table, when
from consortium_evm.client import ConsortiumClient, Member, MemberDetails
from consortium_evm.errors import ConfigError
from consortium_evm.spec import MemberStatus, NodeMatch, Role, parse_address


@click.command("status")
@client_options
def status_command(options: ClientOptions) -> None:
    """The consortium at a glance: members, weights, settings, proposals, the rules in force."""
    status = make_client(options).status()
    if options.as_json:
        echo_json(status.to_json())
        return
    t, s = status.totals, status.settings
    rules = "the Consortium itself" if status.rules == status.consortium else status.rules
    click.echo(f"Consortium   {status.consortium}  (chain id {status.chain_id}, block {status.block_number})")
    click.echo(f"Ingress      {status.ingress or '-'}  (rules in force: {rules})")
    click.echo(f"Governance   {'in control' if status.governance_started else 'not started: the bootstrapper still holds control'}")
    click.echo(f"Members      {t.active_members} active of {t.member_count}; {t.active_admins} admin accounts, "
               f"{t.active_nodes} nodes; weight {t.total_active_weight} active of {t.total_weight}")
    click.echo(f"Proposals    {status.proposal_count}")
    click.echo(f"Settings     quorum {share(s.quorum_bps)}, threshold {share(s.threshold_bps)}, voting delay "
               f"{duration(s.voting_delay)}, voting period {duration(s.voting_period)}, execution delay "
               f"{duration(s.execution_delay)}, expiry {duration(s.expiry_period)}")
    match = "enode id" if status.node_match == NodeMatch.ENODE_ID else "enode id, host and port"
    click.echo(f"Node match   {match}")
    if status.validator_set:
        click.echo(f"Validators   {len(status.validators)} in the ValidatorSet {status.validator_set}: "
                   f"{', '.join(status.validators)}")


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


def _find(client: ConsortiumClient, member: str) -> int:
    """A member id from an id, one of its accounts or one of its nodes."""
    text = member.strip()
    if text.isdigit():
        return int(text)
    if text.startswith("0x") and len(text) == 42:
        found = client.members.by_account(parse_address(text, "MEMBER"))
    else:
        found = client.members.by_node(text)
    if found is None:
        raise ConfigError(f"no member has {text}")
    return found.id


@members_group.command("show")
@click.argument("member")
@client_options
def members_show(options: ClientOptions, member: str) -> None:
    """A member with its accounts and nodes. MEMBER is an id, one of its accounts or one of its
    nodes (enode URL, id or key)."""
    client = make_client(options)
    details = client.members.details(_find(client, member))
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


@members_group.command("add-node")
@click.argument("enodes", nargs=-1, required=True)
@click.option("--member", "member_id", type=int, default=None, help="The member (default: the signing account's own).")
@client_options
def members_add_node(options: ClientOptions, enodes: tuple[str, ...], member_id: int | None) -> None:
    """Register nodes (enode URLs: enode://ID@HOST:PORT) for your member."""
    sent = make_client(options).members.add_nodes(enodes, member_id=member_id)
    report_sent(options, f"Added {len(enodes)} node(s)", sent, nodes=list(enodes))


@members_group.command("remove-node")
@click.argument("nodes", nargs=-1, required=True)
@click.option("--member", "member_id", type=int, default=None, help="The member (default: the signing account's own).")
@client_options
def members_remove_node(options: ClientOptions, nodes: tuple[str, ...], member_id: int | None) -> None:
    """Remove nodes (enode URLs, enode ids or node keys) from your member."""
    sent = make_client(options).members.remove_nodes(nodes, member_id=member_id)
    report_sent(options, f"Removed {len(nodes)} node(s)", sent, nodes=list(nodes))
