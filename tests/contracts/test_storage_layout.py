"""The Consortium's storage layout, pinned (issue 14, item 10).

Three things depend on where the compiler puts the Consortium's state and how it packs its structs:

* ``_castVote`` and ``propose`` read and write a proposal's and a member's word as whole words, the
  account registry the account word, and the settings history keeps the settings as one value, all
  through the named bit positions and pack and unpack helpers of the storage libraries
  (contracts/storage/: ``ProposalWord``, ``MemberWord``, ``AccountWord``, ``SettingsWord``), whose
  positions and masks are checked here against the compiler's offsets;
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
STORAGE_DIR = ROOT / "contracts" / "storage"

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

WORD_LIBRARIES: dict[str, tuple[str, dict[str, str]]] = {
    # library in contracts/storage/ -> (struct it describes, {named position: struct member})
    "ProposalWord": ("ProposalCore", {
        "VOTE_START": "voteStart",
        "VOTE_END": "voteEnd",
        "SNAPSHOT": "snapshot",
        "EXECUTED": "executed",
        "CANCELED": "canceled",
        "FOR_VOTES": "forVotes",
        "AGAINST_VOTES": "againstVotes",
        "ABSTAIN_VOTES": "abstainVotes",
    }),
    "MemberWord": ("MemberCore", {
        "STATUS": "status",
        "WEIGHT": "weight",
        "CHECKPOINT_EPOCH": "checkpointEpoch",
        "VOTE_BASE": "voteBase",
        "BALLOT_NONCE": "ballotNonce",
        "VOTE_BITS": "voteBits",
    }),
    "AccountWord": ("Account", {
        "MEMBER_ID": "memberId",
        "FLAGS": "flags",
        "ADMIN_PENDING": "adminPending",
        "CONSENT_NONCE": "consentNonce",
    }),
    # The settings history's value is laid out as the governor word's low 160 bits.
    "SettingsWord": ("GovernorState", {
        "QUORUM_BPS": "quorumBps",
        "THRESHOLD_BPS": "thresholdBps",
        "VOTING_DELAY": "votingDelay",
        "VOTING_PERIOD": "votingPeriod",
        "EXECUTION_DELAY": "executionDelay",
        "EXPIRY_PERIOD": "expiryPeriod",
    }),
}
"""Each packed word's one description: the library's named bit positions, and the member each names."""


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


def library_source(library: str) -> str:
    """The text of ``library``'s body in contracts/storage/."""
    text = (STORAGE_DIR / f"{library}.sol").read_text(encoding="utf-8")
    match = re.search(rf"^library\s+{library}\s*\{{(.*?)^\}}", text, re.S | re.M)
    assert match, f"library {library} not found in contracts/storage/{library}.sol"
    return match.group(1)


def library_positions(library: str) -> dict[str, int]:
    found = re.findall(r"uint256\s+internal\s+constant\s+([A-Z_]+)\s*=\s*(\d+)\s*;", library_source(library))
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


@pytest.mark.parametrize("library", sorted(WORD_LIBRARIES))
def test_the_libraries_named_positions_are_the_compilers_offsets(layout: dict[str, Any], library: str) -> None:
    struct, named = WORD_LIBRARIES[library]
    positions = library_positions(library)
    assert sorted(positions) == sorted(named), f"a position of {library} was added or removed: pin it here"
    offsets = {m["label"]: (int(m["slot"]), int(m["offset"])) for m in struct_type(layout, struct)["members"]}
    for name, member in named.items():
        slot, offset = offsets[member]
        assert slot == 0
        assert positions[name] == offset * 8, f"{library}.{name} = {positions[name]}, {struct}.{member} at byte {offset}"
    if library != "SettingsWord":  # the settings value covers only the governor word's settings
        assert sorted(named.values()) == sorted(offsets), f"every member of {struct} has its position in {library}"


def test_the_libraries_widths_and_masks_match_the_layout(layout: dict[str, Any]) -> None:
    """Each unpack helper reads its field with the field's width, and the masks derived from the
    positions cover what they say: ``MemberWord.withVoteWindow`` keeps everything below ``voteBase``
    (status, weight, checkpoint epoch), ``ProposalWord.isClosed`` reads ``executed`` and ``canceled``
    (adjacent bytes) as one 16-bit value."""
    sizes = {
        struct: {m["label"]: int(layout["types"][m["type"]]["numberOfBytes"]) * 8 for m in struct_type(layout, struct)["members"]}
        for struct, _ in WORD_LIBRARIES.values()
    }
    for library, (struct, named) in WORD_LIBRARIES.items():
        source = library_source(library)
        for name, member in named.items():
            for bits, operand in re.findall(rf"uint(\d+)\((\w+) >> {name}\)", source):
                if library == "ProposalWord" and name == "EXECUTED":
                    continue
                assert int(bits) == sizes[struct][member], f"{library} reads {member} as uint{bits} ({operand})"
    member = {m["label"]: int(m["offset"]) for m in struct_type(layout, "MemberCore")["members"]}
    assert "(word & ((1 << VOTE_BASE) - 1))" in library_source("MemberWord")
    assert sorted(member, key=member.__getitem__)[:3] == ["status", "weight", "checkpointEpoch"]
    assert "uint24(word >> BALLOT_NONCE)" in library_source("MemberWord")
    assert member["voteBits"] - member["ballotNonce"] == 3
    proposal = {m["label"]: int(m["offset"]) for m in struct_type(layout, "ProposalCore")["members"]}
    assert "uint16(word >> EXECUTED)" in library_source("ProposalWord")
    assert (proposal["executed"], proposal["canceled"], proposal["forVotes"]) == (14, 15, 16)


def test_no_hand_written_bit_positions_or_shifts_are_left_in_the_contracts() -> None:
    """The words are described once, in contracts/storage/: the contracts that use them name them."""
    for path in (GOVERNANCE_SOL, REGISTRY_SOL):
        code = "\n".join(line.split("//")[0] for line in path.read_text(encoding="utf-8").splitlines())
        assert "<<" not in code and ">>" not in code, f"{path.name} shifts by hand"
        assert not re.search(r"constant\s+_[PMA]_", code), f"{path.name} declares its own bit positions"


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
