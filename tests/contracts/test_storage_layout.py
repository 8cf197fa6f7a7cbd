"""The Consortium's storage layout, pinned (issue 14, item 10).

Three things depend on where the compiler puts the Consortium's state and how it packs its structs:

* ``_castVote`` and ``propose`` read and write a proposal's and a member's word as whole words,
  ``propose`` and the settings the governor word, the account registry the account word, and the
  settings history keeps the settings as one value, all through the named bit positions and pack
  and unpack helpers of the storage libraries (contracts/storage/: ``ProposalWord``, ``MemberWord``,
  ``AccountWord``, ``SettingsWord``): their positions are checked here against the compiler's
  offsets, and the helpers themselves are run (through ``tests/contracts/StorageWordsProbe.sol``,
  compiled beside the contracts) against each field's offset and width;
* a genesis file pre-deploys the Consortium with the storage a bootstrap left, so a later build must
  read that storage the same way;
* the client reads nothing from raw storage, but an upgrade or audit compares layouts.

The layout comes from solc's ``storageLayout`` output, asked for in a test-only standard-JSON
compilation through the project's own compiler pipeline (same sources plus the probe, same settings,
same pinned solc; only the output selection differs, so the shipped artifacts are untouched). A change of a
state variable's order or of a struct's fields fails here first, naming what moved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from web3 import Web3
from web3.contract import Contract

from consortium_evm.compiler.project import resolve_root
from consortium_evm.compiler.resolve import find_solc
from consortium_evm.compiler.settings import build_settings
from consortium_evm.compiler.sources import SourceSet, collect_sources
from consortium_evm.compiler.standard_json import run_standard_json
from tests.support.consortium import Env

ROOT = resolve_root(Path(__file__).resolve().parents[2])
GOVERNANCE_SOL = ROOT / "contracts" / "governance" / "ConsortiumGovernance.sol"
REGISTRY_SOL = ROOT / "contracts" / "registry" / "MemberRegistry.sol"
STORAGE_DIR = ROOT / "contracts" / "storage"
PROBE_UNIT = "tests/contracts/StorageWordsProbe.sol"

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
    # The governor word; the settings history's value is laid out as its low 160 bits (the settings).
    "SettingsWord": ("GovernorState", {
        "QUORUM_BPS": "quorumBps",
        "THRESHOLD_BPS": "thresholdBps",
        "VOTING_DELAY": "votingDelay",
        "VOTING_PERIOD": "votingPeriod",
        "EXECUTION_DELAY": "executionDelay",
        "EXPIRY_PERIOD": "expiryPeriod",
        "PROPOSAL_COUNT": "proposalCount",
        "EPOCH": "epoch",
        "STARTED": "started",
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


@pytest.fixture(scope="module")
def probe() -> Contract:
    """``StorageWordsProbe``, compiled with the project's settings from the probe and the storage
    libraries alone, deployed on a fresh embedded chain."""
    units = [PROBE_UNIT, *(f"contracts/storage/{p.name}" for p in sorted(STORAGE_DIR.glob("*.sol")))]
    sources = SourceSet(
        root=ROOT,
        contents={u: (ROOT / u).read_text(encoding="utf-8") for u in sorted(units)},
        files={u: ROOT / u for u in sorted(units)},
        project_units=(PROBE_UNIT,),
    )
    settings = build_settings()
    settings["outputSelection"] = {PROBE_UNIT: {"StorageWordsProbe": ["abi", "evm.bytecode.object"]}}
    output, _ = run_standard_json(find_solc(ROOT), sources, settings)
    built = output["contracts"][PROBE_UNIT]["StorageWordsProbe"]
    w3 = Web3(Web3.EthereumTesterProvider())
    factory = w3.eth.contract(abi=built["abi"], bytecode=built["evm"]["bytecode"]["object"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": w3.eth.accounts[0]}))
    deployed = w3.eth.contract(address=receipt["contractAddress"], abi=built["abi"])
    assert isinstance(deployed, Contract)
    return deployed


def struct_type(layout: dict[str, Any], name: str) -> dict[str, Any]:
    (entry,) = [t for key, t in layout["types"].items() if re.fullmatch(rf"t_struct\({name}\)\d+_storage", key)]
    found: dict[str, Any] = entry
    return found


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
    assert sorted(named.values()) == sorted(offsets), f"every member of {struct} has its position in {library}"


class Word:
    """A packed struct's fields as the compiler lays them out: bit offset and width of each member."""

    def __init__(self, layout: dict[str, Any], struct: str) -> None:
        self.fields = {
            m["label"]: (int(m["offset"]) * 8, int(layout["types"][m["type"]]["numberOfBytes"]) * 8)
            for m in struct_type(layout, struct)["members"]
        }
        self.all = sum(self.at(name, self.ones(name)) for name in self.fields)
        """Every bit of every field set."""

    def ones(self, name: str) -> int:
        return (1 << self.fields[name][1]) - 1

    def at(self, name: str, value: int) -> int:
        assert 0 <= value <= self.ones(name), f"{value} does not fit {name}"
        return value << self.fields[name][0]

    def only(self, name: str) -> int:
        """The word with every bit of ``name`` set and nothing else."""
        return self.at(name, self.ones(name))

    def but(self, name: str) -> int:
        """The word with every bit of every other field set."""
        return self.all & ~self.only(name)

    def each(self, names: list[str], read: Callable[[int], Any]) -> None:
        """``read`` (a helper returning the fields ``names``, in order) finds each field full where it
        is, and empty where every other field is full."""
        for k, name in enumerate(names):
            full = [self.ones(n) if n == name else 0 for n in names]
            assert list(read(self.only(name))) == full, f"{name} read where the layout has it"
            assert list(read(self.but(name)))[k] == 0, f"{name} read from another field's bits"


