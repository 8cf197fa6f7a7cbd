"""``consortium-evm deploy``: a thin layer over the deploy service (:mod:`consortium_evm.workflows.deployment`)."""

from __future__ import annotations

import json

import click

from consortium_evm.chain.connect import connect
from consortium_evm.cli.group import on_interrupt
from consortium_evm.cli.options import network_or_tester_option, networks_file_option
from consortium_evm.deploy.manifest import manifest_path
from consortium_evm.deploy.suite import Step
from consortium_evm.tx.signer import sender_address
from consortium_evm.workflows.deployment import deploy_network, deployer_account, goquorum_folder, interrupted_deployment


def _progress(step: Step) -> None:
    if step.resumed:
        click.echo(f"  {step.name:<32} already done: tx {step.tx_hash}, block {step.block_number}")
        return
    where = f"  -> {step.address}" if step.address else ""
    click.echo(f"  {step.name:<32} tx {step.tx_hash}  gas {step.gas_used:>9,}  block {step.block_number}{where}")


@click.command("deploy")
@network_or_tester_option
@click.option("--consortium", "consortium_file", required=True, type=click.Path(dir_okay=False),
              help="The consortium file: founding members and governance parameters.")
@click.option("--account", default="deployer", show_default=True, help="The deploying account, by name.")
@networks_file_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="deployments", show_default=True,
              help="Where the journal and the manifest (<network>.json) are written.")
@click.option("--receipt-timeout", default=120.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds to wait for each transaction's receipt before stopping (resumable).")
@click.option("--fresh", is_flag=True,
              help="Start a new deployment: the network's journal and manifest, if any, are kept aside "
                   "(renamed <file>.old-<UTC time>), never deleted.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON instead of progress.")
@on_interrupt(lambda params: interrupted_deployment(params["network_name"], params["out_dir"]))
def deploy_command(
    network_name: str,
    consortium_file: str,
    account: str,
    networks_file: str | None,
    out_dir: str,
    receipt_timeout: float,
    fresh: bool,
    as_json: bool,
) -> None:
    """Deploy the consortium contracts, bootstrap the founding members, hand over to governance.

    Resumable: run it again after any interruption and it carries on from its journal without
    sending anything twice; on a finished deployment it verifies the code on chain and changes nothing.
    A journal of another chain (same chain id, another block 0: a network reset) or of other inputs
    stops it; --fresh keeps those files aside and deploys anew.
    """
    connection = connect(network_name, networks_file=networks_file)
    if not as_json:
        address = sender_address(deployer_account(connection, account))
        click.echo(f"Deploying to {connection.network.name} (chain id {connection.chain_id}) from {address}")
    deployment = deploy_network(
        connection, consortium_file, account=account, out_dir=out_dir, fresh=fresh, receipt_timeout=receipt_timeout,
        progress=None if as_json else _progress,
        kept_aside=lambda old, kept: click.echo(f"Kept {old} aside as {kept}", err=as_json),
    )
    if as_json:
        click.echo(json.dumps(deployment.manifest(), indent=2))
        return
    if all(step.resumed for step in deployment.steps):
        click.echo("Already deployed: the code on chain was verified and nothing was sent.")
    click.echo(f"Consortium         {deployment.consortium}")
    click.echo(f"PermissionIngress  {deployment.ingress}   <- configure every node with this address")
    if deployment.validator_set is not None:
        click.echo(f"ValidatorSet       {deployment.validator_set}   <- `consortium-evm validators sync` reads it")
    if deployment.goquorum_adapter is not None:
        folder = goquorum_folder(out_dir, connection.network.name)
        click.echo(f"GoQuorum adapter   {deployment.goquorum_adapter}   <- GoQuorum's permission service reads it")
        click.echo(f"GoQuorum: copy {folder}/permission-config.json and permissioned-nodes.json into each node's "
                   "data directory and restart it with --permissioned (docs/clients/goquorum.md)")
    click.echo(f"Total gas {deployment.total_gas:,}; manifest written to {manifest_path(out_dir, connection.network.name)}")
