"""Find the solc to compile with.

Resolution order (the first that applies wins):

1. ``SOLC_BINARY`` environment variable: an explicit path to a solc executable. If it is set but
   the file does not exist, that is an error (no silent fallback).
2. A native solc of the pinned version (:data:`SOLC_VERSION`) installed by py-solc-x
   (``python -m solcx.install v0.8.28``, e.g. in ``~/.solcx``).
3. The project's npm ``solc`` package (``<root>/node_modules/solc``, from ``npm ci``), run with
   ``node`` (must be on ``PATH``) through ``consortium_evm/solc_shim.js`` and a generated wrapper
   ``<root>/build/solc-shim/solc-0.8.28`` (see :mod:`consortium_evm.compiler.shim`).

Whatever is found must report exactly the pinned version on ``--version``, otherwise
:class:`CompilerVersionError`. Nothing found: :class:`CompilerNotFoundError` saying how to get one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from consortium_evm.compiler.settings import SOLC_VERSION, parse_version_output
from consortium_evm.compiler.shim import ensure_shim_wrapper, npm_solc_package
from consortium_evm.errors import CompilerError, CompilerNotFoundError, CompilerVersionError

SOLC_BINARY_ENV = "SOLC_BINARY"

FoundBy = Literal["SOLC_BINARY", "py-solc-x", "npm"]

_FOUND_BY_TEXT: dict[str, str] = {
    "SOLC_BINARY": "from the SOLC_BINARY environment variable",
    "py-solc-x": "native solc installed by py-solc-x",
    "npm": "npm solc package (solcjs) via solc_shim.js",
}


@dataclass(frozen=True)
class SolcBinary:
    """A usable compiler: the executable to run, its full version and how it was found."""

    path: Path
    version: str
    """Full version, e.g. ``0.8.28+commit.7893614a``."""
    found_by: FoundBy

    def describe(self) -> str:
        """One line for people: ``solc 0.8.28+commit.7893614a at /path (how it was found)``."""
        return f"solc {self.version} at {self.path} ({_FOUND_BY_TEXT[self.found_by]})"


def find_solc(root: Path | None = None) -> SolcBinary:
    """Resolve the compiler in the documented order (see the module docstring).

    ``root`` is the project root used for step 3 (``node_modules/solc`` and the wrapper cache);
    without it, step 3 is tried only if a project root is found from the current directory.
    """
    explicit = os.environ.get(SOLC_BINARY_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            problem = "is not a file" if path.exists() else "does not exist"
            raise CompilerNotFoundError(
                f"{SOLC_BINARY_ENV}={explicit} {problem}; point it at a solc {SOLC_VERSION} "
                f"executable or unset it"
            )
        return _checked(path, "SOLC_BINARY")

    native = _solcx_binary()
    if native is not None:
        return _checked(native, "py-solc-x")

    if root is None:
        root = _project_root_or_none()
    node = shutil.which("node")
    package = npm_solc_package(root) if root is not None else None
    if root is not None and package is not None and node is not None:
        return _checked(ensure_shim_wrapper(root, package, node), "npm")

    reasons = [f"{SOLC_BINARY_ENV} is not set", f"py-solc-x has no solc {SOLC_VERSION} installed"]
    if root is None:
        reasons.append("no project root (with node_modules/solc) was found")
    elif package is None:
        reasons.append(f"{root / 'node_modules' / 'solc'} does not exist")
    else:
        reasons.append("`node` is not on PATH (needed to run the npm solc package)")
    raise CompilerNotFoundError(
        f"no solc {SOLC_VERSION} found ({'; '.join(reasons)}). Get one of: "
        f"run `npm ci` in the project (installs the pinned npm solc; needs node), "
        f"or set {SOLC_BINARY_ENV}=/path/to/solc-{SOLC_VERSION}, "
        f"or run `python -m solcx.install v{SOLC_VERSION}` when online"
    )


def solc_version_of(path: Path) -> str:
    """Full version reported by ``<path> --version``; :class:`CompilerError` if it cannot run."""
    try:
        proc = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise CompilerError(f"cannot run {path} --version: {exc}") from None
    version = parse_version_output(proc.stdout)
    if proc.returncode != 0 or version is None:
        output = (proc.stdout + proc.stderr).strip().replace("\n", " | ")[:200] or "no output"
        raise CompilerError(
            f"{path} does not look like solc: `--version` exited {proc.returncode} ({output})"
        )
    return version


def _checked(path: Path, found_by: FoundBy) -> SolcBinary:
    version = solc_version_of(path)
    if version.split("+")[0] != SOLC_VERSION:
        raise CompilerVersionError(
            f"{path} ({_FOUND_BY_TEXT[found_by]}) is solc {version}, but this project pins "
            f"solc {SOLC_VERSION}"
        )
    return SolcBinary(path=path, version=version, found_by=found_by)


def _solcx_binary() -> Path | None:
    try:
        from packaging.version import Version
        from solcx.install import get_executable, get_installed_solc_versions

        if Version(SOLC_VERSION) not in get_installed_solc_versions():
            return None
        return Path(get_executable(SOLC_VERSION))
    except Exception:  # py-solc-x raises several unrelated types for "not there"
        return None


def _project_root_or_none() -> Path | None:
    from consortium_evm.compiler.project import find_project_root

    try:
        return find_project_root()
    except CompilerError:
        return None
