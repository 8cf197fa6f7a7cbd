"""The Consortium's storage layout, pinned (issue 14, item 10).

Three things depend on where the compiler puts the Consortium's state and how it packs its structs:

* ``_castVote`` and ``propose`` read and write a proposal's and a member's word as whole words, with
  hand-written bit positions (the ``_P_*`` and ``_M_*`` constants of ConsortiumGovernance.sol, the
  ``_A_*`` ones of MemberRegistry.sol for the account word, and the
  ``uint72(c)`` and ``uint16(p >> _P_FLAGS)`` masks next to them);
* a genesis file pre-deploys the Consortium with the storage a bootstrap left, so a later build must
  read that storage the same way;
* the client reads nothing from raw storage, but an upgrade or audit compares layouts.

The layout comes from solc's ``storageLayout`` output, asked for in a test-only standard-JSON
compilation through the project's own compiler pipeline (same sources, same settings, same pinned
solc; only the output selection differs, so the shipped artifacts are untouched). A change of a
state variable's order or of a struct's fields fails here first, naming what moved.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from web3 import Web3

from consortium_evm.compiler.project import resolve_root
from consortium_evm.compiler.resolve import find_solc
from consortium_evm.compiler.settings import build_settings
from consortium_evm.compiler.sources import collect_sources
from consortium_evm.compiler.standard_json import run_standard_json
from tests.support.consortium import Env

ROOT = resolve_root(Path(__file__).resolve().parents[2])
GOVERNANCE_SOL = ROOT / "contracts" / "governance" / "ConsortiumGovernance.sol"
REGISTRY_SOL = ROOT / "contracts" / "registry" / "MemberRegistry.sol"

STATE_VARIABLES = [
    # (label, slot, offset in bytes): MemberRegistry's, then ConsortiumGovernance's, then Consortium's.
    ("_accounts", 0, 0),
    ("_memberCore", 1, 0),
    ("_memberInfo", 2, 0),
    ("_weightHistory", 3, 0),
    ("_nodes", 4, 0),
    ("_totals", 5, 0),
    ("_totalWeightHistory", 6, 0),
    ("_limits", 7, 0),
    ("_governor", 8, 0),
    ("_settingsHistory", 9, 0),
    ("_proposals", 10, 0),
    ("_nodeMatchMode", 11, 0),
]
"""Every state variable of the Consortium (immutables and constants take no storage)."""

STRUCTS: dict[str, list[tuple[str, int, int, int]]] = {
    # struct: [(member, slot within the struct, byte offset, size in bytes)], in declaration order
    "MemberCore": [
        ("status", 0, 0, 1),
        ("weight", 0, 1, 4),
        ("checkpointEpoch", 0, 5, 4),
        ("voteBase", 0, 9, 4),
        ("ballotNonce", 0, 13, 3),
        ("voteBits", 0, 16, 16),
    ],
    "Account": [
        ("memberId", 0, 0, 4),
        ("flags", 0, 4, 1),
        ("adminPending", 0, 5, 1),
        ("consentNonce", 0, 6, 8),
    ],
    "ProposalCore": [
        ("voteStart", 0, 0, 5),
        ("voteEnd", 0, 5, 5),
        ("snapshot", 0, 10, 4),
        ("executed", 0, 14, 1),
        ("canceled", 0, 15, 1),
        ("forVotes", 0, 16, 5),
        ("againstVotes", 0, 21, 5),
        ("abstainVotes", 0, 26, 5),
    ],
    "GovernorState": [
        ("quorumBps", 0, 0, 2),
        ("thresholdBps", 0, 2, 2),
        ("votingDelay", 0, 4, 4),
        ("votingPeriod", 0, 8, 4),
        ("executionDelay", 0, 12, 4),
        ("expiryPeriod", 0, 16, 4),
        ("proposalCount", 0, 20, 4),
        ("epoch", 0, 24, 4),
        ("started", 0, 28, 1),
    ],
}
"""The packed structs the hand-written code and the genesis depend on: each is one word."""

BIT_CONSTANTS = {
    # constant in ConsortiumGovernance.sol -> (struct, member whose offset it is)
    "_P_VOTE_END": ("ProposalCore", "voteEnd"),
    "_P_SNAPSHOT": ("ProposalCore", "snapshot"),
    "_P_FLAGS": ("ProposalCore", "executed"),
    "_P_FOR": ("ProposalCore", "forVotes"),
    "_P_AGAINST": ("ProposalCore", "againstVotes"),
    "_P_ABSTAIN": ("ProposalCore", "abstainVotes"),
    "_M_WEIGHT": ("MemberCore", "weight"),
    "_M_CHECKPOINT": ("MemberCore", "checkpointEpoch"),
    "_M_VOTE_BASE": ("MemberCore", "voteBase"),
    "_M_BALLOT_NONCE": ("MemberCore", "ballotNonce"),
    "_M_VOTE_BITS": ("MemberCore", "voteBits"),
    # constant in MemberRegistry.sol (the account word written whole by _addAccounts/_storeAccount)
    "_A_FLAGS": ("Account", "flags"),
    "_A_PENDING": ("Account", "adminPending"),
    "_A_CONSENT_NONCE": ("Account", "consentNonce"),
}


@pytest.fixture(scope="module")
def layout() -> dict[str, Any]:
    """The Consortium's ``storageLayout``, compiled once for the module (only that output asked for)."""
    settings = build_settings()
    settings["outputSelection"] = {"*": {"*": ["storageLayout"]}}
    output, _ = run_standard_json(find_solc(ROOT), collect_sources(ROOT), settings)
    (unit,) = [name for name in output["contracts"] if Path(name).name == "Consortium.sol"]
    result: dict[str, Any] = output["contracts"][unit]["Consortium"]["storageLayout"]
    return result


