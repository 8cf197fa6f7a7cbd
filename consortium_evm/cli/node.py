"""``consortium-evm node``: a local Clique network of geth 1.13 signers on 127.0.0.1.

    consortium-evm node start [--signers N] [--chain-id ID] [--period S] [--data-dir DIR] [--reset] [--json]
    consortium-evm node start --genesis geth/genesis.json --keys KEYS_DIR [--data-dir DIR]
    consortium-evm node status [--json] [--data-dir DIR]
    consortium-evm node stop [--json] [--data-dir DIR]

Listed on the main group in :data:`consortium_evm.cli.COMMANDS`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from consortium_evm.cli.group import ConsortiumGroup
from consortium_evm.errors import ConfigError
from consortium_evm.localnet.start import DEFAULT_CHAIN_ID, DEFAULT_PERIOD, DEFAULT_SIGNERS, MAX_SIGNERS, start_network
from consortium_evm.localnet.status import NetworkStatus, network_status
from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.geth import CLIQUE_EVM_VERSIONS, DEFAULT_CLIQUE_EVM_VERSION
from consortium_evm.node.state import default_data_dir



def _err(line: str) -> None:
    click.echo(line, err=True)


_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Network folder [default: <project root>/.consortium/nodes].",
)


@click.group("node", cls=ConsortiumGroup)
def node_group() -> None:
    """A local Clique network of geth 1.13 signers (127.0.0.1 only)."""


@node_group.command("start")
@click.option(
    "--signers",
    type=click.IntRange(1, MAX_SIGNERS),
    default=None,
    help=f"Number of signer nodes (one geth each) [new network default: {DEFAULT_SIGNERS}].",
)
@click.option(
    "--chain-id", type=click.IntRange(1), default=None, help=f"Chain id [new network default: {DEFAULT_CHAIN_ID}]."
)
@click.option(
    "--period",
    type=click.IntRange(1),
    default=None,
    help=f"Seconds between blocks [new network default: {DEFAULT_PERIOD}].",
)
@click.option(
    "--evm-version",
    type=click.Choice(CLIQUE_EVM_VERSIONS),
    default=DEFAULT_CLIQUE_EVM_VERSION,
    show_default=True,
    help="Forks active from block 0 (a new network only; Clique stops at london).",
)
@click.option("--genesis", "genesis_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Run this geth Clique genesis (consortium-evm genesis clique) instead of making one; needs --keys.")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --genesis: a folder of nodeN/nodekey files (consortium-evm genesis keys), one node each.")
@click.option("--reset", is_flag=True, help="Delete a stopped network in the folder and create a new one.")
@click.option("--timeout", type=click.FloatRange(1), default=60.0, show_default=True, help="Seconds to wait for the nodes.")
@_data_dir_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the network's record (as in its state file, plus the state file's path) as JSON.")
def start_command(
    signers: int | None,
    chain_id: int | None,
    period: int | None,
    evm_version: str,
    genesis_file: Path | None,
    keys_dir: Path | None,
    reset: bool,
    timeout: float,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Start a local network (or resume the stopped one in the folder) and wait until it seals."""
    genesis, keys = _genesis_and_keys(genesis_file, keys_dir)
    state = start_network(
        data_dir,
        signers=signers,
        chain_id=chain_id,
        period=period,
        evm_version=evm_version,
        reset=reset,
        timeout=timeout,
        log=_err,
        genesis=genesis,
        keys=keys,
    )
    if as_json:
        click.echo(json.dumps({**state.to_json(), "stateFile": str(state.state_file), "rpcUrl": state.rpc_url},
                              indent=2))
        return
    if state.from_genesis:
        genesis_signers = {s.lower() for s in state.signers}
        click.echo(
            f"local Clique network running from the given genesis: {len(state.nodes)} node(s), "
            f"{len(state.signers)} genesis signer(s), chain id {state.chain_id}, period {state.period} s, "
            f"geth {state.geth_version}"
        )
        for node in state.nodes:
            role = "signer" if node.signer.lower() in genesis_signers else "follows until voted in:"
            click.echo(f"  {node.name}  {node.rpc_url}  pid {node.pid}  {role} {node.signer}")
    else:
        click.echo(
            f"local Clique network running: {len(state.nodes)} signer(s), chain id {state.chain_id}, "
            f"period {state.period} s, geth {state.geth_version}"
        )
        for node in state.nodes:
            click.echo(f"  {node.name}  {node.rpc_url}  pid {node.pid}  signer {node.signer}")
    click.echo(f"rpc url:      {state.rpc_url}")
    if state.dev_accounts:
        click.echo(f"dev accounts: {', '.join(state.dev_accounts)}")
        click.echo(f"dev keys:     {state.dev_keys_file}  (development keys: never use them elsewhere)")
    click.echo(f"state file:   {state.state_file}")
    click.echo("stop it with: consortium-evm node stop" + _dir_suffix(data_dir))


