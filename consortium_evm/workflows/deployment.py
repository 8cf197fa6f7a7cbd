"""Deploying a consortium file to a configured network: the one deploy service.

``consortium-evm deploy`` and a script's ``ctx.deploy`` both call :func:`deploy_network`, which
decides everything around the deployment itself (:func:`consortium_evm.deploy.suite.deploy_suite`):
the contracts compiled for the network's EVM version when it is not the default, the deploying
account (the embedded chain's first account when none is named), where the journal and the manifest
go (``<out>/<network>.journal.json``, ``<out>/<network>.json``; no journal on the embedded chain,
which lives only as long as the process), ``--fresh`` (the old files kept aside, never deleted), and
the network's fees and confirmations. The funds check is the deployment's own: it knows the exact
gas of every step from its rehearsal. On a GoQuorum network (``client: goquorum``) the suite gets
the permission adapter GoQuorum's permission service reads, and the files its nodes need at start-up
(``permission-config.json``, ``permissioned-nodes.json``) are written to ``<out>/<network>.goquorum/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from consortium_evm.chain.connect import Connection
from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION
from consortium_evm.config.consortium_file import load_consortium
from consortium_evm.deploy.journal import Journal, set_aside
from consortium_evm.deploy.manifest import DEFAULT_DEPLOYMENTS_DIR, manifest_path
from consortium_evm.deploy.suite import Deployment, Progress, deploy_suite
from consortium_evm.domain.goquorum import (
    PERMISSION_CONFIG_FILE,
    PERMISSIONED_NODES_FILE,
    founding_admins,
    needs_adapter,
    permission_config,
    permissioned_nodes,
)
from consortium_evm.domain.spec import ConsortiumSpec
from consortium_evm.genesis.keys import consortium_enodes
from consortium_evm.tx.signer import Sender
from consortium_evm.util.atomic import write_json_atomic


@dataclass(frozen=True)
class DeploymentFiles:
    """Where a network's deployment keeps its files."""

    journal: Path | None
    """None on the embedded chain: nothing to resume there."""
    manifest: Path


def deployment_files(connection: Connection, out_dir: str | Path = DEFAULT_DEPLOYMENTS_DIR) -> DeploymentFiles:
    """The journal and manifest paths of ``connection``'s network under ``out_dir``."""
    name = connection.network.name
    journal = None if connection.network.is_tester else journal_path(out_dir, name)
    return DeploymentFiles(journal, manifest_path(out_dir, name))


def journal_path(out_dir: str | Path, network: str) -> Path:
    """Where network ``network``'s deployment journal is kept under ``out_dir``."""
    return Path(out_dir) / f"{network}.journal.json"


def interrupted_deployment(network: str, out_dir: str | Path = DEFAULT_DEPLOYMENTS_DIR) -> str:
    """What an interrupted deployment of ``network`` leaves: what its journal holds, and that a
    rerun resumes it."""
    if network == "tester":
        return "the embedded chain ended with this process: nothing to resume"
    path = journal_path(out_dir, network)
    journal = Journal.load(path) if path.exists() else None
    if journal is None or not journal.steps:
        return f"nothing was recorded in {path}: run the same `consortium-evm deploy` again to start"
    by_status: dict[str, list[str]] = {"mined": [], "sent": [], "signed": []}
    for step in journal.steps.values():
        by_status.setdefault(step.status, []).append(step.name)
    held = [f"{len(by_status['mined'])} transaction(s) mined"]
    if by_status["sent"]:
        held.append(f"{len(by_status['sent'])} sent and not yet seen mined (a rerun waits for them)")
    if by_status["signed"]:
        held.append(f"{len(by_status['signed'])} signed and not yet sent (a rerun sends exactly those bytes)")
    return (f"the journal {path} holds {', '.join(held)}; run the same `consortium-evm deploy --network {network} ...` "
            "again to resume (nothing is sent twice)")


def deployer_account(connection: Connection, account: str | int = "deployer") -> Sender:
    """The deploying account: the named account of the network; on the embedded chain, its first
    account unless another is named."""
    if connection.network.is_tester and account == "deployer":
        account = 0
    return connection.account(account)


def deploy_network(
    connection: Connection,
    consortium_file: str | Path,
    *,
    account: str | int = "deployer",
    out_dir: str | Path = DEFAULT_DEPLOYMENTS_DIR,
    fresh: bool = False,
    receipt_timeout: float = 120.0,
    progress: Progress | None = None,
    kept_aside: Callable[[Path, Path], None] | None = None,
) -> Deployment:
    """Deploy ``consortium_file`` to ``connection``'s network from ``account``, resumably.

    ``fresh`` keeps the network's journal and manifest aside first (``kept_aside(old, new)`` is told
    of each file moved); ``progress`` is told of each step as it is mined (or found done)."""
    spec, file_hash = load_consortium(consortium_file)
    network = connection.network
    if network.evm_version != DEFAULT_EVM_VERSION:
        from consortium_evm.compiler.pipeline import compile_project

        compile_project(evm_version=network.evm_version)  # the network's EVM; cached after the first time
    deployer = deployer_account(connection, account)
    files = deployment_files(connection, out_dir)
    if fresh:
        for old, kept in set_aside(*(p for p in (files.journal, files.manifest) if p is not None)):
            if kept_aside is not None:
                kept_aside(old, kept)
    goquorum = needs_adapter(network.client)
    deployment = deploy_suite(
        connection.w3,
        deployer,
        spec,
        network=network.name,
        journal_path=files.journal,
        manifest_path=files.manifest,
        inputs={"consortiumFile": file_hash},
        evm_version=network.evm_version,
        fees=connection.fees(),
        confirmations=connection.confirmations,
        receipt_timeout=receipt_timeout,
        progress=progress,
        goquorum=goquorum,
    )
    if goquorum and deployment.goquorum_adapter is not None:
        write_goquorum_files(goquorum_folder(out_dir, network.name), deployment.goquorum_adapter, spec)
    return deployment


def goquorum_folder(out_dir: str | Path, network: str) -> Path:
    """Where a GoQuorum network's deployment writes the files its nodes read at start-up."""
    return Path(out_dir) / f"{network}.goquorum"


def write_goquorum_files(folder: Path, adapter: str, spec: ConsortiumSpec) -> list[Path]:
    """``permission-config.json`` (the adapter as GoQuorum's interface and every manager) and
    ``permissioned-nodes.json`` (the founding members' nodes) in ``folder``, atomically: copy both
    into each node's data directory and restart it with ``--permissioned``."""
    files = {
        folder / PERMISSION_CONFIG_FILE: permission_config(adapter, founding_admins(spec)),
        folder / PERMISSIONED_NODES_FILE: permissioned_nodes(consortium_enodes(spec)),
    }
    for path, data in files.items():
        write_json_atomic(path, data)
    return list(files)
