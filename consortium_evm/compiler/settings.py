"""The pinned compiler and the one place the standard-JSON ``settings`` are built."""

from __future__ import annotations

import re
from typing import Any

from consortium_evm.errors import CompilerError

SOLC_VERSION = "0.8.28"
"""The only solc version the project compiles with (native solc or the npm ``solc`` package)."""

DEFAULT_EVM_VERSION = "london"
"""Default target: pre-Shanghai, so the bytecode has no PUSH0 and runs on london-era chains."""

OPTIMIZER_RUNS = 1
"""The contracts are deployed once and sized against EIP-170 and a deployment gas budget: optimize
for size. Measured on the suite: runs=200 saves under 300 gas per call and costs 110k deployment gas."""

VIA_IR = True
"""The IR pipeline: the governor's propose needs it (stack depth), and it makes the smallest code."""

EIP170_CODE_SIZE_LIMIT = 24_576
"""Maximum deployed code size in bytes (EIP-170)."""

EVM_VERSIONS: tuple[str, ...] = (
    "homestead",
    "tangerineWhistle",
    "spuriousDragon",
    "byzantium",
    "constantinople",
    "petersburg",
    "istanbul",
    "berlin",
    "london",
    "paris",
    "shanghai",
    "cancun",
    "prague",
)
"""EVM versions solc 0.8.28 accepts."""

OUTPUT_SELECTION: tuple[str, ...] = (
    "abi",
    "devdoc",
    "userdoc",
    "evm.bytecode.object",
    "evm.bytecode.linkReferences",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.immutableReferences",
)

_FULL_VERSION = re.compile(r"(\d+\.\d+\.\d+)(?:-nightly\.\d+\.\d+\.\d+)?(\+commit\.[0-9a-f]+)")


def check_evm_version(evm_version: str) -> str:
    """Return ``evm_version`` if solc 0.8.28 knows it, else raise :class:`CompilerError`."""
    if evm_version not in EVM_VERSIONS:
        raise CompilerError(
            f"unknown EVM version {evm_version!r}; solc {SOLC_VERSION} accepts: {', '.join(EVM_VERSIONS)}"
        )
    return evm_version


def build_settings(evm_version: str = DEFAULT_EVM_VERSION) -> dict[str, Any]:
    """The exact standard-JSON ``settings`` object for a build targeting ``evm_version``.

    ``bytecodeHash: none`` keeps the metadata hash out of the bytecode, so native solc and solcjs
    produce byte-identical output for the same sources.
    """
    return {
        "evmVersion": check_evm_version(evm_version),
        "metadata": {"bytecodeHash": "none"},
        "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
        "viaIR": VIA_IR,
        "outputSelection": {"*": {"*": list(OUTPUT_SELECTION)}},
    }


def parse_version_output(text: str) -> str | None:
    """Extract ``0.8.28+commit.7893614a`` from ``solc --version`` output (``None`` if absent)."""
    match = _FULL_VERSION.search(text)
    return "".join(match.groups()) if match else None
