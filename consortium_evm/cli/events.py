"""``consortium-evm events``: the consortium's history, and ``--follow`` for new events as blocks
arrive."""

from __future__ import annotations

import json
import threading

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client
from consortium_evm.client.events import ALL_EVENTS, CATEGORIES, Event
from consortium_evm.errors import ConfigError


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
