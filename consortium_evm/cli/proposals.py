"""``consortium-evm proposals ...``: read, vote, sign and submit votes, execute, cancel, wait.

A proposal is named by its id (decimal or 0x-hex) or by ``#N``, its sequence number.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client, report_sent
from consortium_evm.cli.output import echo_json, share, table, when
from consortium_evm.client import Proposal, ProposalState, SignedVote
from consortium_evm.domain.proposals import proposal_number
from consortium_evm.errors import ConfigError

SUPPORT_CHOICE = click.Choice(["for", "against", "abstain", "yes", "no"], case_sensitive=False)
STATE_CHOICE = click.Choice([s.label for s in ProposalState], case_sensitive=False)


# ---------------------------------------------------------------------------------- proposals


@click.group("proposals")
def proposals_group() -> None:
    """Governance proposals: list, show, vote (directly or signed), execute, cancel, wait."""


@proposals_group.command("list")
@click.option("--state", "states", multiple=True, type=STATE_CHOICE, help="Only proposals in this state (repeatable).")
@client_options
def proposals_list(options: ClientOptions, states: tuple[str, ...]) -> None:
    """Every proposal, oldest first, with its state and tally."""
    proposals = make_client(options).proposals.list(list(states) or None)
    if options.as_json:
        echo_json([p.to_json() for p in proposals])
        return
    rows = [[f"#{p.number}", p.state.label, p.tally.for_votes, p.tally.against_votes, p.tally.abstain_votes,
             f"{p.tally.cast}/{p.tally.quorum}", when(p.vote_end), _clip(p.description, 40)] for p in proposals]
    click.echo(table(["#", "STATE", "FOR", "AGAINST", "ABSTAIN", "VOTED/QUORUM", "VOTING ENDS", "DESCRIPTION"], rows,
                     right=["FOR", "AGAINST", "ABSTAIN", "VOTED/QUORUM"]))
    click.echo(f"{len(proposals)} proposal(s)")


def _clip(text: str, width: int) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[: width - 1] + "…"


@proposals_group.command("show")
@click.argument("proposal")
@client_options
def proposals_show(options: ClientOptions, proposal: str) -> None:
    """One proposal: its actions, times, tally and state."""
    p = make_client(options).proposals.get(proposal)
    if options.as_json:
        echo_json(p.to_json())
        return
    _show(p)


def _show(p: Proposal) -> None:
    t = p.tally
    click.echo(f"Proposal #{p.number}  {p.state.label.upper()}")
    click.echo(f"  id            {hex(p.id)}")
    click.echo(f"  proposed by   member {p.proposer_member_id} ({p.proposer}) in block {p.created_block}")
    click.echo(f"  description   {p.description}")
    click.echo(f"  voting        {when(p.vote_start)} to {when(p.vote_end)}")
    click.echo(f"  executable    from {when(p.executable_at)} until {when(p.expires_at)}")
    click.echo(f"  tally         for {t.for_votes}, against {t.against_votes}, abstain {t.abstain_votes}; "
               f"{t.cast} of {t.total_weight} voted, quorum {t.quorum} ({'reached' if t.quorum_reached else 'not reached'}); "
               f"threshold {share(t.threshold_bps)} of for+against ({'met' if t.approved else 'not met'})")
    click.echo("  actions")
    for i, action in enumerate(p.actions, 1):
        value = f" with {action.value} wei" if action.value else ""
        click.echo(f"    {i}. {action.summary or action.target + ' 0x' + action.data.hex()}{value}")


@proposals_group.command("vote")
@click.argument("proposal")
@click.argument("support", type=SUPPORT_CHOICE)
@client_options
def proposals_vote(options: ClientOptions, proposal: str, support: str) -> None:
    """Vote on PROPOSAL for your member: for, against or abstain (an admin account signs)."""
    voted = make_client(options).proposals.vote(proposal, support)
    if options.as_json:
        echo_json(voted.to_json())
        return
    report_sent(options, f"Member {voted.member_id} voted {voted.support.label} with weight {voted.weight} "
                f"on proposal #{proposal_number(voted.proposal_id)}", voted.sent)


@proposals_group.command("sign-vote")
@click.argument("proposal")
@click.argument("support", type=SUPPORT_CHOICE)
@click.option("--nonce", type=int, default=None,
              help="The ballot nonce to sign with (default: your member's next one; one sequence per member).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the signed vote to this file (default: standard output).")
@client_options
def proposals_sign_vote(options: ClientOptions, proposal: str, support: str, nonce: int | None, output: str | None) -> None:
    """Sign a vote (EIP-712) with your admin account, for someone else to submit; nothing is sent."""
    signed = make_client(options).proposals.sign_vote(proposal, support, nonce=nonce)
    text = json.dumps(signed.to_json(), indent=2)
    if output is None:
        click.echo(text)
        return
    Path(output).write_text(text + "\n", encoding="utf-8")
    if not options.as_json:
        click.echo(f"Signed vote {signed.support.label} on proposal #{proposal_number(signed.proposal_id)} by "
                   f"{signed.voter} (nonce {signed.nonce}) written to {output}")


@proposals_group.command("submit-vote")
@click.argument("signed_vote", type=click.Path(dir_okay=False, allow_dash=True))
@client_options
def proposals_submit_vote(options: ClientOptions, signed_vote: str) -> None:
    """Submit a signed vote (a file from sign-vote, or - for standard input) from your account."""
    text = sys.stdin.read() if signed_vote == "-" else _read(signed_vote)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{signed_vote}: not JSON ({exc})") from None
    voted = make_client(options).proposals.submit_vote(SignedVote.from_json(data))
    if options.as_json:
        echo_json(voted.to_json())
        return
    report_sent(options, f"Submitted the vote of member {voted.member_id} ({voted.voter}): {voted.support.label} with "
                f"weight {voted.weight} on proposal #{proposal_number(voted.proposal_id)}", voted.sent)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None


def _proposal_transaction(name: str, verb: str, doc: str) -> click.Command:
    """``proposals execute`` and ``proposals cancel``: one transaction about one proposal."""

    @click.argument("proposal")
    @client_options
    def command(options: ClientOptions, proposal: str) -> None:
        client = make_client(options)
        pid = client.proposals.resolve(proposal)
        sent = getattr(client.proposals, name)(pid)
        report_sent(options, f"{verb} proposal #{proposal_number(pid)}", sent, proposal_id=hex(pid))

    command.__doc__ = doc
    return click.command(name)(command)


proposals_group.add_command(_proposal_transaction("execute", "Executed", "Execute a passed proposal (any account may)."))
proposals_group.add_command(_proposal_transaction("cancel", "Canceled", "Cancel your member's pending or active proposal."))


@proposals_group.command("wait")
@click.argument("proposal")
@click.argument("states", nargs=-1, required=True, type=STATE_CHOICE)
@click.option("--timeout", type=click.FloatRange(min=0), default=300.0, show_default=True, help="Seconds to wait.")
@click.option("--poll", type=click.FloatRange(min=0.05), default=2.0, show_default=True, help="Seconds between checks.")
@client_options
def proposals_wait(options: ClientOptions, proposal: str, states: tuple[str, ...], timeout: float, poll: float) -> None:
    """Wait until PROPOSAL is in one of STATES (exit 1 if it ends elsewhere or time runs out)."""
    client = make_client(options)
    reached = client.proposals.wait_for(client.proposals.resolve(proposal), states, timeout=timeout, poll_interval=poll)
    if options.as_json:
        echo_json(reached.to_json())
        return
    click.echo(f"Proposal #{reached.number} is {reached.state.label}")
