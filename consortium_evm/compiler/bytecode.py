"""Small EVM bytecode helpers."""

from __future__ import annotations

import re

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
    code = code_bytes(code_hex)
    i = 0
    while i < len(code):
        op = code[i]
        if op == PUSH0:
            return True
        i += 1 + (op - PUSH1 + 1 if PUSH1 <= op <= PUSH32 else 0)
    return False
