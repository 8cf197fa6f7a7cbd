"""``consortium-evm deploy``: a thin layer over :mod:`consortium_evm.deploy.suite`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from consortium_evm.chain.connect import connect
from consortium_evm.cli.group import on_interrupt
from consortium_evm.cli.options import network_or_tester_option, networks_file_option
from consortium_evm.compiler.pipeline import compile_project
from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION
from consortium_evm.config.consortium_file import load_consortium
from consortium_evm.deploy.journal import Journal, set_aside
from consortium_evm.deploy.suite import Step, deploy_suite
from consortium_evm.tx.fees import check_funds
from consortium_evm.tx.signer import sender_address


DEPLOY_GAS = 5_300_000
"""Gas of the two contract creations (measured: 5.17 million), for the funds check."""


MEMBER_GAS = 400_000
"""Gas of bootstrapping one founding member with a few accounts and nodes, for the funds check."""


def interrupted_deployment(network_name: str, out_dir: str) -> str:
    """What an interrupted deployment leaves: what its journal holds, and that a rerun resumes."""
    if network_name == "tester":
        return "the embedded chain ended with this process: nothing to resume"
    path = Path(out_dir) / f"{network_name}.journal.json"
    journal = Journal.load(path) if path.exists() else None
    if journal is None:
        return f"nothing was recorded in {path}: run the same `consortium-evm deploy` again to start"
    mined = [s.name for s in journal.steps.values() if s.status == "mined"]
    sent = [s.name for s in journal.steps.values() if s.status != "mined"]
    held = f"{len(mined)} transaction(s) mined" + (f" ({', '.join(mined)})" if mined else "")
    if sent:
        held += f", {len(sent)} sent and not yet seen mined ({', '.join(sent)}: a rerun waits for them, never resends)"
    return (f"the journal {path} holds {held}; run the same `consortium-evm deploy --network {network_name} ...` "
            "again to resume (nothing is sent twice)")


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
    spec, file_hash = load_consortium(consortium_file)
    connection = connect(network_name, networks_file=networks_file)
    network = connection.network
    if network.evm_version != DEFAULT_EVM_VERSION:
        compile_project(evm_version=network.evm_version)  # the network's EVM; cached after the first time
    deployer = connection.account(0 if network.is_tester and account == "deployer" else account)
    address = sender_address(deployer)
    fees = connection.fees()
    check_funds(connection.w3, address, DEPLOY_GAS + MEMBER_GAS * len(spec.members), fees)
    out = Path(out_dir)
    journal_path = None if network.is_tester else out / f"{network.name}.journal.json"
    manifest_path = out / f"{network.name}.json"
    if fresh:
        for old, kept in set_aside(*(p for p in (journal_path, manifest_path) if p is not None)):
            click.echo(f"Kept {old} aside as {kept}", err=as_json)
    if not as_json:
        click.echo(f"Deploying to {network.name} (chain id {connection.chain_id}) from {address}")
    deployment = deploy_suite(
        connection.w3,
        deployer,
        spec,
        network=network.name,
        # The embedded chain lives as long as this process: nothing to resume there.
        journal_path=journal_path,
        manifest_path=manifest_path,
        inputs={"consortiumFile": file_hash},
        evm_version=network.evm_version,
        fees=fees,
        confirmations=connection.confirmations,
        receipt_timeout=receipt_timeout,
        progress=None if as_json else _progress,
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
    click.echo(f"Total gas {deployment.total_gas:,}; manifest written to {out / f'{network.name}.json'}")
