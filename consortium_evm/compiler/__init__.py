"""The compiler pipeline: Solidity sources in ``contracts/`` -> JSON artifacts.

Everything compiles with one pinned solc (:data:`SOLC_VERSION` = 0.8.28), optimizer on (200 runs),
``evmVersion`` london by default (no PUSH0) and ``bytecodeHash: none``, so native solc and the npm
solcjs produce byte-identical artifacts.

Compiler resolution order (see :mod:`consortium_evm.compiler.resolve`):

1. ``SOLC_BINARY`` environment variable (explicit path; an error if the file does not exist);
2. a native solc 0.8.28 installed by py-solc-x (``python -m solcx.install v0.8.28``);
3. the project's npm ``solc`` package (``npm ci``) run by ``node`` through
   ``consortium_evm/solc_shim.js`` and a wrapper generated in ``<root>/build/solc-shim/``.

Sources and imports are resolved in Python (:mod:`~consortium_evm.compiler.sources`) and all passed
to solc as ``content``. Artifacts for london are written into the package
(``consortium_evm/artifacts/``), other EVM versions into ``<root>/build/artifacts/<evm>/``; a
``_build.json`` index holds the cache key so an unchanged project compiles without any compiler.

This package re-exports only what reads artifacts (:mod:`~consortium_evm.compiler.artifacts`, the
settings, bytecode helpers, the project root): importing it does not load the pipeline that starts
a compiler. Compiling is :func:`consortium_evm.compiler.pipeline.compile_project`; finding solc is
:mod:`consortium_evm.compiler.resolve`.
"""

from consortium_evm.compiler.artifacts import Artifact, available_artifacts, load_artifact
from consortium_evm.compiler.bytecode import BASEFEE, code_size, contains_opcode, contains_push0
from consortium_evm.compiler.project import artifacts_dir, find_project_root
from consortium_evm.compiler.settings import (
    DEFAULT_EVM_VERSION,
    EIP170_CODE_SIZE_LIMIT,
    EVM_VERSIONS,
    SOLC_VERSION,
    build_settings,
)

__all__ = [
    "BASEFEE",
    "DEFAULT_EVM_VERSION",
    "EIP170_CODE_SIZE_LIMIT",
    "EVM_VERSIONS",
    "SOLC_VERSION",
    "Artifact",
    "artifacts_dir",
    "available_artifacts",
    "build_settings",
    "code_size",
    "contains_opcode",
    "contains_push0",
    "find_project_root",
    "load_artifact",
]
