"""The deployment journal: what was sent, and what came of it, written before and after each
transaction so that an interrupted deployment resumes without sending anything twice.

Each step is recorded three times. Before any transaction is sent, every step at once: the signed
transaction, its nonce and its hash (a signed transaction's hash is known before it is sent), status
``signed``. Once the node has it: status ``sent``. After it is mined: the block, the gas used and, for
a contract creation, the contract's address, status ``mined``. The file is rewritten whole, atomically
(a temporary file, fsync, rename), so a process killed at any moment leaves either the old or the
new journal, never half of one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from consortium_evm.errors import DeploymentError
from consortium_evm.util.atomic import write_json_atomic

JOURNAL_FORMAT = 1


@dataclass
class JournalStep:
    """One transaction of a deployment, as far as it got."""

    name: str
    nonce: int
    tx_hash: str
    raw_tx: str
    status: str = "sent"
    """``signed`` (recorded, maybe not yet sent), ``sent`` (the node had it; journals of earlier
    versions also wrote ``sent`` just before sending), or ``mined``."""
    block_number: int | None = None
    gas_used: int | None = None
    address: str | None = None


@dataclass
class Journal:
    """Everything a deployment to one network has done so far."""

    network: str
    chain_id: int
    deployer: str
    inputs: dict[str, str]
    """Hashes of what the deployment is made from (consortium file, artifacts, settings): a rerun
    with different inputs stops instead of mixing two deployments."""
    steps: dict[str, JournalStep] = field(default_factory=dict)
    complete: bool = False
    path: Path | None = field(default=None, compare=False, repr=False)
    genesis_hash: str | None = None
    """The hash of the chain's block 0 when the journal was started: another chain with the same
    chain id (a reset local network, say) has another. ``None``: unknown (a journal written before
    it was recorded), and then nothing is checked."""

    def record(self, step: JournalStep) -> None:
        """Record ``step`` (new or updated) and save."""
        self.steps[step.name] = step
        self.save()

    def save(self) -> None:
        """Write the journal atomically (no-op for an in-memory journal)."""
        if self.path is None:
            return
        data = {
            "format": JOURNAL_FORMAT,
            "network": self.network,
            "chainId": self.chain_id,
            **({"genesisHash": self.genesis_hash} if self.genesis_hash is not None else {}),
            "deployer": self.deployer,
            "inputs": self.inputs,
            "complete": self.complete,
            "steps": [asdict(s) for s in self.steps.values()],
        }
        write_json_atomic(self.path, data)

    @classmethod
    def load(cls, path: Path) -> Journal | None:
        """The journal at ``path``, or None if there is none."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise DeploymentError(f"cannot read the deployment journal {path}: {exc}") from exc
        if data.get("format") != JOURNAL_FORMAT:
            raise DeploymentError(f"{path} was written by another version of consortium-evm (format {data.get('format')})")
        genesis = data.get("genesisHash")
        journal = cls(
            network=str(data["network"]),
            chain_id=int(data["chainId"]),
            deployer=str(data["deployer"]),
            inputs=dict(data.get("inputs", {})),
            complete=bool(data.get("complete", False)),
            path=path,
            genesis_hash=str(genesis) if genesis is not None else None,
        )
        for item in data.get("steps", []):
            step = JournalStep(**item)
            journal.steps[step.name] = step
        return journal

    def check_matches(
        self, chain_id: int, deployer: str, inputs: dict[str, str], genesis_hash: str | None = None
    ) -> None:
        """Stop with a clear message if this journal belongs to another deployment: another chain
        id, another chain with the same id (its block 0's hash, when both are known), another
        deployer, or other inputs (each one that changed is named)."""
        where = f" ({self.path})" if self.path else ""
        if chain_id != self.chain_id:
            raise DeploymentError(
                f"the journal{where} is for chain id {self.chain_id}, but the node reports {chain_id}"
            )
        if genesis_changed(self.genesis_hash, genesis_hash):
            raise DeploymentError(
                f"the journal{where} was written on another chain: same chain id {chain_id}, but its block 0 was "
                f"{self.genesis_hash} and the node's is {genesis_hash} (the network was reset or replaced); "
                f"deploy again with --fresh to keep the old journal and manifest aside and start anew"
            )
        if deployer.lower() != self.deployer.lower():
            raise DeploymentError(f"the journal{where} was started by {self.deployer}, not {deployer}")
        changed = sorted(k for k in set(self.inputs) | set(inputs) if self.inputs.get(k) != inputs.get(k))
        if changed:
            what = "; ".join(describe_change(k, self.inputs.get(k), inputs.get(k)) for k in changed)
            raise DeploymentError(
                f"this deployment{where} was made from different inputs, changed since: {what}. "
                "Deploy under another network name, or deploy again with --fresh to keep the old journal "
                "and manifest aside and start over."
            )


INPUT_NAMES: Mapping[str, str] = {
    "consortium": "the consortium (members, accounts, nodes, settings)",
    "consortiumFile": "the consortium file",
    "artifacts": "the contracts' compiled code",
    "evmVersion": "the EVM version",
}
"""What each input of a deployment is, for messages."""


def describe_change(key: str, before: str | None, after: str | None) -> str:
    """``the EVM version (london -> shanghai)``: one changed input of a deployment, named, with its
    values (hashes shortened)."""

    def shown(value: str | None) -> str:
        if value is None:
            return "none"
        return value[:12] + "…" if len(value) > 16 else value

    name = INPUT_NAMES.get(key, key)
    return f"{name} [{key}] ({shown(before)} -> {shown(after)})"


def genesis_changed(recorded: str | None, current: str | None) -> bool:
    """Whether two block-0 hashes say "another chain"; an unknown one (``None``) says nothing."""
    return recorded is not None and current is not None and recorded.lower() != current.lower()


def set_aside(*paths: Path, now: float | None = None) -> list[tuple[Path, Path]]:
    """Rename each existing file of ``paths`` to ``<name>.old-<UTC time>`` (``-2``, ``-3``, ... when
    that exists) beside it, never deleting anything; returns the (old, new) names of the files moved.
    ``deploy --fresh`` keeps an earlier deployment's journal and manifest this way."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    moved: list[tuple[Path, Path]] = []
    for path in paths:
        if not path.exists():
            continue
        target = path.with_name(f"{path.name}.old-{stamp}")
        counter = 2
        while target.exists():
            target = path.with_name(f"{path.name}.old-{stamp}-{counter}")
            counter += 1
        try:
            os.link(path, target)  # fails rather than replace a file that appeared meanwhile
            os.unlink(path)
        except OSError:
            if target.exists():
                raise
            os.rename(path, target)  # a file system without hard links
        moved.append((path, target))
    return moved
