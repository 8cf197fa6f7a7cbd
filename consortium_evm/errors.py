"""One small error hierarchy: every failure a user can meet becomes one of these.

Each message is written for a person to act on; the CLI prints ``str(error)`` and exits non-zero.
"""

from __future__ import annotations

from typing import Any


class ConsortiumError(Exception):
    """Base of every error raised on purpose by consortium-evm."""


class ConfigError(ConsortiumError):
    """A configuration file or setting is missing, malformed or inconsistent."""


class CompilerError(ConsortiumError):
    """Solidity could not be compiled, or no usable compiler was found."""


class CompilerNotFoundError(CompilerError):
    """No solc binary could be resolved."""


class CompilerVersionError(CompilerError):
    """A solc was found but its version is not the pinned one."""


class ArtifactError(ConsortiumError):
    """A compiled artifact is missing or does not match its sources."""


class RPCError(ConsortiumError):
    """The node could not be reached or answered with a fault."""


class ChainMismatchError(ConsortiumError):
    """The node's chain id is not the one the configuration expects."""


class TransactionError(ConsortiumError):
    """A transaction failed (reverted, ran out of gas, or was never mined)."""


class ContractRevertError(TransactionError):
    """A call or transaction reverted with a custom error decoded from the contract's ABI.

    ``name`` is the Solidity error's name and ``args`` its decoded arguments, by parameter name.
    """

    def __init__(self, name: str, args: dict[str, Any], message: str | None = None) -> None:
        self.name = name
        self.args_by_name = args
        shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
        super().__init__(message or f"reverted with {name}({shown})")


class DeploymentError(ConsortiumError):
    """A deployment step failed or a deployment manifest is inconsistent."""
