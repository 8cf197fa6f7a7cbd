"""The genesis block's ``extraData`` for each consensus: where the initial validators are written.

- **Clique** (EIP-225; geth): not RLP, ``32-byte vanity || signers (20 bytes each) || 65 zero
  bytes``. Implemented in :mod:`consortium_evm.genesis.clique` (the local network uses it) and
  re-exported here.
- **IBFT 2.0** (Besu): ``RLP([vanity (32 bytes), [validators], vote, round, seals])`` where the
  genesis has no vote (the empty byte string, ``0x80``), round 0 as *four bytes*
  (``0x8400000000``) and no seals (the empty list, ``0xc0``).
- **QBFT** (Besu and GoQuorum): ``RLP([vanity, [validators], vote, round, seals])`` where the genesis
  vote is the *empty list* (``0xc0``), the round is the RLP integer 0 (``0x80``) and there are no
  seals. In contract validator selection the validator list is empty.

- **IBFT 1.0** (GoQuorum's "istanbul"; not written here, read by the guard to name a block's
  proposer): ``32-byte vanity || RLP([validators, proposer seal, committed seals])``.

Validators are written in the order given; the genesis builders pass them sorted ascending, as
Besu's documentation asks (the clients sort them again when they read the header).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import rlp

from consortium_evm.errors import ConfigError
from consortium_evm.genesis.clique import (
    ADDRESS_LENGTH,
    VANITY_LENGTH,
    address_bytes,
    clique_extra_data,
    clique_signers_from_extra_data,
)

__all__ = [
    "BftExtraData",
    "IstanbulExtraData",
    "clique_extra_data",
    "clique_signers_from_extra_data",
    "decode_bft_extra_data",
    "decode_istanbul_extra_data",
    "ibft2_extra_data",
    "qbft_extra_data",
]

BftKind = Literal["ibft2", "qbft"]
IBFT2_ROUND_BYTES = 4
"""IBFT 2.0 writes the round as a fixed four-byte big-endian number."""


@dataclass(frozen=True)
class BftExtraData:
    """A decoded IBFT 2.0 or QBFT ``extraData``."""

    kind: BftKind
    vanity: bytes
    validators: tuple[str, ...]
    """Lowercase 0x-addresses, in the order written."""
    vote: bytes | None
    """The encoded vote (recipient and type) of a sealed block; None when there is none."""
    round: int
    seals: tuple[bytes, ...]


def _vanity(vanity: bytes) -> bytes:
    if len(vanity) > VANITY_LENGTH:
        raise ConfigError(f"the vanity is at most {VANITY_LENGTH} bytes, got {len(vanity)}")
    return vanity.ljust(VANITY_LENGTH, b"\x00")


def _validator_list(validators: Sequence[str], *, allow_empty: bool, what: str) -> list[bytes]:
    raw = [address_bytes(v) for v in validators]
    if not raw and not allow_empty:
        raise ConfigError(f"{what} needs at least one validator in its extra data")
    if len(set(raw)) != len(raw):
        raise ConfigError(f"the {what} validator list has duplicates")
    return raw


def ibft2_extra_data(validators: Sequence[str], vanity: bytes = b"") -> str:
    """Besu's IBFT 2.0 genesis ``extraData`` for ``validators`` (0x-hex)."""
    body = [
        _vanity(vanity),
        _validator_list(validators, allow_empty=False, what="an IBFT 2.0 genesis"),
        b"",
        (0).to_bytes(IBFT2_ROUND_BYTES, "big"),
        [],
    ]
    return "0x" + bytes(rlp.encode(body)).hex()


def qbft_extra_data(validators: Sequence[str], vanity: bytes = b"") -> str:
    """The QBFT genesis ``extraData`` (Besu and GoQuorum) for ``validators`` (0x-hex); an empty list
    is the contract validator selection mode's genesis."""
    body: list[Any] = [
        _vanity(vanity),
        _validator_list(validators, allow_empty=True, what="a QBFT genesis"),
        [],
        0,
        [],
    ]
    return "0x" + bytes(rlp.encode(body)).hex()


