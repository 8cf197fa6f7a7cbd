"""``consortium-evm validators ...``: the on-chain ValidatorSet and the validator votes of a member's own
node; a thin layer over :mod:`consortium_evm.chain.validators`.

    consortium-evm validators list --network NAME [--rpc-url URL] [--validator-set ADDRESS] [--json]
    consortium-evm validators sync --network NAME [--rpc-url URL | --all-local-nodes] [--validator-set ADDRESS]
                                  [--wait SECONDS] [--dry-run] [--json]
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from consortium_evm.cli.group import ConsortiumGroup
from consortium_evm.cli.options import networks_file_option
from consortium_evm.cli.output import ADDRESS
from consortium_evm.errors import ConfigError

if TYPE_CHECKING:
    from consortium_evm.chain.validators import SyncResult, ValidatorListing


@click.group("validators", cls=ConsortiumGroup)
def validators_group() -> None:
    """The on-chain ValidatorSet and the validator votes of a member's own node."""


def _validator_options(command: Any) -> Any:
    for option in reversed([
        click.option("--network", "network_name", required=True, help="A network of networks.yaml (its node is yours)."),
        networks_file_option,
        click.option("--rpc-url", default=None, help="Your node's JSON-RPC URL, instead of the network's url."),
        click.option("--validator-set", type=ADDRESS, default=None,
                     help="The ValidatorSet address [default: from deployments/<network>.json]."),
        click.option("--deployments", "deployments_dir", type=click.Path(file_okay=False, path_type=Path),
                     default=Path("deployments"), show_default=True, help="Where the deployment manifests are."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
    ]):
        command = option(command)
    return command


@dataclasses.dataclass(frozen=True)
class _Target:
    w3: Any
    rpc_urls: tuple[str, ...]
    """The nodes to ask: the network's node (or --rpc-url), or every local node."""
    consensus: str
    validator_set: str
    client: str | None = None
    """The nodes' client (networks.yaml ``client:``): GoQuorum votes with its ``istanbul_*`` methods."""


def _target(network_name: str, networks_file: str | None, rpc_url: str | None, validator_set: str | None,
            deployments_dir: Path, all_local_nodes: bool = False) -> _Target:
    from consortium_evm.chain.connect import check_chain_id, http_web3
    from consortium_evm.config.networks import LOCAL_NODE, load_network, local_node_urls, resolve_local_node

    network = load_network(network_name, networks_file)
    if network.is_tester:
        raise ConfigError("the embedded chain (tester) has no validators to vote on: name a network with a node")
    if all_local_nodes:
        if rpc_url is not None:
            raise ConfigError("--all-local-nodes and --rpc-url exclude each other: give one")
        if network.url != LOCAL_NODE:
            raise ConfigError(
                f"--all-local-nodes needs a network with `url: {LOCAL_NODE}` (the nodes `consortium-evm node start` "
                f"runs here); network {network.name!r} has url {network.url}: use --rpc-url for each of your nodes"
            )
        urls = tuple(local_node_urls(network.name))
    else:
        urls = (rpc_url or resolve_local_node(network).url,)
    network = dataclasses.replace(network, url=urls[0])
    w3 = http_web3(network)
    check_chain_id(w3, network)
    if validator_set is None:
        from consortium_evm.deploy.manifest import manifest_path, read_manifest

        manifest = read_manifest(manifest_path(deployments_dir, network.name), network.name, required=())
        if manifest.validator_set is None:
            raise ConfigError(
                f"{manifest_path(deployments_dir, network.name)} has no ValidatorSet: the consortium file listed no "
                "validators when it was deployed (add network.validators and deploy again, or pass --validator-set)"
            )
        validator_set = manifest.validator_set
    return _Target(w3, urls, network.consensus, validator_set, network.client)


def _print_listing(listing: ValidatorListing) -> None:
    on_chain = {a.lower() for a in listing.on_chain}
    node = {a.lower() for a in listing.node.validators}
    click.echo(f"ValidatorSet {listing.validator_set}; node {listing.rpc_url} ({listing.consensus})")
    click.echo(f"  {'validator':<42}  {'on chain':<8}  node")
    for address in sorted({*listing.on_chain, *listing.node.validators}, key=str.lower):
        key = address.lower()
        click.echo(f"  {address:<42}  {'yes' if key in on_chain else 'no':<8}  {'yes' if key in node else 'no'}")
    for address, add in listing.node.pending.items():
        click.echo(f"  pending on the node: {'add' if add else 'remove'} {address}")
    click.echo("in sync" if listing.in_sync else "NOT in sync: run `consortium-evm validators sync` on each validator's node")


@validators_group.command("list")
@_validator_options
def list_command(network_name: str, networks_file: str | None, rpc_url: str | None, validator_set: str | None,
                 deployments_dir: Path, as_json: bool) -> None:
    """The on-chain validator set next to the one your node reports."""
    from consortium_evm.chain.validators import list_validators

    target = _target(network_name, networks_file, rpc_url, validator_set, deployments_dir)
    listing = list_validators(target.w3, target.rpc_urls[0], target.consensus, target.validator_set,
                              client=target.client)
    if as_json:
        click.echo(json.dumps(listing.to_json(), indent=2))
        return
    _print_listing(listing)


@validators_group.command("sync")
@_validator_options
@click.option("--all-local-nodes", is_flag=True,
              help="Vote on every node of the local network (url: local-node), as each validator's operator would.")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0), default=None, metavar="SECONDS",
              help="Then wait until each node reports the on-chain set (at most SECONDS).")
