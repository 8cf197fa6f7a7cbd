"""``consortium-evm proposals ...`` (read, vote, sign and submit votes, execute, cancel, wait) and
``consortium-evm propose ...`` (create a proposal from a typed action).

A proposal is named by its id (decimal or 0x-hex) or by ``#N``, its sequence number.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from consortium_evm.cli_client import ClientOptions, client_options, make_client, report_sent
from consortium_evm.cli_output import ADDRESS, duration, echo_json, share, table, when
from consortium_evm.client import Action, ConsortiumClient, Proposal, ProposalState, SignedVote
from consortium_evm.cli_members import consented_nodes
from consortium_evm.consortium_file import parse_duration, parse_share
from consortium_evm.errors import ConfigError
from consortium_evm.spec import AccountSpec, MemberSpec, Role, parse_address

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
                f"on proposal #{voted.proposal_id & 0xFFFFFFFF}", voted.sent)


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
        click.echo(f"Signed vote {signed.support.label} on proposal #{signed.proposal_id & 0xFFFFFFFF} by "
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
                f"weight {voted.weight} on proposal #{voted.proposal_id & 0xFFFFFFFF}", voted.sent)


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
        report_sent(options, f"{verb} proposal #{pid & 0xFFFFFFFF}", sent, proposal_id=hex(pid))

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


# ---------------------------------------------------------------------------------- propose


@click.group("propose")
def propose_group() -> None:
    """Create a proposal from a typed action; members then vote on it."""


def _propose(options: ClientOptions, client: ConsortiumClient, action: Action, description: str | None) -> None:
    text = description or action.summary
    proposed = client.proposals.create(action, text)
    proposal = client.proposals.get(proposed.proposal_id)
    if options.as_json:
        echo_json({**proposed.to_json(), "proposal": proposal.to_json()})
        return
    report_sent(options, f"Proposal #{proposal.number} created: {text}", proposed.sent)
    click.echo(f"  id {hex(proposal.id)}")
    click.echo(f"  voting {when(proposal.vote_start)} to {when(proposal.vote_end)} "
               f"({duration(proposal.vote_end - proposal.vote_start)})")


DESCRIPTION = click.option("--description", "-d", default=None,
                           help="What the proposal is for (default: a summary of its action).")


@propose_group.command("add-member")
@click.option("--name", required=True, help="The organization's name.")
@click.option("--weight", required=True, type=click.IntRange(1, 2**32 - 1), help="Its voting weight.")
@click.option("--metadata-uri", default="", help="Where its metadata lives.")
@click.option("--member-account", "accounts", multiple=True, metavar="ADDRESS[=ROLES]",
              help="An account of the new member with its roles, e.g. 0xabc..=admin,transact (repeatable; "
                   "default role transact). An admin account acts as admin once it accepts (`members accept-admin`).")
@click.option("--node", "nodes", multiple=True, metavar="ENODE", help="An enode URL of its node (repeatable).")
@click.option("--node-key", "key_files", multiple=True, type=click.Path(dir_okay=False),
              help="A node's geth nodekey file, to sign its consent here (one per --node, in their order).")
@click.option("--node-signature", "signatures", multiple=True, metavar="HEX",
              help="A node's consent signature from its operator (`members sign-node ENODE --member next`; "
                   "one per --node, in their order).")
@DESCRIPTION
@client_options
def propose_add_member(options: ClientOptions, name: str, weight: int, metadata_uri: str, accounts: tuple[str, ...],
                       nodes: tuple[str, ...], key_files: tuple[str, ...], signatures: tuple[str, ...],
                       description: str | None) -> None:
    """Propose to admit a member with its accounts and nodes. Each node consents with its node key
    to be registered for the id the member will get (the next one): --node-key signs here,
    --node-signature is its operator's signature, checked before the proposal is made."""
    specs = []
    for item in accounts:
        address, _, roles = item.partition("=")
        specs.append(AccountSpec(parse_address(address.strip(), "--member-account"), Role.parse(roles or "transact")))
    client = make_client(options)
    signed = []
    if nodes or key_files or signatures:
        if not nodes:
            raise ConfigError("--node-key and --node-signature go with --node: give the nodes' enode URLs")
        signed = consented_nodes(client, nodes, key_files, signatures, client.members.next_member_id(),
                                 key_option="--node-key", signature_option="--node-signature", check=True)
    member = MemberSpec(name, weight, metadata_uri, tuple(specs), tuple(signed))
    _propose(options, client, client.actions.add_member(member), description or f"Admit {name} with weight {weight}")


