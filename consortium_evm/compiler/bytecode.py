"""Small EVM bytecode helpers."""

from __future__ import annotations

import re

BASEFEE = 0x48
"""The opcode london introduced (EIP-3198): code that runs on berlin-level chains (GoQuorum) has none."""
PUSH0 = 0x5F
PUSH1 = 0x60
PUSH32 = 0x7F

# Unlinked library placeholders (``__$<34 hex>$__``) stand in for a 20-byte address.
_PLACEHOLDER = re.compile(r"__\$[0-9a-fA-F]{34}\$__")


def code_bytes(code_hex: str) -> bytes:
    """Decode ``0x``-prefixed (or bare) hex bytecode; library placeholders become zero bytes."""
    text = code_hex[2:] if code_hex[:2] in ("0x", "0X") else code_hex
    text = _PLACEHOLDER.sub("0" * 40, text)
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"not hex bytecode: {code_hex[:40]!r}...") from None


def code_size(code_hex: str) -> int:
    """Size in bytes of hex bytecode."""
    return len(code_bytes(code_hex))


def contains_push0(code_hex: str) -> bool:
    """Whether the bytecode executes a PUSH0 (0x5f) opcode.

    Walks the code opcode by opcode, skipping the 1..32 immediate bytes of PUSH1..PUSH32, so a
    0x5f byte inside push data (or in a truncated trailing push) is not mistaken for PUSH0.
    Like any linear disassembler, it walks trailing data (the metadata CBOR) as if it were code.
    """
    return contains_opcode(code_hex, PUSH0)


def contains_opcode(code_hex: str, opcode: int) -> bool:
    """Whether the bytecode executes ``opcode`` (e.g. BASEFEE, 0x48, which london introduced).

    Walks the code as :func:`contains_push0` does (push data skipped). Bytes that solc appends after
    the code (constant data, the metadata) are walked too, so a ``True`` may come from data: read
    the code at that point before concluding; ``False`` is certain.
    """
    code = code_bytes(code_hex)
    i = 0
    while i < len(code):
        op = code[i]
        if op == opcode:
            return True
        i += 1 + (op - PUSH1 + 1 if PUSH1 <= op <= PUSH32 else 0)
    return False