def _bool(values: list[int]) -> list[Any]:
    return [bool(v) if i == 3 else v for i, v in enumerate(values)]


def test_the_proposal_word_helpers_follow_the_layout(layout: dict[str, Any], probe: Contract) -> None:
    w, p = Word(layout, "ProposalCore"), probe.functions
    for name, args in (("voteStart", (w.ones("voteStart"), 0, 0)), ("voteEnd", (0, w.ones("voteEnd"), 0)),
                       ("snapshot", (0, 0, w.ones("snapshot")))):
        assert p.proposalPack(*args).call() == w.only(name), name
    w.each(["voteStart", "voteEnd", "snapshot"], lambda word: p.proposalFields(word).call()[:3])
    # isClosed reads both flags and nothing else.
    for flag in ("executed", "canceled"):
        assert p.proposalFields(w.at(flag, 1)).call()[3] is True, flag
    assert p.proposalFields(w.all & ~w.only("executed") & ~w.only("canceled")).call()[3] is False
    # The tallies' positions are the tally fields'; a vote adds at its field only.
    tallies = ["forVotes", "againstVotes", "abstainVotes"]
    assert list(p.proposalTallies().call()) == [w.fields[t][0] for t in tallies]
    for position, tally in zip(p.proposalTallies().call(), tallies):
        assert p.proposalWithVotes(w.but(tally), position, w.ones(tally)).call() == w.all, tally
    # A proposal id: the digest's top 192 bits, then the proposer (32 bits) and the number (32 bits).
    digest = (1 << 256) - 1
    proposal_id, proposer, number = p.proposalId(digest, 0xFFFFFFFF, 7).call()
    assert (proposal_id >> 64, (proposal_id >> 32) & 0xFFFFFFFF, proposal_id & 0xFFFFFFFF) == (digest >> 64, 0xFFFFFFFF, 7)
    assert (proposer, number) == (0xFFFFFFFF, 7)