@node_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@_data_dir_option
def status_command(as_json: bool, data_dir: Path | None) -> None:
    """Each node's RPC URL, PID, whether it runs, block number, peers and the signers it knows."""
    status = network_status(data_dir)
    if status is None:
        if as_json:
            click.echo(json.dumps({"dataDir": str(_shown_dir(data_dir)), "running": False, "nodes": []}, indent=2))
        else:
            click.echo(f"no local network in {_shown_dir(data_dir)} (start one: consortium-evm node start)")
        return
    if as_json:
        click.echo(json.dumps(status.to_json(), indent=2))
        return
    _print_status(status)


def _print_status(status: NetworkStatus) -> None:
    state = status.state
    alive = sum(n.alive for n in status.nodes)
    overall = "running" if status.running else ("stopped" if alive == 0 else f"PARTLY running ({alive}/{len(status.nodes)})")
    click.echo(
        f"local Clique network in {state.root_dir}: {overall}; chain id {state.chain_id}, "
        f"period {state.period} s, "
        + (f"{len(state.nodes)} node(s) from a given genesis" if state.from_genesis else f"{len(state.nodes)} signer(s)")
    )
    for node in status.nodes:
        parts = [f"  {node.name}", node.rpc_url, f"pid {node.pid if node.pid is not None else '-'}"]
        parts.append("alive" if node.alive else "not running")
        if node.block_number is not None:
            parts.append(f"block {node.block_number}")
        if node.peer_count is not None:
            parts.append(f"peers {node.peer_count}")
        click.echo("  ".join(parts))
        if node.signers is not None:
            click.echo(f"      signers: {', '.join(node.signers)}")
        if node.error:
            click.echo(f"      error: {node.error}")
    click.echo(f"state file: {state.state_file}")


@node_group.command("stop")
@click.option("--timeout", type=click.FloatRange(1), default=15.0, show_default=True, help="Seconds before SIGKILL.")
@_data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print each recorded node and what became of it as JSON.")
def stop_command(timeout: float, data_dir: Path | None, as_json: bool) -> None:
    """Stop the network's geth processes (exactly the recorded PIDs); harmless when none runs."""
    results = stop_network(data_dir, timeout=timeout, log=_err)
    ended = [r for r in results if r.outcome in ("terminated", "killed")]
    if as_json:
        click.echo(json.dumps({
            "dataDir": str(_shown_dir(data_dir)),
            "stopped": len(ended),
            "nodes": [{"name": r.name, "pid": r.pid, "outcome": r.outcome} for r in results],
        }, indent=2))
        return
    if not ended:
        click.echo(f"no local network running in {_shown_dir(data_dir)}")
        return
    click.echo(f"stopped {len(ended)} geth process(es): {', '.join(f'{r.name} (pid {r.pid})' for r in ended)}")


def _genesis_and_keys(genesis_file: Path | None, keys_dir: Path | None) -> tuple[dict[str, Any] | None, list[str] | None]:
    if genesis_file is None and keys_dir is None:
        return None, None
    if genesis_file is None or keys_dir is None:
        raise ConfigError("--genesis and --keys go together: the genesis signers need their node keys")
    from consortium_evm.genesis.build import read_genesis

    genesis = dict(read_genesis(genesis_file))
    key_files = sorted(keys_dir.glob("node*/nodekey"), key=lambda p: (len(p.parent.name), p.parent.name))
    if not key_files:
        raise ConfigError(f"no node*/nodekey files in {keys_dir} (make them with `consortium-evm genesis keys`)")
    return genesis, [f.read_text().strip() for f in key_files]


def _shown_dir(data_dir: Path | None) -> Path:
    return (data_dir if data_dir is not None else default_data_dir()).expanduser().resolve()


def _dir_suffix(data_dir: Path | None) -> str:
    return f" --data-dir {data_dir}" if data_dir is not None else ""
