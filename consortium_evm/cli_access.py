"""``consortium-evm access ...`` (the chain's permission answers) and ``consortium-evm events``
(the consortium's history, and ``--follow`` for new events as blocks arrive)."""

from __future__ import annotations

import json
import threading

import click

from consortium_evm.cli_client import ClientOptions, client_options, make_client
from consortium_evm.cli_output import ADDRESS, echo_json
from consortium_evm.client.events import ALL_EVENTS, CATEGORIES, Event
from consortium_evm.errors import ConfigError


@click.group("access")
def access_group() -> None:
    """Ask the permissioning contracts what the chain's nodes ask them."""


@access_group.command("check-account")
@click.argument("sender", type=ADDRESS)
@click.option("--to", "target", type=ADDRESS, default=None, help="The transaction's target address.")
@click.option("--deploy", is_flag=True, help="Ask about creating a contract instead.")
@client_options
def access_check_account(options: ClientOptions, sender: str, target: str | None, deploy: bool) -> None:
    """Whether SENDER may send a transaction --to TARGET (or --deploy a contract)."""
    if deploy == (target is not None):
        raise ConfigError("give either --to TARGET or --deploy")
    allowed = make_client(options).access.account_allowed(sender, None if deploy else target)
    what = "create a contract" if deploy else f"send to {target}"
    if options.as_json:
        echo_json({"sender": sender, "target": None if deploy else target, "allowed": allowed})
        return
    click.echo(f"{sender} {'MAY' if allowed else 'may NOT'} {what}")


@access_group.command("check-node")
@click.argument("enode")
@click.option("--host", default=None, help="The host it connects from (with an enode id instead of a URL).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Its P2P port (with an enode id).")
@client_options
def access_check_node(options: ClientOptions, enode: str, host: str | None, port: int | None) -> None:
    """Whether a node may connect: ENODE is an enode URL, or an enode id with --host and --port."""
    allowed = make_client(options).access.node_allowed(enode, host, port)
    if options.as_json:
        echo_json({"enode": enode, "host": host, "port": port, "allowed": allowed})
        return
    click.echo(f"node {enode if len(enode) < 40 else enode[:40] + '…'} {'MAY' if allowed else 'may NOT'} connect")


KINDS = click.Choice([*CATEGORIES, *ALL_EVENTS])


@click.command("events")
@click.option("--from-block", type=click.IntRange(min=0), default=None,
              help="First block (default: the deployment's; with --follow: the next block).")
@click.option("--to-block", type=click.IntRange(min=0), default=None, help="Last block (default: the latest).")
@click.option("--kind", "kinds", multiple=True, type=KINDS,
              help=f"Only these events: a category ({', '.join(CATEGORIES)}) or an event name (repeatable).")
@click.option("--member", "member_id", type=int, default=None, help="Only events about this member.")
@click.option("--proposal", default=None, help="Only events about this proposal (id or #N).")
@click.option("--follow", "-f", is_flag=True, help="Keep going: print new events as blocks arrive (Ctrl-C stops).")
@click.option("--poll", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help="Seconds between checks for new blocks, with --follow.")
@click.option("--count", type=click.IntRange(min=1), default=None, help="With --follow: stop after this many events.")
@client_options
def events_command(options: ClientOptions, from_block: int | None, to_block: int | None, kinds: tuple[str, ...],
                   member_id: int | None, proposal: str | None, follow: bool, poll: float, count: int | None) -> None:
    """The consortium's history: members, accounts, nodes, proposals, votes, settings, rules.
    With --json, one JSON object per line."""
    client = make_client(options)
    proposal_id = client.proposals.resolve(proposal) if proposal is not None else None

    def show(event: Event) -> bool:
        """Print ``event`` if it passes the filters; whether it did."""
        if member_id is not None and getattr(event, "member_id", None) != member_id:
            return False
        if proposal_id is not None and getattr(event, "proposal_id", None) != proposal_id:
            return False
        if options.as_json:
            click.echo(json.dumps(event.to_json(), default=str))
        else:
            click.echo(f"block {event.block_number:>8}  {event.describe()}")
        return True

    if count is not None and not follow:
        raise ConfigError("--count goes with --follow")
    if not follow:
        for event in client.events.history(from_block, to_block, kinds=kinds or None, member_id=member_id,
                                           proposal_id=proposal_id):
            show(event)
        return
    if to_block is not None:
        raise ConfigError("--to-block and --follow do not go together")
    shown = 0
    watch = client.events.watch(from_block, kinds=kinds or None, poll_interval=poll, stop=threading.Event())
    if not options.as_json:
        click.echo(f"following from block {watch.next_block} (Ctrl-C stops)", err=True)
    try:
        for event in watch:
            shown += show(event)
            if count is not None and shown >= count:
                break
    except KeyboardInterrupt:
        click.echo(f"stopped; resume with --from-block {watch.next_block}", err=True)