def test_the_member_word_helpers_follow_the_layout(layout: dict[str, Any], probe: Contract) -> None:
    w, p = Word(layout, "MemberCore"), probe.functions
    w.each(["status", "weight", "checkpointEpoch", "ballotNonce", "voteBase", "voteBits"],
           lambda word: p.memberFields(word).call())
    # The ballot nonce is set alone, modulo 2**24.
    assert p.memberWithBallotNonce(w.all, 0).call() == w.but("ballotNonce")
    assert p.memberWithBallotNonce(0, (1 << 24) + 5).call() == w.at("ballotNonce", 5)
    # The vote window is set alone: everything else (the registry's fields, the nonce) is kept.
    assert p.memberWithVoteWindow(w.all, 0, 0).call() == w.all & ~w.only("voteBase") & ~w.only("voteBits")
    assert p.memberWithVoteWindow(0, w.ones("voteBase"), w.ones("voteBits")).call() == w.only("voteBase") | w.only("voteBits")
    # Marks: bit i of the window is proposal number base + i; the window slides 128 wide.
    assert w.fields["voteBits"][1] == 128
    assert p.memberMarks(1 << 5, 5, 0).call() == [True, 1 << 5, 1 << 5]
    assert p.memberMarks(1 << 10, 127, 3).call() == [False, (1 << 10) | (1 << 127), 1 << 7]
    assert p.memberMarks(w.ones("voteBits"), 0, 128).call()[2] == 0


def test_the_account_word_helpers_follow_the_layout(layout: dict[str, Any], probe: Contract) -> None:
    w, p = Word(layout, "Account"), probe.functions
    assert p.accountPack(w.ones("memberId"), 0, False, 0).call() == w.only("memberId")
    assert p.accountPack(0, w.ones("flags"), False, 0).call() == w.only("flags")
    assert p.accountPack(0, 0, True, 0).call() == w.at("adminPending", 1)
    assert p.accountPack(0, 0, False, w.ones("consentNonce")).call() == w.only("consentNonce")
    w.each(["memberId", "flags"], lambda word: p.accountFields(word).call())
    # A registration replaces the member, flags and pending mark, and keeps the consent nonce.
    registered = w.at("memberId", 7) | w.at("flags", 3) | w.at("adminPending", 1) | w.only("consentNonce")
    assert p.accountWithRegistration(w.all, 7, 3, True).call() == registered
    assert p.accountWithRegistration(w.all, 7, 3, False).call() == registered & ~w.only("adminPending")


def test_the_settings_word_helpers_follow_the_layout(layout: dict[str, Any], probe: Contract) -> None:
    w, p = Word(layout, "GovernorState"), probe.functions
    settings = ["quorumBps", "thresholdBps", "votingDelay", "votingPeriod", "executionDelay", "expiryPeriod"]
    for name in settings:
        args = [w.ones(n) if n == name else 0 for n in settings]
        assert p.settingsPack(*args).call() == w.only(name), name
    w.each(settings, lambda word: p.settingsFields(word).call())
    w.each(["proposalCount", "epoch"], lambda word: p.governorFields(word).call()[:2])
    assert p.governorFields(w.at("started", 1)).call() == [0, 0, True]
    assert p.governorFields(w.but("started")).call()[2] is False
    # A settings value is the governor word's settings, below its other fields.
    value = sum(w.only(n) for n in settings)
    assert value < 1 << 224 and value == (1 << w.fields["proposalCount"][0]) - 1
    assert p.governorWithSettings(w.all, 0).call() == w.all & ~value
    assert p.governorWithSettings(w.all & ~value, value).call() == w.all
    assert p.governorWithProposalCount(w.all, 0).call() == w.but("proposalCount")
    assert p.governorWithProposalCount(0, w.ones("proposalCount")).call() == w.only("proposalCount")


def test_no_hand_written_bit_positions_or_shifts_are_left_in_the_contracts() -> None:
    """The words are described once, in contracts/storage/: the contracts that use them name them.
    No contract outside contracts/storage/ shifts in Solidity (the test mocks excepted; the assembly
    that shifts reads calldata and memory, not storage)."""
    paths = [p for p in sorted((ROOT / "contracts").rglob("*.sol")) if p.parent.name not in ("storage", "mocks")]
    assert GOVERNANCE_SOL in paths and REGISTRY_SOL in paths
    for path in paths:
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
