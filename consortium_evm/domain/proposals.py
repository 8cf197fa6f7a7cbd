"""A proposal's values as the governance contract defines them: its states, and the parts of its id.

A proposal id is 256 bits: the top 192 come from the hash of its actions and description, bits
32..63 are the proposing member's id and bits 0..31 its sequence number (#1, #2, ...).
"""

from __future__ import annotations

import enum
from typing import Any

from consortium_evm.errors import ConfigError

_UINT32 = 0xFFFFFFFF


def proposal_number(proposal_id: int) -> int:
    """A proposal's sequence number (bits 0..31 of its id): #1, #2, ..."""
    return int(proposal_id) & _UINT32


def proposer_member_id(proposal_id: int) -> int:
    """The id of the member that made the proposal (bits 32..63 of its id)."""
    return (int(proposal_id) >> 32) & _UINT32


class ProposalState(enum.IntEnum):
    """A proposal's state, numbered as the contract (and OpenZeppelin's Governor) numbers it.

    ``SUCCEEDED`` means executable now; ``QUEUED`` means passed and waiting for its execution delay.
    """

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7

    @property
    def label(self) -> str:
        """The state's name in lower case (``active``)."""
        return self.name.lower()

    @property
    def is_final(self) -> bool:
        """Whether the state can no longer change."""
        return self in (ProposalState.CANCELED, ProposalState.DEFEATED, ProposalState.EXPIRED, ProposalState.EXECUTED)

    @classmethod
    def parse(cls, value: str | int | ProposalState) -> ProposalState:
        """``"active"``, ``"ACTIVE"``, ``1`` or a state -> the state; anything else is a ConfigError."""
        if isinstance(value, ProposalState):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        elif isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        names = ", ".join(s.label for s in cls)
        raise ConfigError(f"unknown proposal state {value!r}; states are {names}")


def shown_argument(key: str, value: Any) -> str:
    """An argument of a contract error as its message shows it: a proposal id as 0x-hex with its
    number, a proposal state by its name (``Active``), anything else as Python writes it."""
    if key == "proposalId" and isinstance(value, int) and value >= 2**32:
        return f"{value:#x} (#{proposal_number(value)})"
    if key == "state" and isinstance(value, int) and value in ProposalState._value2member_map_:
        return ProposalState(value).name.capitalize()
    return repr(value)