def decode_bft_extra_data(extra_data: str, kind: BftKind) -> BftExtraData:
    """Decode an IBFT 2.0 (``kind="ibft2"``) or QBFT ``extraData``; ConfigError when it is not one."""
    try:
        raw = bytes.fromhex(extra_data.removeprefix("0x"))
        items = rlp.decode(raw)
    except (ValueError, rlp.exceptions.DecodingError) as exc:
        raise ConfigError(f"not an RLP {kind} extraData: {exc}") from None
    if not isinstance(items, list) or len(items) != 5:
        raise ConfigError(f"a {kind} extraData is a list of 5 items (vanity, validators, vote, round, seals)")
    vanity, validators, vote, round_raw, seals = items
    if not isinstance(vanity, bytes) or len(vanity) != VANITY_LENGTH:
        raise ConfigError(f"the {kind} extraData vanity must be {VANITY_LENGTH} bytes")
    if not isinstance(validators, list) or any(
        not isinstance(v, bytes) or len(v) != ADDRESS_LENGTH for v in validators
    ):
        raise ConfigError(f"the {kind} extraData validators must be a list of 20-byte addresses")
    if not isinstance(seals, list) or any(not isinstance(s, bytes) for s in seals):
        raise ConfigError(f"the {kind} extraData seals must be a list of byte strings")
    if not isinstance(round_raw, bytes):
        raise ConfigError(f"the {kind} extraData round must be a byte string")
    decoded_vote: bytes | None
    if kind == "ibft2":
        if len(round_raw) != IBFT2_ROUND_BYTES:
            raise ConfigError(f"the IBFT 2.0 extraData round must be {IBFT2_ROUND_BYTES} bytes")
        if not isinstance(vote, bytes):
            raise ConfigError("the IBFT 2.0 extraData vote must be a byte string (empty: no vote)")
        decoded_vote = vote or None
    else:
        if not isinstance(vote, list):
            raise ConfigError("the QBFT extraData vote must be a list (empty: no vote)")
        decoded_vote = rlp.encode(vote) if vote else None
    return BftExtraData(
        kind=kind,
        vanity=vanity,
        validators=tuple("0x" + v.hex() for v in validators),
        vote=decoded_vote,
        round=int.from_bytes(round_raw, "big"),
        seals=tuple(seals),
    )


@dataclass(frozen=True)
class IstanbulExtraData:
    """A decoded GoQuorum IBFT (IBFT 1.0, "istanbul") ``extraData``: ``32-byte vanity ||
    RLP([validators, proposer seal, committed seals])`` (GoQuorum's core/types/istanbul.go)."""

    vanity: bytes
    validators: tuple[str, ...]
    """Lowercase 0x-addresses, in the order written."""
    seal: bytes
    """The proposer's 65-byte signature (r, s, v with v 0 or 1); empty before sealing."""
    committed_seals: tuple[bytes, ...]

    def encode(self, *, seal: bool = True, committed_seals: bool = True) -> bytes:
        """The bytes again; without the seal and/or the committed seals as GoQuorum hashes them
        (the block hash keeps the seal and drops the committed seals; the proposer signs neither)."""
        body = [
            [bytes.fromhex(v[2:]) for v in self.validators],
            self.seal if seal else b"",
            list(self.committed_seals) if committed_seals else [],
        ]
        return self.vanity + bytes(rlp.encode(body))


def decode_istanbul_extra_data(extra_data: bytes) -> IstanbulExtraData:
    """Decode a GoQuorum IBFT ``extraData``; ConfigError when it is not one."""
    if len(extra_data) < VANITY_LENGTH:
        raise ConfigError(f"a GoQuorum IBFT extraData starts with a {VANITY_LENGTH}-byte vanity")
    try:
        items = rlp.decode(extra_data[VANITY_LENGTH:])
    except rlp.exceptions.DecodingError as exc:
        raise ConfigError(f"not a GoQuorum IBFT extraData: {exc}") from None
    if not isinstance(items, list) or len(items) != 3:
        raise ConfigError("a GoQuorum IBFT extraData is the vanity and a list of 3 items (validators, seal, "
                          "committed seals)")
    validators, seal, committed = items
    if not isinstance(validators, list) or any(not isinstance(v, bytes) or len(v) != ADDRESS_LENGTH
                                               for v in validators):
        raise ConfigError("the GoQuorum IBFT extraData validators must be a list of 20-byte addresses")
    if not isinstance(seal, bytes) or not isinstance(committed, list) or any(not isinstance(s, bytes)
                                                                            for s in committed):
        raise ConfigError("the GoQuorum IBFT extraData seal must be bytes and its committed seals a list of bytes")
    return IstanbulExtraData(extra_data[:VANITY_LENGTH], tuple("0x" + v.hex() for v in validators), seal,
                             tuple(committed))
