"""``consortium-evm genesis ...``: a thin layer over :mod:`consortium_evm.genesis.build`.

    consortium-evm genesis clique|ibft2|qbft --consortium consortium.yaml -o DIR [--node-keys N] [--json]
    consortium-evm genesis qbft ... [--validators-from contract|header] [--switch-to-contract-at BLOCK]
    consortium-evm genesis keys -n N -o DIR [--dev] [--json]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from consortium_evm.cli.group import ConsortiumGroup
from consortium_evm.compiler.pipeline import compile_project
from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION
from consortium_evm.config.consortium_file import load_consortium_file
from consortium_evm.domain.devkeys import DEV_KEYS_WARNING, DEV_NODE_KEY_FIRST_INDEX
from consortium_evm.errors import ConfigError
from consortium_evm.genesis.bft import ValidatorSelection
from consortium_evm.genesis.build import Consensus, GenesisOutput, generate_genesis
from consortium_evm.genesis.keys import (
    MAX_NODE_KEYS,
    PRODUCTION_KEYS_WARNING,
    dev_node_keys,
    generate_node_keys,
    write_node_keys,
)


@click.group("genesis", cls=ConsortiumGroup)
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
    width = max(len(name) for name in output.contracts)
    for name, address in output.contracts.items():
        click.echo(f"  {name:<{width}} {address}")
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
@click.option("--json", "as_json", is_flag=True,
              help="Print the keys' addresses and enode URLs as JSON (never the private keys).")
def keys_command(count: int, out_dir: Path, dev: bool, as_json: bool) -> None:
    """Generate node keys (development and tests only) and print what goes into consortium.yaml."""
    keys = dev_node_keys(count) if dev else generate_node_keys(count)
    warning = DEV_KEYS_WARNING if dev else PRODUCTION_KEYS_WARNING
    write_node_keys(keys, out_dir, warning=warning)
    click.echo(warning, err=True)
    if as_json:
        click.echo(json.dumps({
            "outDir": str(out_dir),
            "dev": dev,
            "nodes": [{"nodekey": str(out_dir / f"node{i + 1}" / "nodekey"), "address": key.address,
                       "enode": key.enode(port=30303 + i)} for i, key in enumerate(keys)],
        }, indent=2))
        return
    kind = (f"public development node key(s) (mnemonic accounts {DEV_NODE_KEY_FIRST_INDEX} to "
            f"{DEV_NODE_KEY_FIRST_INDEX + count - 1})" if dev else "node key(s)")
    click.echo(f"{count} {kind} written to {out_dir} (nodeN/nodekey, mode 600; nodes.json)")
    click.echo("network.validators (the address of each node key):")
    for key in keys:
        click.echo(f'    - "{key.address}"')
    click.echo("members' nodes (enode URLs on 127.0.0.1; change the host and port to where each node runs):")
    for index, key in enumerate(keys):
        click.echo(f'      - enode: "{key.enode(port=30303 + index)}"')