def struct_type(layout: dict[str, Any], name: str) -> dict[str, Any]:
    (entry,) = [t for key, t in layout["types"].items() if re.fullmatch(rf"t_struct\({name}\)\d+_storage", key)]
    return entry


def source_constants() -> dict[str, int]:
    text = GOVERNANCE_SOL.read_text(encoding="utf-8") + REGISTRY_SOL.read_text(encoding="utf-8")
    found = re.findall(r"uint256\s+private\s+constant\s+(_[PMA]_[A-Z_]+)\s*=\s*(\d+)\s*;", text)
    return {name: int(value) for name, value in found}


def test_every_state_variable_keeps_its_slot_and_offset(layout: dict[str, Any]) -> None:
    got = [(s["label"], int(s["slot"]), int(s["offset"])) for s in layout["storage"]]
    assert got == STATE_VARIABLES


@pytest.mark.parametrize("struct", sorted(STRUCTS))
def test_the_packed_structs_keep_their_member_offsets(layout: dict[str, Any], struct: str) -> None:
    entry = struct_type(layout, struct)
    got = [
        (m["label"], int(m["slot"]), int(m["offset"]), int(layout["types"][m["type"]]["numberOfBytes"]))
        for m in entry["members"]
    ]
    assert got == STRUCTS[struct]
    assert int(entry["numberOfBytes"]) == 32, f"{struct} must stay one storage word"


def test_the_hand_packed_bit_positions_are_the_compilers_offsets(layout: dict[str, Any]) -> None:
    constants = source_constants()
    assert sorted(constants) == sorted(BIT_CONSTANTS), "a _P_/_M_/_A_ constant was added or removed: pin it here"
    for name, (struct, member) in BIT_CONSTANTS.items():
        (entry,) = [m for m in struct_type(layout, struct)["members"] if m["label"] == member]
        assert int(entry["slot"]) == 0
        assert constants[name] == int(entry["offset"]) * 8, f"{name} = {constants[name]}, {struct}.{member} at byte {entry['offset']}"


def test_the_masks_next_to_the_bit_positions_match_the_layout(layout: dict[str, Any]) -> None:
    """``_castVote`` keeps the member word's low bits with ``uint72(c)`` (status, weight, checkpoint
    epoch: everything below ``voteBase``) and reads both proposal flags with ``uint16(p >> _P_FLAGS)``
    (``executed`` and ``canceled``, adjacent bytes); ``ballotNonce`` is read as ``uint24``."""
    text = GOVERNANCE_SOL.read_text(encoding="utf-8")
    members = {m["label"]: int(m["offset"]) for m in struct_type(layout, "MemberCore")["members"]}
    proposal = {m["label"]: int(m["offset"]) for m in struct_type(layout, "ProposalCore")["members"]}
    assert "uint72(c) | (base << _M_VOTE_BASE)" in text
    assert members["voteBase"] * 8 == 72
    assert "uint16(p >> _P_FLAGS)" in text
    assert (proposal["executed"], proposal["canceled"], proposal["forVotes"]) == (14, 15, 16)
    assert "uint24(c >> _M_BALLOT_NONCE)" in text
    assert members["voteBits"] - members["ballotNonce"] == 3


def _word(env: Env, slot: int) -> int:
    return int.from_bytes(bytes(env.w3.eth.get_storage_at(env.consortium.address, slot)), "big")


def _mapping_slot(key: bytes, slot: int) -> int:
    return int.from_bytes(Web3.keccak(key + slot.to_bytes(32, "big")), "big")


def _field(word: int, offset: int, size: int) -> int:
    return (word >> (offset * 8)) & ((1 << (size * 8)) - 1)


def test_the_deployed_consortium_keeps_its_words_where_the_pinned_layout_says(env: Env) -> None:
    """The pinned layout is the deployed code's: the session's Consortium (bootstrapped, one proposal
    voted on) read slot by slot."""
    c = env.consortium.functions
    admin = env.founders[0].admin
    pid, _ = env.propose([env.call("setMemberWeight", 2, 36)], "read back", admin)
    env.send(c.castVote(pid, 1), env.founders[1].admin)

    def fields(struct: str, word: int) -> dict[str, int]:
        return {name: _field(word, offset, size) for name, _, offset, size in STRUCTS[struct]}

    governor = fields("GovernorState", _word(env, 8))
    assert [governor[k] for k in ("quorumBps", "thresholdBps", "votingDelay", "votingPeriod", "executionDelay",
                                  "expiryPeriod")] == list(c.settings().call())
    assert (governor["proposalCount"], governor["epoch"], governor["started"]) == (1, c.epoch().call(), 1)

    account = fields("Account", _word(env, _mapping_slot(abi_encode(["address"], [admin]), 0)))
    assert [account["memberId"], account["flags"], account["adminPending"], account["consentNonce"]] == [
        *c.accountInfo(admin).call()[:2], 0, 0]

    member = fields("MemberCore", _word(env, _mapping_slot((2).to_bytes(32, "big"), 1)))
    (view,) = c.getMembers(1, 1).call()
    assert (member["status"], member["weight"], member["ballotNonce"]) == (view[4], view[3], c.ballotNonce(2).call())
    assert member["voteBase"] == 1 and member["voteBits"] == 1  # voted on proposal number 1

    proposal = fields("ProposalCore", _word(env, _mapping_slot(pid.to_bytes(32, "big"), 10)))
    assert [proposal[k] for k, *_ in STRUCTS["ProposalCore"]] == [int(v) for v in c.proposalCore(pid).call()]
    assert proposal["forVotes"] == 35
