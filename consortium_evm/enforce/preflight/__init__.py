"""Before a network turns its rules on: what they would cut off (``consortium-evm permissioning
preflight``)."""

from consortium_evm.enforce.preflight.check import CutOffAccount, CutOffNode, PreflightReport, preflight

__all__ = ["CutOffAccount", "CutOffNode", "PreflightReport", "preflight"]
