"""The signatures of our contracts' functions, by 4-byte selector, for signers that check calldata.

Clef validates a transaction's data before its rules or operator see it: without a known method
signature ("the ABI signature could not be found") that is a warning, and Clef (unless started
with ``--advanced``) refuses a request with warnings. ``account_signTransaction`` takes the method
signature as its second parameter; Clef then checks the data against it and shows the decoded call
to its rules and operator. The signatures come from the shipped artifacts (every contract of the
suite, the stand-alone rules, the example contracts).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from eth_utils.abi import abi_to_signature, function_abi_to_4byte_selector

from consortium_evm.compiler import available_artifacts, load_artifact


@lru_cache(maxsize=1)
def known_signatures() -> dict[bytes, str]:
    """Every function of the shipped artifacts: selector → ``name(type,...)``."""
    table: dict[bytes, str] = {}
    for name in available_artifacts():
        for entry in load_artifact(name).abi:
            if entry.get("type") == "function":
                function = cast(Any, entry)
                table.setdefault(bytes(function_abi_to_4byte_selector(function)), abi_to_signature(function))
    return table


def method_signature(data: bytes) -> str | None:
    """The signature of the function ``data`` calls, when it is one of our contracts'."""
    return known_signatures().get(bytes(data[:4])) if len(data) >= 4 else None
