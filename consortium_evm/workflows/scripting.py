"""Running a user's script against a connected network, as Brownie users expect.

A script is a Python file with a ``main(ctx)`` function; ``consortium-evm run SCRIPT --network NAME``
connects, builds a :class:`ScriptContext` and calls it. Errors the script raises on purpose should be
:class:`~consortium_evm.errors.ConsortiumError` s: the CLI prints them as one line.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from consortium_evm.chain.connect import Connection, connect
from consortium_evm.client import ConsortiumClient
from consortium_evm.config.networks import Network
from consortium_evm.deploy.manifest import Manifest, manifest_path, read_manifest
from consortium_evm.deploy.suite import Deployment, Step, contract_at
from consortium_evm.errors import ConfigError, DeploymentError
from consortium_evm.tx.signer import Sender
from consortium_evm.workflows.deployment import deploy_network, deployer_account


@dataclass
class ScriptContext:
    """What a script gets: the connection, named accounts, the deployment, the contracts and a
    client of the deployed consortium (``ctx.client("acme")``)."""

    connection: Connection
    args: tuple[str, ...] = ()
    deployments_dir: Path = Path("deployments")
    echo: Callable[[str], None] = print
    _deployment: Manifest | None = field(default=None, repr=False)

    @property
    def w3(self) -> Web3:
        """The connected Web3."""
        return self.connection.w3

    @property
    def network(self) -> Network:
        """The network's configuration."""
        return self.connection.network

    def account(self, name: str | int = "deployer") -> Sender:
        """A named account of the network (on ``tester``: an unlocked account by index)."""
        return deployer_account(self.connection, name)

    @property
    def manifest_path(self) -> Path:
        """Where this network's deployment manifest is."""
        return manifest_path(self.deployments_dir, self.network.name)

    def manifest(self) -> Manifest:
        """This network's deployment manifest (``deployments/<network>.json``), checked."""
        if self._deployment is None:
            self._deployment = read_manifest(self.manifest_path, self.network.name)
        return self._deployment

    def contract(self, name: str) -> Contract:
        """A deployed contract of this network's manifest, by name (Consortium, PermissionIngress)."""
        contracts = self.manifest().contracts
        if name not in contracts:
            raise DeploymentError(f"{name} is not in {self.manifest_path}; it has {', '.join(contracts)}")
        return contract_at(self.w3, name, contracts[name].address, self.network.evm_version)

    def client(self, account: str | int | None = None) -> ConsortiumClient:
        """A :class:`~consortium_evm.client.ConsortiumClient` for this network's deployment, signing
        with the named ``account`` (read-only without one)."""
        return ConsortiumClient.for_deployment(self.connection, self.manifest(), account=account)

    def deploy(self, consortium_file: str | Path, account: str | int = "deployer", *, fresh: bool = False) -> Deployment:
        """Deploy the suite from a consortium file, resumably, exactly as ``consortium-evm deploy``
        (the same service; ``fresh``: as ``deploy --fresh``, the network's journal and manifest kept
        aside first)."""

        def progress(step: Step) -> None:
            state = "already done" if step.resumed else f"gas {step.gas_used:,}"
            self.echo(f"  {step.name:<32} {state}  block {step.block_number}")

        self._deployment = None
        deployment = deploy_network(
            self.connection, consortium_file, account=account, out_dir=self.deployments_dir, fresh=fresh,
            progress=progress, kept_aside=lambda old, kept: self.echo(f"Kept {old} aside as {kept}"),
        )
        self._deployment = deployment.to_manifest()
        return deployment


def run_script(
    path: str | Path,
    network: str,
    *,
    networks_file: str | Path | None = None,
    args: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> Any:
    """Load ``path`` and call its ``main(ctx)`` with a context connected to ``network``."""
    script = Path(path)
    if not script.is_file():
        raise ConfigError(f"no script at {script}")
    module_spec = importlib.util.spec_from_file_location(f"consortium_script_{script.stem}", script)
    if module_spec is None or module_spec.loader is None:
        raise ConfigError(f"{script} is not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(script.parent.resolve()))
    try:
        module_spec.loader.exec_module(module)
        entry = getattr(module, "main", None)
        if not callable(entry):
            raise ConfigError(f"{script} has no main(ctx) function")
        ctx = ScriptContext(connect(network, networks_file=networks_file), tuple(args), echo=echo)
        return entry(ctx)
    finally:
        sys.path.remove(str(script.parent.resolve()))