@click.option("--dry-run", is_flag=True, help="Only say what would be voted.")
def sync_command(network_name: str, networks_file: str | None, rpc_url: str | None, validator_set: str | None,
                 deployments_dir: Path, as_json: bool, all_local_nodes: bool, wait_seconds: float | None,
                 dry_run: bool) -> None:
    """Make your node vote for the on-chain validator set (idempotent)."""
    from consortium_evm.chain.validators import sync_validators, wait_in_sync

    if dry_run and wait_seconds is not None:
        raise click.UsageError("--wait after --dry-run would wait for votes that were not cast: drop one")
    target = _target(network_name, networks_file, rpc_url, validator_set, deployments_dir, all_local_nodes)
    results = []
    for url in target.rpc_urls:
        result = sync_validators(target.w3, url, target.consensus, target.validator_set, dry_run=dry_run,
                                 client=target.client)
        results.append(result)
        if not as_json:
            if all_local_nodes:
                click.echo(f"node {url}:")
            _print_sync(result, dry_run)
    listings = (wait_in_sync(target.w3, target.rpc_urls, target.consensus, target.validator_set, wait_seconds,
                             client=target.client)
                if wait_seconds is not None else None)
    if as_json:
        shown = [{**r.to_json(), **({"inSyncAfterWait": True} if listings is not None else {})} for r in results]
        click.echo(json.dumps({"nodes": shown} if all_local_nodes else shown[0], indent=2))
    elif listings is not None:
        where = "every node" if len(listings) > 1 else "the node"
        click.echo(f"in force on {where}: {len(listings[0].on_chain)} validator(s), {', '.join(listings[0].on_chain)}")


def _print_sync(result: SyncResult, dry_run: bool) -> None:
    verb = "would " if dry_run else ""
    if result.plan.empty:
        click.echo("nothing to vote: the node's proposals already follow the ValidatorSet")
    for vote in result.plan.votes:
        click.echo(f"{verb}voted: {'add' if vote.add else 'remove'} {vote.address}")
    for address in result.plan.discards:
        click.echo(f"{verb}discarded the proposal for {address} (done, or no longer wanted)")
    for address, add in result.pending_after.items():
        click.echo(f"pending: {'add' if add else 'remove'} {address}")
    if not result.pending_after:
        click.echo("pending: none")
