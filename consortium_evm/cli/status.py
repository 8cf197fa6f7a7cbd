"""``consortium-evm status``: the consortium at a glance."""

from __future__ import annotations

import click

from consortium_evm.cli.options import ClientOptions, client_options, make_client
from consortium_evm.cli.output import duration, echo_json, share
from consortium_evm.domain.spec import NodeMatch


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
