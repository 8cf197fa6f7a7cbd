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
    sender: str | bytes, target: str | bytes | None, value: int = 0, gas_price: int = 0, gas_limit: int = 0,
    payload: bytes = b"",
) -> bytes:
    """The calldata of ``transactionAllowed`` (``target`` None or zero: a contract creation);
    addresses as 0x-hex or their 20 bytes.

    Its ABI encoding is fixed (five words, the payload's offset, its length, the payload padded to
    whole words), written out here because the gateway asks it for every transaction and eth_abi's
    general encoder cost ten times as much; the unit tests check it against eth_abi."""
    words = (
        _address_word(sender), _address_word(target) if target else bytes(32), _uint_word(value),
        _uint_word(gas_price), _uint_word(gas_limit), _PAYLOAD_OFFSET, _uint_word(len(payload)),
    )
    return b"".join((TRANSACTION_SELECTOR, *words, bytes(payload), bytes(-len(payload) % 32)))


_PAYLOAD_OFFSET = (6 * 32).to_bytes(32, "big")


def _address_word(address: str | bytes) -> bytes:
    if isinstance(address, str):
        if len(address) != 42 or not address.startswith(("0x", "0X")):
            raise ValueError(f"{address!r} is not a 0x-prefixed 20-byte address")
        address = bytes.fromhex(address[2:])
    if len(address) != 20:
        raise ValueError(f"an address is 20 bytes, got {len(address)}")
    return bytes(12) + address


def _uint_word(value: int) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**256:
        raise ValueError(f"{value!r} is not a uint256")
    return value.to_bytes(32, "big")


def connection_question(enode_id: str, host: str, port: int) -> bytes:
    """The calldata of ``connectionAllowed`` (the id as the clients send it: 128 hex digits)."""
    return CONNECTION_SELECTOR + encode(["string", "string", "uint16"], [enode_id.lower(), host, port])


def is_allowed(answer: bytes) -> bool:
    """Whether an answer means allowed: exactly 32 bytes holding 1."""
    return bytes(answer) == TRUE_WORD
