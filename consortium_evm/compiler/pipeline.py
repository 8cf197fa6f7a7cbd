"""``compile_project``: sources -> cache check -> solc -> artifacts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from consortium_evm.compiler.artifacts import (
    ARTIFACT_FORMAT,
    Artifact,
    read_cached_build,
    write_build,
)
from consortium_evm.compiler.project import artifacts_dir, resolve_root
from consortium_evm.compiler.resolve import SolcBinary, find_solc
from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION, SOLC_VERSION, build_settings
from consortium_evm.compiler.sources import SourceSet, collect_sources
from consortium_evm.compiler.standard_json import CompilerMessage, run_standard_json
from consortium_evm.errors import CompilerError


@dataclass(frozen=True)
class CompileResult:
    """What :func:`compile_project` produced (or found up to date)."""

    artifacts: dict[str, Artifact]
    """By contract name: every contract defined under ``contracts/``."""
    compiler_version: str
    """Full version of the solc that built the artifacts, e.g. ``0.8.28+commit.7893614a``."""
    cached: bool
    """True when nothing changed and no compiler was started."""
    output_dir: Path
    evm_version: str
    source_hash: str
    warnings: tuple[CompilerMessage, ...] = ()
    solc: SolcBinary | None = None
    """The compiler run for this call; ``None`` when served from the cache."""


def cache_key(sources: SourceSet, settings: Mapping[str, Any]) -> str:
    """sha256 of every source (name and content), the settings, the pinned solc and the
    artifact format: equal keys mean a rebuild would produce the same artifacts."""
    payload = {
        "artifactFormat": ARTIFACT_FORMAT,
        "settings": settings,
        "solcVersion": SOLC_VERSION,
        "sources": sources.contents,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compile_project(
    root: Path | str | None = None,
    evm_version: str = DEFAULT_EVM_VERSION,
    force: bool = False,
    *,
    output_dir: Path | str | None = None,
    contracts_dir: Path | str | None = None,
) -> CompileResult:
    """Compile every contract under ``<root>/contracts`` with the pinned solc.

    ``root`` defaults to the project found from the current directory. Artifacts go to
    ``output_dir`` if given, else :func:`consortium_evm.compiler.project.artifacts_dir`
    (the package's ``consortium_evm/artifacts`` for the default EVM version, else
    ``<root>/build/artifacts/<evm_version>``). ``contracts_dir`` compiles another folder inside the
    project instead of ``contracts/`` (its imports resolve the same way); give it its own
    ``output_dir``. If the sources, settings and pinned version are
    unchanged since the last build there, the stored artifacts are returned without starting a
    compiler, unless ``force``.

    Raises :class:`CompilerError` (bad sources, duplicate contract names, compile errors),
    :class:`CompilerNotFoundError` and :class:`CompilerVersionError`.
    """
    project = resolve_root(root)
    settings = build_settings(evm_version)
    out = Path(output_dir).resolve() if output_dir is not None else artifacts_dir(project, evm_version)
    sources = collect_sources(project, Path(contracts_dir) if contracts_dir is not None else None)
    key = cache_key(sources, settings)
    source_hash = sources.source_hash()

    if not force:
        hit = read_cached_build(out, key)
        if hit is not None:
            index, artifacts = hit
            return CompileResult(
                artifacts=artifacts,
                compiler_version=str(index.get("compilerVersion", "")),
                cached=True,
                output_dir=out,
                evm_version=evm_version,
                source_hash=source_hash,
                warnings=tuple(CompilerMessage.from_json(w) for w in index.get("warnings", [])),
            )

    solc = find_solc(project)
    output, warnings = run_standard_json(solc, sources, settings)
    artifacts = _extract_artifacts(output, sources, settings, solc.version, source_hash)
    index = {
        "cacheKey": key,
        "compilerVersion": solc.version,
        "evmVersion": evm_version,
        "sourceHash": source_hash,
        "sources": list(sources.contents),
        "warnings": [w.to_json() for w in warnings],
    }
    try:
        write_build(out, artifacts, index)
    except OSError as exc:
        raise CompilerError(f"cannot write artifacts to {out}: {exc}") from None
    return CompileResult(
        artifacts=artifacts,
        compiler_version=solc.version,
        cached=False,
        output_dir=out,
        evm_version=evm_version,
        source_hash=source_hash,
        warnings=tuple(warnings),
        solc=solc,
    )


def _extract_artifacts(
    output: Mapping[str, Any],
    sources: SourceSet,
    settings: Mapping[str, Any],
    compiler_version: str,
    source_hash: str,
) -> dict[str, Artifact]:
    by_name: dict[str, Artifact] = {}
    contracts = output.get("contracts", {})
    for unit in sources.project_units:
        for name, data in sorted(contracts.get(unit, {}).items()):
            if name in by_name:
                raise CompilerError(
                    f"contract name {name} is defined in both {by_name[name].source_name} and {unit}; "
                    "artifacts are keyed by contract name, so rename one of them"
                )
            evm = data.get("evm", {})
            by_name[name] = Artifact(
                contract_name=name,
                source_name=unit,
                abi=list(data.get("abi", [])),
                bytecode=_hex(evm.get("bytecode", {}).get("object", "")),
                deployed_bytecode=_hex(evm.get("deployedBytecode", {}).get("object", "")),
                compiler_version=compiler_version,
                settings=dict(settings),
                source_hash=source_hash,
                devdoc=dict(data.get("devdoc", {})),
                userdoc=dict(data.get("userdoc", {})),
                link_references=dict(evm.get("bytecode", {}).get("linkReferences", {})),
                immutable_references=dict(evm.get("deployedBytecode", {}).get("immutableReferences", {})),
            )
    return dict(sorted(by_name.items()))


def _hex(code: str) -> str:
    return code if code.startswith("0x") else "0x" + code
