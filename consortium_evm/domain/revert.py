"""Revert data -> a named Python exception.

Contracts revert with custom errors (a 4-byte selector and ABI-encoded arguments). Given the ABIs
of the contracts involved, :func:`decode_revert` turns the raw data into a
:class:`~consortium_evm.errors.ContractRevertError` with the error's name and arguments;
:func:`revert_data` digs the raw data out of whatever exception web3 or eth-tester raised.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from consortium_evm.contract_errors import NamedRevert, revert_class
from consortium_evm.domain.proposals import shown_argument
from consortium_evm.errors import ContractRevertError

_PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division by zero",
    0x21: "invalid enum value",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
}


def _abi_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param.get("components", []))
        return f"({inner}){kind[5:]}"
    return kind


ErrorTable = dict[bytes, dict[str, Any]]
"""Custom errors by selector (:func:`error_table`), for decoding reverts."""


def error_table(abis: Iterable[list[dict[str, Any]]]) -> dict[bytes, dict[str, Any]]:
    """Custom errors of the given ABIs, by 4-byte selector."""
    table: dict[bytes, dict[str, Any]] = {}
    for abi in abis:
        for entry in abi:
            if entry.get("type") == "error":
                signature = f"{entry['name']}({','.join(_abi_type(p) for p in entry.get('inputs', []))})"
                table[bytes(keccak(text=signature))[:4]] = entry
    return table


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def decode_revert(data: bytes, errors: dict[bytes, dict[str, Any]]) -> ContractRevertError:
    """Decode revert ``data`` using ``errors`` (from :func:`error_table`)."""
    if len(data) < 4:
        return ContractRevertError("Revert", {}, "reverted without a reason")
    selector, body = data[:4], data[4:]
    if selector == bytes.fromhex("08c379a0"):
        (reason,) = abi_decode(["string"], body)
        return ContractRevertError("Error", {"reason": reason}, f"reverted: {reason}")
    if selector == bytes.fromhex("4e487b71"):
        (code,) = abi_decode(["uint256"], body)
        what = _PANIC_CODES.get(int(code), f"panic 0x{int(code):02x}")
        return ContractRevertError("Panic", {"code": int(code)}, f"reverted with a panic: {what}")
    entry = errors.get(selector)
    if entry is None:
        return ContractRevertError("UnknownError", {"data": "0x" + data.hex()}, f"reverted with unknown error 0x{data.hex()}")
    inputs = entry.get("inputs", [])
    values = abi_decode([_abi_type(p) for p in inputs], body)
    args = {(p.get("name") or f"arg{i}"): _plain(v) for i, (p, v) in enumerate(zip(inputs, values))}
    name = str(entry["name"])
    cls = revert_class(name)
    if issubclass(cls, NamedRevert):
        return cls(name, args, shown=shown_argument)
    return cls(name, args)


_BYTES_LITERAL = re.compile(r"(b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\")")
_HEX = re.compile(r"0x[0-9a-fA-F]*")


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data carried by an exception from web3 or eth-tester, if any."""
    data = getattr(exc, "data", None)
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str) and _HEX.fullmatch(data):
        return bytes.fromhex(data[2:])
    if isinstance(data, dict) and isinstance(data.get("data"), str):
        return bytes.fromhex(data["data"][2:])
    for arg in exc.args:
        if isinstance(arg, (bytes, bytearray)):
            return bytes(arg)
        if isinstance(arg, str):
            if _HEX.fullmatch(arg) and len(arg) >= 10:
                return bytes.fromhex(arg[2:])
            literal = _BYTES_LITERAL.search(arg)
            if literal:
                value = ast.literal_eval(literal.group(1))
                if isinstance(value, bytes):
                    return value
            if "revert" in arg.lower():
                hexes = _HEX.findall(arg)
                if hexes and len(hexes[-1]) >= 10:
                    return bytes.fromhex(hexes[-1][2:])
    cause = exc.__cause__ or exc.__context__
    return revert_data(cause) if cause is not None and cause is not exc else None


def is_revert(exc: BaseException) -> bool:
    """Whether an exception means the EVM reverted (as opposed to a transport fault)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"TransactionFailed", "ContractLogicError", "ContractCustomError", "ContractPanicError"})
