"""Artifact files: one JSON per contract plus a ``_build.json`` index holding the cache key.

Files are written atomically (temporary file + ``os.replace``) as JSON with sorted keys and an
indent, so they diff cleanly when committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from consortium_evm.compiler.bytecode import code_size
from consortium_evm.compiler.project import artifacts_dir, resolve_root
from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION, check_evm_version
from consortium_evm.errors import ArtifactError, ConsortiumError

INDEX_FILE = "_build.json"
ARTIFACT_FORMAT = 2
"""Bumped whenever the artifact layout changes; part of the cache key."""

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: everything needed to deploy it and talk to it."""

    contract_name: str
    source_name: str
    abi: list[dict[str, Any]] = field(hash=False)
    bytecode: str
    """Creation code, ``0x``-hex (``0x`` for interfaces and abstract contracts)."""
    deployed_bytecode: str
    """Runtime code, ``0x``-hex."""
    compiler_version: str
    settings: dict[str, Any] = field(hash=False)
    source_hash: str
    devdoc: dict[str, Any] = field(default_factory=dict, hash=False)
    userdoc: dict[str, Any] = field(default_factory=dict, hash=False)
    link_references: dict[str, Any] = field(default_factory=dict, hash=False)
    immutable_references: dict[str, Any] = field(default_factory=dict, hash=False)
    """Where the deployed code holds immutables: ``{ast id: [{start, length}, ...]}`` (byte offsets)."""

    @property
    def deployed_size(self) -> int:
        """Deployed (runtime) code size in bytes."""
        return code_size(self.deployed_bytecode)

    @property
    def evm_version(self) -> str:
        """The EVM version the code was compiled for."""
        return str(self.settings.get("evmVersion", ""))

    def to_json(self) -> dict[str, Any]:
        """The on-disk JSON form."""
        return {
            "contractName": self.contract_name,
            "sourceName": self.source_name,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
            "deployedBytecodeSize": self.deployed_size,
            "compiler": {"version": self.compiler_version, "settings": self.settings},
            "sourceHash": self.source_hash,
            "devdoc": self.devdoc,
            "userdoc": self.userdoc,
            "linkReferences": self.link_references,
            "immutableReferences": self.immutable_references,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Artifact:
        """Parse the on-disk JSON form; ``KeyError``/``TypeError`` if malformed."""
        return cls(
            contract_name=str(data["contractName"]),
            source_name=str(data["sourceName"]),
            abi=list(data["abi"]),
            bytecode=str(data["bytecode"]),
            deployed_bytecode=str(data["deployedBytecode"]),
            compiler_version=str(data["compiler"]["version"]),
            settings=dict(data["compiler"]["settings"]),
            source_hash=str(data["sourceHash"]),
            devdoc=dict(data.get("devdoc", {})),
            userdoc=dict(data.get("userdoc", {})),
            link_references=dict(data.get("linkReferences", {})),
            immutable_references=dict(data.get("immutableReferences", {})),
        )


def dumps(data: Any) -> str:
    """Stable JSON text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace`` (skipped if unchanged)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_build(out_dir: Path, artifacts: Mapping[str, Artifact], index: Mapping[str, Any]) -> None:
    """Write every artifact, drop artifacts of contracts that no longer exist, then the index.

    The index goes last: if anything fails before, the next build does not trust the cache.
    """
    texts = {name: dumps(a.to_json()) for name, a in artifacts.items()}
    full_index = dict(index)
    full_index["artifacts"] = {
        name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in sorted(texts.items())
    }
    for name, text in texts.items():
        write_atomic(out_dir / f"{name}.json", text)
    for stale in out_dir.glob("*.json"):
        if not stale.name.startswith("_") and stale.stem not in texts:
            stale.unlink(missing_ok=True)
    write_atomic(out_dir / INDEX_FILE, dumps(full_index))


def read_cached_build(out_dir: Path, cache_key: str) -> tuple[dict[str, Any], dict[str, Artifact]] | None:
    """The index and artifacts of ``out_dir`` if they were built for ``cache_key`` and no
    artifact file was altered since; otherwise ``None``."""
    try:
        index = json.loads((out_dir / INDEX_FILE).read_text(encoding="utf-8"))
        if index.get("cacheKey") != cache_key:
            return None
        artifacts: dict[str, Artifact] = {}
        for name, digest in index["artifacts"].items():
            raw = (out_dir / f"{name}.json").read_bytes()
            if hashlib.sha256(raw).hexdigest() != digest:
                return None
            artifacts[name] = Artifact.from_json(json.loads(raw))
        return index, artifacts
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def load_artifact(
    name: str, evm_version: str = DEFAULT_EVM_VERSION, *, root: Path | str | None = None
) -> Artifact:
    """Load the compiled artifact of contract ``name``.

    Without ``root``, the default EVM version is read from the artifacts shipped inside the
    installed package (no compiler or project checkout needed); other EVM versions are read from
    ``<project root>/build/artifacts/<evm_version>/``. With ``root``, the artifacts directory of
    that project is used (see :func:`consortium_evm.compiler.project.artifacts_dir`).
    """
    if not _IDENTIFIER.match(name):
        raise ArtifactError(f"{name!r} is not a contract name")
    where = f"the artifacts for evm {evm_version}"
    try:
        check_evm_version(evm_version)
        if root is None and evm_version == DEFAULT_EVM_VERSION:
            folder = resources.files("consortium_evm").joinpath("artifacts")
            where = "the consortium_evm package (consortium_evm/artifacts)"
            text = folder.joinpath(f"{name}.json").read_text(encoding="utf-8")
        else:
            directory = artifacts_dir(resolve_root(root), evm_version)
            where = str(directory)
            text = (directory / f"{name}.json").read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        raise ArtifactError(
            f"no artifact for contract {name} (evm {evm_version}) in {where}; "
            f"available: {', '.join(available_artifacts(evm_version, root=root)) or 'none'}. "
            f"Run `consortium-evm compile --evm-version {evm_version}` in the project"
        ) from None
    except ConsortiumError as exc:
        raise ArtifactError(f"cannot locate artifacts for {name} (evm {evm_version}): {exc}") from None
    except OSError as exc:
        raise ArtifactError(f"cannot read the artifact of {name}: {exc}") from None
    try:
        return Artifact.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArtifactError(f"the artifact of {name} in {where} is malformed ({exc!r}); recompile") from None


def available_artifacts(evm_version: str = DEFAULT_EVM_VERSION, *, root: Path | str | None = None) -> list[str]:
    """Names of the contracts with an artifact, sorted (empty if the directory is missing)."""
    try:
        if root is None and evm_version == DEFAULT_EVM_VERSION:
            entries = [e.name for e in resources.files("consortium_evm").joinpath("artifacts").iterdir()]
        else:
            entries = [p.name for p in artifacts_dir(resolve_root(root), evm_version).iterdir()]
    except (OSError, ConsortiumError):
        return []
    return sorted(e[:-5] for e in entries if e.endswith(".json") and not e.startswith("_"))
