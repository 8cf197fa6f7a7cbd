"""``consortium-evm genesis ...`` and ``consortium-evm validators ...``: thin layers over
:mod:`consortium_evm.genesis.build` and :mod:`consortium_evm.validators`.

    consortium-evm genesis clique|ibft2|qbft --consortium consortium.yaml -o DIR [--node-keys N] [--json]
    consortium-evm genesis qbft ... [--validators-from contract|header] [--switch-to-contract-at BLOCK]
    consortium-evm genesis keys -n N -o DIR [--dev]
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

from consortium_evm.cli_output import ADDRESS
from consortium_evm.compiler import DEFAULT_EVM_VERSION, compile_project
from consortium_evm.consortium_file import load_consortium_file
from consortium_evm.devkeys import DEV_KEYS_WARNING, DEV_NODE_KEY_FIRST_INDEX
from consortium_evm.errors import ConfigError, ConsortiumError
from consortium_evm.genesis.bft import ValidatorSelection
from consortium_evm.genesis.build import Consensus, GenesisOutput, generate_genesis
from consortium_evm.spec import parse_address
from consortium_evm.genesis.keys import (
    MAX_NODE_KEYS,
    PRODUCTION_KEYS_WARNING,
    dev_node_keys,
    generate_node_keys,
    write_node_keys,
)

if TYPE_CHECKING:
    from consortium_evm.validators import SyncResult, ValidatorListing


class _Group(click.Group):
    """Reports :class:`ConsortiumError` as ``Error: <message>`` and exit 1 (also when run alone)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConsortiumError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group("genesis", cls=_Group)
def genesis_group() -> None:
    """Genesis files with the consortium's contracts in force from block 0."""


def _common(command: Any) -> Any:
    command = click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")(command)
    command = click.option(
        "--node-keys", type=click.IntRange(0, MAX_NODE_KEYS), default=0, show_default=True,
        help="Also generate N node keys under DIR/keys (development and tests only).",
    )(command)
    command = click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                           help="Folder to write into (created if needed).")(command)
    command = click.option("--consortium", "consortium_file", required=True, type=click.Path(dir_okay=False),
                           help="The consortium file, with its network section.")(command)
    return command


def _run(consensus: Consensus, consortium_file: str, out_dir: Path, node_keys: int, as_json: bool,
         selection: ValidatorSelection = ValidatorSelection.CONTRACT, from_block: int | None = None) -> None:
    loaded = load_consortium_file(consortium_file)
    if loaded.network is None:
        raise ConfigError(
            f"{consortium_file} has no network section: add `network:` with chain_id and validators "
            "(see consortium.example.yaml)"
        )
    if loaded.network.evm_version != DEFAULT_EVM_VERSION:
        compile_project(evm_version=loaded.network.evm_version)
    output = generate_genesis(
        consensus, loaded.spec, loaded.network, out_dir, selection=selection,
        contract_from_block=from_block, node_keys=node_keys, consortium_sha256=loaded.sha256,
    )
    if node_keys:
        click.echo(PRODUCTION_KEYS_WARNING, err=True)
    if as_json:
        click.echo(json.dumps(output.to_json(), indent=2))
        return
    _print(output)


def _print(output: GenesisOutput) -> None:
    click.echo(f"{output.consensus} genesis written to {output.out_dir}:")
    for path in output.files:
        click.echo(f"  {path}")
    click.echo("pre-deployed contracts (in force from block 0):")
    for name, address in output.contracts.items():
        click.echo(f"  {name:<18} {address}")
    click.echo(f"validators: {', '.join(output.validators)}")
    if output.validator_selection is not None:
        click.echo(f"QBFT validator selection: {output.validator_selection}")
    if output.besu_flags:
        click.echo("Besu permissioning options: " + " ".join(output.besu_flags))
    for key in output.node_keys:
        click.echo(f"  node key {key.address}  enode id {key.enode_id}")
    for note in output.notes:
        click.echo(f"note: {note}")


@genesis_group.command("clique")
@_common
def clique_command(consortium_file: str, out_dir: Path, node_keys: int, as_json: bool) -> None:
    """geth-style Clique genesis (signers in the extra data)."""
    _run("clique", consortium_file, out_dir, node_keys, as_json)


@genesis_group.command("ibft2")
@_common
def ibft2_command(consortium_file: str, out_dir: Path, node_keys: int, as_json: bool) -> None:
    """Besu IBFT 2.0 genesis and Besu's permissioning options."""
    _run("ibft2", consortium_file, out_dir, node_keys, as_json)


@genesis_group.command("qbft")
@_common
@click.option("--validators-from", "mode", type=click.Choice(["contract", "header"]), default="contract",
              show_default=True,
              help="contract: the ValidatorSet from block 0 (validatorcontractaddress); header: block-header votes.")
@click.option("--switch-to-contract-at", "from_block", type=click.IntRange(1), default=None,
              help="Start in header mode and switch to the ValidatorSet at this block (transitions).")