def _member_action(verb: str, method: str) -> click.Command:
    @click.argument("member_id", type=int)
    @DESCRIPTION
    @client_options
    def command(options: ClientOptions, member_id: int, description: str | None) -> None:
        client = make_client(options)
        action = getattr(client.actions, method)(member_id)
        member = client.members.get(member_id)
        _propose(options, client, action, description or f"{verb.capitalize()} member {member_id} ({member.name})")

    command.__doc__ = f"Propose to {verb} member MEMBER_ID."
    return click.command(verb.replace(" ", "-"))(command)


propose_group.add_command(_member_action("remove", "remove_member"), "remove-member")
propose_group.add_command(_member_action("suspend", "suspend_member"), "suspend")
propose_group.add_command(_member_action("reinstate", "reinstate_member"), "reinstate")


@propose_group.command("set-weight")
@click.argument("member_id", type=int)
@click.argument("weight", type=click.IntRange(1, 2**32 - 1))
@DESCRIPTION
@client_options
def propose_set_weight(options: ClientOptions, member_id: int, weight: int, description: str | None) -> None:
    """Propose to set MEMBER_ID's voting weight to WEIGHT."""
    client = make_client(options)
    member = client.members.get(member_id)
    _propose(options, client, client.actions.set_weight(member_id, weight),
             description or f"Set the weight of member {member_id} ({member.name}) from {member.weight} to {weight}")


PARAMETERS = {
    "quorum": ("quorum_bps", "share"), "threshold": ("threshold_bps", "share"),
    "voting-delay": ("voting_delay", "duration"), "voting-period": ("voting_period", "duration"),
    "execution-delay": ("execution_delay", "duration"), "expiry-period": ("expiry_period", "duration"),
}


@propose_group.command("set-param")
@click.argument("name", type=click.Choice(sorted(PARAMETERS)))
@click.argument("value")
@DESCRIPTION
@client_options
def propose_set_param(options: ClientOptions, name: str, value: str, description: str | None) -> None:
    """Propose to change one governance parameter. Shares take basis points or a percentage
    (quorum 60%); times take seconds or 30m, 6h, 3d, 1w."""
    key, kind = PARAMETERS[name]
    number = parse_share(value) if kind == "share" else parse_duration(value)
    client = make_client(options)
    shown = share(number) if kind == "share" else duration(number)
    _propose(options, client, client.actions.set_param(key, number), description or f"Set the {name} to {shown}")


def _validator_action(verb: str, method: str, doc: str) -> click.Command:
    @click.argument("address", type=ADDRESS)
    @DESCRIPTION
    @client_options
    def command(options: ClientOptions, address: str, description: str | None) -> None:
        client = make_client(options)
        action = getattr(client.actions, method)(address)
        _propose(options, client, action, description or f"{verb.capitalize()} validator {address}")

    command.__doc__ = doc
    return click.command(f"{verb}-validator")(command)


propose_group.add_command(_validator_action(
    "add", "add_validator", "Propose to add ADDRESS to the ValidatorSet (then `validators sync` on each validator's node)."
))
propose_group.add_command(_validator_action("remove", "remove_validator", "Propose to remove ADDRESS from the ValidatorSet."))


@propose_group.command("set-rules")
@click.argument("rules")
@click.option("--node", default=None, metavar="ENODE",
              help="The registered node the ingress checks the new rules let connect: an enode URL, enode id or "
                   "node key (default: the first registered node of your member).")
@DESCRIPTION
@client_options
def propose_set_rules(options: ClientOptions, rules: str, node: str | None, description: str | None) -> None:
    """Propose to put the rules contract RULES behind the PermissionIngress. When the proposal
    executes, the ingress probes it: accounts no one can register must be refused, the executing
    account allowed, and the named node allowed to connect."""
    client = make_client(options)
    action = client.actions.set_rules(rules, node)
    _propose(options, client, action, description or f"Put the permission rules {rules} behind the ingress")


@propose_group.command("call")
@click.argument("target", type=ADDRESS)
@click.argument("signature")
@click.argument("args", nargs=-1)
@click.option("--value", type=click.IntRange(min=0), default=0, help="Wei the Consortium sends with the call.")
@DESCRIPTION
@client_options
def propose_call(options: ClientOptions, target: str, signature: str, args: tuple[str, ...], value: int,
                 description: str | None) -> None:
    """Propose any contract call: TARGET address, SIGNATURE such as 'setFee(uint256)', then its ARGS."""
    client = make_client(options)
    _propose(options, client, client.actions.call(target, signature, list(args), value), description)
