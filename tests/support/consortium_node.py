"""Test support: the consortium deployed to a real node over HTTP, and the files a client connects
with (``networks.yaml`` with an environment key per account, ``deployments/<network>.json``)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from consortium_evm.deploy.suite import deploy_suite
from consortium_evm.domain.spec import AccountSpec, ConsortiumSpec, GovernanceSettings, MemberSpec, NodeSpec, Role

FOUNDERS = (("Acme Bank", 40), ("Globex Logistics", 35), ("Initech Insurance", 25))


@dataclass
class Deployed:
    """A consortium on a real node: addresses, the deployer and each founder's admin key."""

    url: str
    chain_id: int
    consensus: str
    consortium: str
    ingress: str
    block: int
    deployer: LocalAccount
    admins: list[LocalAccount]
    """The founders' admin accounts (admin + transact), member ids 1, 2, 3."""
    manifest: Path
    keys: dict[str, LocalAccount] = field(default_factory=dict)

    def files(
        self, workdir: Path, name: str, *, url: str | None = None, timeout: float = 30, retries: int = 4,
        gas_price: str = "auto",
    ) -> tuple[Path, Path, dict[str, str]]:
        """A networks file with network ``name`` (at ``url``, default the node's), this deployment's
        manifest under ``deployments/<name>.json``, and the environment holding the accounts' keys
        (accounts ``admin1``..``admin3`` and ``deployer``). Returns (networks file, deployments dir,
        environ)."""
        deployments = workdir / "deployments"
        deployments.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.manifest, deployments / f"{name}.json")
        accounts = {"deployer": self.deployer, **{f"admin{i + 1}": a for i, a in enumerate(self.admins)}}
        environ = {f"IT_KEY_{label.upper()}": account.key.hex() for label, account in accounts.items()}
        lines = [
            "networks:",
            f"  {name}:",
            f"    url: {url or self.url}",
            f"    chain_id: {self.chain_id}",
            f"    consensus: {self.consensus}",
            f"    gas_price: {gas_price}",
            f"    timeout: {timeout}",
            f"    retries: {retries}",
            "    accounts:",
            *(f"      {label}: {{private_key_env: IT_KEY_{label.upper()}}}" for label in accounts),
        ]
        networks = workdir / f"networks-{name}.yaml"
        networks.write_text("\n".join(lines) + "\n")
        return networks, deployments, environ


def deploy_consortium(
    url: str, chain_id: int, consensus: str, keys: list[LocalAccount], workdir: Path, *, voting_period: int = 3600,
    poa: bool = False,
) -> Deployed:
    """Deploy the suite with ``keys[0]`` and three founders whose admin accounts are ``keys[1:4]``."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    if poa:
        from web3.middleware import ExtraDataToPOAMiddleware

        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    members = tuple(
        MemberSpec(
            name,
            weight,
            accounts=(AccountSpec(keys[i + 1].address, Role.ADMIN | Role.TRANSACT),),
            nodes=(NodeSpec(f"{i + 1:02x}" * 64, f"10.0.0.{i + 1}"),),
        )
        for i, (name, weight) in enumerate(FOUNDERS)
    )
    spec = ConsortiumSpec(members=members, settings=GovernanceSettings(voting_period=voting_period))
    manifest = workdir / "deployed.json"
    deployment = deploy_suite(w3, keys[0], spec, network="it", manifest_path=manifest, poll_interval=0.05)
    block = int(json.loads(manifest.read_text())["contracts"]["Consortium"].get("blockNumber", 0))
    return Deployed(
        url=url, chain_id=chain_id, consensus=consensus, consortium=deployment.consortium,
        ingress=deployment.ingress, block=block, deployer=keys[0], admins=list(keys[1:4]), manifest=manifest,
    )