def qbft_command(consortium_file: str, out_dir: Path, node_keys: int, as_json: bool, mode: str,
                 from_block: int | None) -> None:
    """QBFT genesis for Besu and for GoQuorum, their permissioning configuration."""
    if from_block is not None and mode == "header":
        raise click.UsageError("--switch-to-contract-at starts in header mode already; drop --validators-from header")
    selection = ValidatorSelection.HEADER if mode == "header" else ValidatorSelection.CONTRACT
    _run("qbft", consortium_file, out_dir, node_keys, as_json, selection, from_block)


@genesis_group.command("keys")
@click.option("-n", "--count", type=click.IntRange(1, MAX_NODE_KEYS), required=True, help="How many node keys.")
@click.option("-o", "--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--dev", is_flag=True,
              help=f"The PUBLIC development keys (the \"test test ... junk\" mnemonic's accounts {DEV_NODE_KEY_FIRST_INDEX} "
                   "on, as consortium.genesis.example.yaml names them) instead of random ones.")
def keys_command(count: int, out_dir: Path, dev: bool) -> None:
    """Generate node keys (development and tests only) and print what goes into consortium.yaml."""
    keys = dev_node_keys(count) if dev else generate_node_keys(count)
    warning = DEV_KEYS_WARNING if dev else PRODUCTION_KEYS_WARNING
    write_node_keys(keys, out_dir, warning=warning)
    click.echo(warning, err=True)
    kind = (f"public development node key(s) (mnemonic accounts {DEV_NODE_KEY_FIRST_INDEX} to "
            f"{DEV_NODE_KEY_FIRST_INDEX + count - 1})" if dev else "node key(s)")
    click.echo(f"{count} {kind} written to {out_dir} (nodeN/nodekey, mode 600; nodes.json)")
    click.echo("network.validators (the address of each node key):")
    for key in keys:
        click.echo(f'    - "{key.address}"')
    click.echo("members' nodes (enode URLs on 127.0.0.1; change the host and port to where each node runs):")
    for index, key in enumerate(keys):
        click.echo(f'      - enode: "{key.enode(port=30303 + index)}"')


# ---------------------------------------------------------------------------------- validators


@click.group("validators", cls=_Group)
def validators_group() -> None:
    """The on-chain ValidatorSet and the validator votes of a member's own node."""


def _validator_options(command: Any) -> Any:
    for option in reversed([
        click.option("--network", "network_name", required=True, help="A network of networks.yaml (its node is yours)."),
        click.option("--networks", "networks_file", type=click.Path(dir_okay=False), default=None,
                     help="The networks file (default: ./networks.yaml)."),
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


def _target(network_name: str, networks_file: str | None, rpc_url: str | None, validator_set: str | None,
            deployments_dir: Path, all_local_nodes: bool = False) -> _Target:
    from consortium_evm.connect import check_chain_id, http_web3
    from consortium_evm.networks import LOCAL_NODE, load_network, local_node_url, local_node_urls

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
        urls = (rpc_url or (local_node_url(network.name) if network.url == LOCAL_NODE else network.url),)
    network = dataclasses.replace(network, url=urls[0])
    w3 = http_web3(network)
    check_chain_id(w3, network)
    if validator_set is None:
        manifest = deployments_dir / f"{network.name}.json"
        try:
            contracts = json.loads(manifest.read_text())["contracts"]
        except FileNotFoundError:
            raise ConfigError(f"no deployment manifest {manifest}: deploy first, or pass --validator-set") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read {manifest}: {exc}") from None
        if "ValidatorSet" not in contracts:
            raise ConfigError(
                f"{manifest} has no ValidatorSet: the consortium file listed no validators when it was deployed "
                "(add network.validators and deploy again, or pass --validator-set)"
            )
        entry = contracts["ValidatorSet"]
        try:
            validator_set = parse_address(entry.get("address") if isinstance(entry, dict) else None,
                                          "contracts.ValidatorSet.address")
        except ConfigError as exc:
            raise ConfigError(f"{manifest}: {exc}") from None
    return _Target(w3, urls, network.consensus, validator_set)


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
    from consortium_evm.validators import list_validators

    target = _target(network_name, networks_file, rpc_url, validator_set, deployments_dir)
    listing = list_validators(target.w3, target.rpc_urls[0], target.consensus, target.validator_set)
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
    from consortium_evm.validators import sync_validators, wait_in_sync

    if dry_run and wait_seconds is not None:
        raise click.UsageError("--wait after --dry-run would wait for votes that were not cast: drop one")
    target = _target(network_name, networks_file, rpc_url, validator_set, deployments_dir, all_local_nodes)
    results = []
    for url in target.rpc_urls:
        result = sync_validators(target.w3, url, target.consensus, target.validator_set, dry_run=dry_run)
        results.append(result)
        if not as_json:
            if all_local_nodes:
                click.echo(f"node {url}:")
            _print_sync(result, dry_run)
    listings = (wait_in_sync(target.w3, target.rpc_urls, target.consensus, target.validator_set, wait_seconds)
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


def register(main: click.Group) -> None:
    """Add ``genesis`` and ``validators`` to the main command group."""
    main.add_command(genesis_group)
    main.add_command(validators_group)
