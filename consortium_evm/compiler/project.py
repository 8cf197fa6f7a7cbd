"""Where things live: the project root, its contracts, and where artifacts are written."""

from __future__ import annotations

import os
from pathlib import Path

from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION, check_evm_version
from consortium_evm.errors import CompilerError

CONTRACTS_DIR = "contracts"
PACKAGE_NAME = "consortium_evm"


def find_project_root(start: Path | None = None) -> Path:
    """Walk up from ``start`` (default: the current directory) to a directory holding both
    ``contracts/`` and ``pyproject.toml``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONTRACTS_DIR).is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    raise CompilerError(
        f"no project root found above {here}: expected a directory with both {CONTRACTS_DIR}/ and "
        "pyproject.toml (run from inside the project, or pass the root explicitly)"
    )


def resolve_root(root: Path | str | None) -> Path:
    """``root`` made absolute and checked, or the root found from the current directory."""
    if root is None:
        return find_project_root()
    path = Path(root).resolve()
    if not (path / CONTRACTS_DIR).is_dir():
        raise CompilerError(f"{path} has no {CONTRACTS_DIR}/ directory")
    return path


def shipped_artifacts_dir() -> Path:
    """The ``consortium_evm/artifacts`` directory of the installed package."""
    return Path(__file__).resolve().parent.parent / "artifacts"


def artifacts_dir(root: Path, evm_version: str = DEFAULT_EVM_VERSION) -> Path:
    """Where a build of ``root`` for ``evm_version`` is written.

    The default EVM version of the project that ships this package goes to the package's own
    ``consortium_evm/artifacts/`` (shipped, so a member back-end needs no compiler); every other
    build goes to ``<root>/build/artifacts/<evm_version>/``.
    """
    check_evm_version(evm_version)
    if evm_version == DEFAULT_EVM_VERSION and _ships_this_package(root):
        return shipped_artifacts_dir()
    return root / "build" / "artifacts" / evm_version


def _ships_this_package(root: Path) -> bool:
    package_dir = root / PACKAGE_NAME
    try:
        return package_dir.is_dir() and os.path.samefile(package_dir, shipped_artifacts_dir().parent)
    except OSError:
        return False
