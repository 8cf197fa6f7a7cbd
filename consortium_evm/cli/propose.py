"""``consortium-evm propose ...``: create a proposal from a typed action of
:class:`~consortium_evm.client.actions.Actions`, one command each (add, remove, suspend or reinstate a
member, a weight, member limits, settings, an account allowed on its own, the node matching mode,
the permission rules, a validator, any call, raw calldata), or from a proposal file of several
(``propose file``, :mod:`consortium_evm.config.proposal_file`)."""

from __future__ import annotations

import click

from consortium_evm.cli.members import consented_nodes
from consortium_evm.cli.options import ClientOptions, client_options, make_client, report_sent
from consortium_evm.cli.output import ADDRESS, duration, echo_json, share, when
from consortium_evm.client import Action, ConsortiumClient
from consortium_evm.config.consortium_file import parse_duration, parse_share
from consortium_evm.domain.spec import AccountSpec, MemberSpec, Role, parse_address
from consortium_evm.errors import ConfigError


@click.group("propose")
def propose_group() -> None:
    """Create a proposal from a typed action; members then vote on it."""


def _propose(options: ClientOptions, client: ConsortiumClient, action: Action | list[Action],
             description: str | None) -> None:
    actions = [action] if isinstance(action, Action) else action
    text = description or "; ".join(a.summary for a in actions)
    proposed = client.proposals.create(actions, text)
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


@propose_group.command("set-settings")
@click.option("--quorum", default=None, help="Share of the total weight that must vote (basis points or 60%).")
@click.option("--threshold", default=None, help="Share of the for and against weight that must be for.")
@click.option("--voting-delay", default=None, help="From a proposal to its vote (seconds or 30m, 6h, 3d, 1w).")
@click.option("--voting-period", default=None, help="How long the vote lasts.")
@click.option("--execution-delay", default=None, help="From the end of the vote to when it may execute.")
@click.option("--expiry-period", default=None, help="How long a passed proposal stays executable.")
@DESCRIPTION
@client_options
def propose_set_settings(options: ClientOptions, quorum: str | None, threshold: str | None, voting_delay: str | None,
                         voting_period: str | None, execution_delay: str | None, expiry_period: str | None,
                         description: str | None) -> None:
    """Propose to change several governance parameters at once; those not given stay as they are."""
    given = {"quorum": quorum, "threshold": threshold, "voting-delay": voting_delay, "voting-period": voting_period,
             "execution-delay": execution_delay, "expiry-period": expiry_period}
    changes: dict[str, int] = {}
    for name, text in given.items():
        if text is not None:
            key, kind = PARAMETERS[name]
            changes[key] = parse_share(text) if kind == "share" else parse_duration(text)
    if not changes:
        raise ConfigError("give at least one of --quorum, --threshold, --voting-delay, --voting-period, "
                          "--execution-delay, --expiry-period")
    client = make_client(options)
    _propose(options, client, client.actions.change_settings(**changes), description)


@propose_group.command("set-member-limits")
@click.argument("max_accounts", type=click.IntRange(1, 2**32 - 1))
@click.argument("max_nodes", type=click.IntRange(1, 2**32 - 1))
@DESCRIPTION
@client_options
def propose_set_member_limits(options: ClientOptions, max_accounts: int, max_nodes: int, description: str | None) -> None:
    """Propose that one member may own at most MAX_ACCOUNTS accounts and MAX_NODES nodes."""
    client = make_client(options)
    _propose(options, client, client.actions.set_member_limits(max_accounts, max_nodes),
             description or f"Limit each member to {max_accounts} accounts and {max_nodes} nodes")


@propose_group.command("allow-account")
@click.argument("address", type=ADDRESS)
@click.option("--roles", default="transact", show_default=True, help="transact and/or deploy, comma-separated.")
@DESCRIPTION
@client_options
def propose_allow_account(options: ClientOptions, address: str, roles: str, description: str | None) -> None:
    """Propose to allow ADDRESS, an account of no member (a service, a bridge), with --roles."""
    client = make_client(options)
    _propose(options, client, client.actions.allow_account(address, roles),
             description or f"Allow account {address} ({roles})")


@propose_group.command("disallow-account")
@click.argument("address", type=ADDRESS)
@DESCRIPTION
@client_options
def propose_disallow_account(options: ClientOptions, address: str, description: str | None) -> None:
    """Propose to withdraw ADDRESS, an account allowed on its own."""
    client = make_client(options)
    _propose(options, client, client.actions.disallow_account(address), description or f"Disallow account {address}")


@propose_group.command("set-node-match")
@click.argument("mode", type=click.Choice(["enode-id", "enode-id-host-port"]))
@DESCRIPTION
@client_options
def propose_set_node_match(options: ClientOptions, mode: str, description: str | None) -> None:
    """Propose how connecting nodes are matched: by enode id alone, or by id, host and port."""
    client = make_client(options)
    _propose(options, client, client.actions.set_node_match(mode), description or f"Match nodes by {mode}")


@propose_group.command("raw")
@click.argument("target", type=ADDRESS)
@click.argument("data")
@click.option("--value", type=click.IntRange(min=0), default=0, help="Wei the Consortium sends with the call.")
@DESCRIPTION
@client_options
def propose_raw(options: ClientOptions, target: str, data: str, value: int, description: str | None) -> None:
    """Propose a call of TARGET with calldata DATA (0x-hex) you encoded yourself."""
    client = make_client(options)
    _propose(options, client, client.actions.raw(target, data, value), description)


@propose_group.command("file")
@click.argument("path", type=click.Path(dir_okay=False))
@DESCRIPTION
@client_options
def propose_file(options: ClientOptions, path: str, description: str | None) -> None:
    """Propose every action of the YAML file PATH in one proposal (`actions:`, each named like its
    propose command; see docs/cli.md). Members vote on them together; they execute in order, all or none."""
    from consortium_evm.config.proposal_file import load_proposal_file

    plan = load_proposal_file(path)
    text = description or plan.description
    if not text:
        raise ConfigError(f"{path}: the proposal needs a description: give --description or `description:` in the file")
    client = make_client(options)
    _propose(options, client, client.actions.planned(plan.actions), text)
