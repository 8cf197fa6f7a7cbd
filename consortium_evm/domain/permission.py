"""The two permission questions, as the chains' clients ask them, and how their answers are read.

The Enterprise Ethereum Alliance interfaces GoQuorum and Besu call:
``transactionAllowed(address sender, address target, uint256 value, uint256 gasPrice, uint256
gasLimit, bytes payload) returns (bool)`` (target zero for a contract creation) and
``connectionAllowed(string enodeId, string enodeHost, uint16 enodePort) returns (bool)`` (the id as
128 lower-case hex digits). A client asks with a simulated call from the zero address and reads an
answer of exactly 32 bytes holding 1 as "allowed"; anything else (a revert, a longer or shorter
answer, a 2) is "refused" — Besu throws on it, so reading it any other way would let a rules
contract look permissive to us and refuse on the nodes, or the reverse. The client library, the
gateway, preflight and the guard all read answers through :func:`is_allowed`.
"""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.crypto import keccak

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
TRANSACTION_SELECTOR = bytes(keccak(text="transactionAllowed(address,address,uint256,uint256,uint256,bytes)"))[:4]
CONNECTION_SELECTOR = bytes(keccak(text="connectionAllowed(string,string,uint16)"))[:4]
TRUE_WORD = (1).to_bytes(32, "big")


def transaction_question(
    sender: str, target: str | None, value: int = 0, gas_price: int = 0, gas_limit: int = 0, payload: bytes = b""
) -> bytes:
    """The calldata of ``transactionAllowed`` (``target`` None or zero: a contract creation)."""
    return TRANSACTION_SELECTOR + encode(
        ["address", "address", "uint256", "uint256", "uint256", "bytes"],
        [sender, target or ZERO_ADDRESS, value, gas_price, gas_limit, payload],
    )


def connection_question(enode_id: str, host: str, port: int) -> bytes:
    """The calldata of ``connectionAllowed`` (the id as the clients send it: 128 hex digits)."""
    return CONNECTION_SELECTOR + encode(["string", "string", "uint16"], [enode_id.lower(), host, port])


def is_allowed(answer: bytes) -> bool:
    """Whether an answer means allowed: exactly 32 bytes holding 1."""
    return bytes(answer) == TRUE_WORD
