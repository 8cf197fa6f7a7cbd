"""Finding the geth binary that runs our local Clique signers.

geth 1.14 removed Clique sealing, so the local network needs a 1.13.x geth (1.13.15 is the last
release). Resolution order:

1. the ``GETH_BINARY`` environment variable (a path; an error when it does not work),
2. ``<project root>/.tools/bin/geth`` (built by ``bash scripts/install_geth.sh``),
3. ``geth`` on ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from consortium_evm.compiler.settings import EVM_VERSIONS
from consortium_evm.node.errors import GethNotFoundError, GethVersionError, NodeError

GETH_BINARY_ENV = "GETH_BINARY"
GETH_VERSION = "1.13.15"
"""The geth release ``scripts/install_geth.sh`` builds: the last one that seals Clique blocks."""
SUPPORTED_SERIES = "1.13."
"""Any 1.13.x geth is accepted (1.14 and newer cannot be a Clique signer)."""

CLIQUE_EVM_VERSIONS: tuple[str, ...] = EVM_VERSIONS[: EVM_VERSIONS.index("london") + 1]
"""EVM versions (solc's names) geth 1.13 runs with Clique, so what a Clique genesis can target:
homestead up to london."""
DEFAULT_CLIQUE_EVM_VERSION = "london"

TOOLS_GETH = Path(".tools") / "bin" / "geth"
INSTALL_HINT = (
    "run `bash scripts/install_geth.sh` in the project (builds geth "
    f"{GETH_VERSION} into .tools/bin/ with Go) or set {GETH_BINARY_ENV}=/path/to/geth-{GETH_VERSION}"
)

FoundBy = Literal["GETH_BINARY", "project tools", "PATH"]

_VERSION_LINE = re.compile(r"^Version:\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class GethBinary:
    """A usable geth: its path, the version it reports (``1.13.15-stable``) and how it was found."""

    path: Path
    version: str
    found_by: FoundBy

    def describe(self) -> str:
        return f"geth {self.version} at {self.path} (from {self.found_by})"


def project_roots() -> list[Path]:
    """Where ``.tools/`` may live: the project above the current directory, then the project
    this package is installed from (an editable install), without duplicates."""
    roots: list[Path] = []
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "consortium_evm").is_dir():
            roots.append(candidate)
            break
    package_root = Path(__file__).resolve().parents[2]
    if (package_root / "pyproject.toml").is_file() and package_root not in roots:
        roots.append(package_root)
    return roots


def parse_geth_version(output: str) -> str | None:
    """The ``Version:`` value of ``geth version`` output, or None."""
    match = _VERSION_LINE.search(output)
    return match.group(1) if match else None


def geth_version_of(path: Path) -> str:
    """The version ``<path> version`` reports; :class:`NodeError` if it does not run like geth."""
    try:
        proc = subprocess.run(
            [str(path), "version"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise NodeError(f"cannot run `{path} version`: {exc}") from None
    version = parse_geth_version(proc.stdout)
    if proc.returncode != 0 or version is None:
        shown = (proc.stdout + proc.stderr).strip().replace("\n", " | ")[:200] or "no output"
        raise NodeError(f"{path} does not look like geth: `version` exited {proc.returncode} ({shown})")
    return version


def find_geth() -> GethBinary:
    """The geth to run, checked to be a 1.13.x release.

    Raises :class:`GethNotFoundError` when there is none, :class:`GethVersionError` when the one
    found is another series (naming the path and version), :class:`NodeError` when it cannot run.
    """
    explicit = os.environ.get(GETH_BINARY_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            problem = "is not a file" if path.exists() else "does not exist"
            raise GethNotFoundError(f"{GETH_BINARY_ENV}={explicit} {problem}; {INSTALL_HINT}")
        return _checked(path.resolve(), "GETH_BINARY")

    for root in project_roots():
        candidate = root / TOOLS_GETH
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return _checked(candidate, "project tools")

    on_path = shutil.which("geth")
    if on_path is not None:
        return _checked(Path(on_path), "PATH")

    looked = [f"{GETH_BINARY_ENV} is not set"]
    looked += [f"no {root / TOOLS_GETH}" for root in project_roots()]
    looked.append("no `geth` on PATH")
    raise GethNotFoundError(f"geth {GETH_VERSION} not found ({'; '.join(looked)}): {INSTALL_HINT}")


def _checked(path: Path, found_by: FoundBy) -> GethBinary:
    version = geth_version_of(path)
    if not version.startswith(SUPPORTED_SERIES):
        raise GethVersionError(
            f"{path} (from {found_by}) is geth {version}, but the local Clique network needs geth "
            f"{SUPPORTED_SERIES}x ({GETH_VERSION}; 1.14 removed Clique sealing): {INSTALL_HINT}"
        )
    return GethBinary(path=path, version=version, found_by=found_by)
