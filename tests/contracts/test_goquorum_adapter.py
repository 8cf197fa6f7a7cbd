"""Issue 16 item 1: the GoQuorumPermissionAdapter (contracts/permissioning/GoQuorumPermissionAdapter.sol).

GoQuorum's enhanced permissions v2 reads, at start-up, ``getNetworkBootStatus()`` on its
``interfaceAddress`` and the four managers' counts and ``…FromIndex`` readers; afterwards it asks
``transactionAllowed`` and ``connectionAllowed``. Each is called here with the selector and the
types GoQuorum v24.4.1's bindings use (permission/v2/bind), and each answer is decoded as they
decode it. The two questions must get exactly the ingress's answers, and a faulty answer behind the
adapter must read as a refusal.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import decode
from web3 import Web3

from consortium_evm.compiler import load_artifact
from consortium_evm.domain.goquorum import adapter_creation
from consortium_evm.domain.permission import TRUE_WORD, connection_question, transaction_question
from tests.support.consortium import enode
from tests.support.contracts import DEPLOY, TRANSACT, ZERO, check_error, reverts, send
from tests.support.permissioning import deploy, deploy_error, govern, raw_answer, set_rules

pytestmark = pytest.mark.usefixtures("zero_address_can_call")

REVERT, GARBAGE, ALLOW_ALL = 1, 2, 0
"""FaultyRules.Mode."""

# What GoQuorum v24.4.1 calls at start-up, with the return types its bindings decode.
BOOT_READS: list[tuple[str, list[str]]] = [
    ("getNetworkBootStatus()", ["bool"]),
    ("getNumberOfOrgs()", ["uint256"]),
    ("getNumberOfNodes()", ["uint256"]),
    ("getNumberOfRoles()", ["uint256"]),
    ("getNumberOfAccounts()", ["uint256"]),
]
INDEX_READS: list[tuple[str, list[str]]] = [
    ("getOrgInfo(uint256)", ["string", "string", "string", "uint256", "uint256"]),
    ("getNodeDetailsFromIndex(uint256)", ["string", "string", "string", "uint16", "uint16", "uint256"]),
    ("getRoleDetailsFromIndex(uint256)", ["string", "string", "uint256", "bool", "bool", "bool"]),
    ("getAccountDetailsFromIndex(uint256)", ["address", "string", "string", "uint256", "bool"]),
]


def selector(signature: str) -> str:
    return "0x" + bytes(Web3.keccak(text=signature))[:4].hex()


def adapter_in_front_of(env: Any, target: str) -> Any:
    """The adapter created as the deployment creates it (domain.goquorum.adapter_creation)."""
    creation = adapter_creation(target)
    return deploy(env, creation.artifact, list(creation.constructor_args), env.spare[2])


@pytest.fixture
def adapter(env: Any) -> Any:
    return adapter_in_front_of(env, env.ingress.address)


def ask(env: Any, to: str, question: bytes) -> bytes:
    return raw_answer(env, to, "0x" + question.hex())


# ------------------------------------------------------------------------ what GoQuorum reads at boot


def test_the_network_is_booted_and_every_manager_is_empty(env: Any, adapter: Any) -> None:
    answers = {sig: decode(types, raw_answer(env, adapter.address, selector(sig))) for sig, types in BOOT_READS}
    assert answers == {
        "getNetworkBootStatus()": (True,),
        "getNumberOfOrgs()": (0,),
        "getNumberOfNodes()": (0,),
        "getNumberOfRoles()": (0,),
        "getNumberOfAccounts()": (0,),
    }
    # exactly one word each, as the bindings unpack them
    assert all(len(raw_answer(env, adapter.address, selector(sig))) == 32 for sig, _ in BOOT_READS)


@pytest.mark.parametrize(("signature", "types"), INDEX_READS, ids=[s for s, _ in INDEX_READS])
def test_the_index_readers_have_goquorums_signatures_and_hold_nothing(
    env: Any, adapter: Any, signature: str, types: list[str]
) -> None:
    name = signature.split("(")[0]
    entry = next(e for e in adapter.abi if e.get("name") == name)
    assert [o["type"] for o in entry["outputs"]] == types
    assert [i["type"] for i in entry["inputs"]] == ["uint256"]
    check_error(reverts(env, getattr(adapter.functions, name)(0), env.spare[0],
                        [load_artifact("GoQuorumPermissionAdapter").abi]), "NoEntryAtIndex", index=0)


def test_the_interface_has_goquorums_selectors() -> None:
    abi = load_artifact("GoQuorumPermissionAdapter").abi
    signatures = {
        f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in abi if e.get("type") == "function"
    }
    assert signatures == {
        *(s for s, _ in BOOT_READS),
        *(s for s, _ in INDEX_READS),
        "transactionAllowed(address,address,uint256,uint256,uint256,bytes)",
        "connectionAllowed(string,string,uint16)",
        "ingress()",
    }
    # GoQuorum's generated binding (permission/v2/bind/nodes.go) names connectionAllowed 0x45a59e5b
    assert selector("connectionAllowed(string,string,uint16)") == "0x45a59e5b"


def test_it_holds_no_state_and_points_at_the_ingress(env: Any, adapter: Any) -> None:
    assert adapter.functions.ingress().call() == env.ingress.address
    assert all(env.w3.eth.get_storage_at(adapter.address, slot) == b"\x00" * 32 for slot in range(4))


def test_an_ingress_without_code_is_refused(env: Any) -> None:
    check_error(deploy_error(env, "GoQuorumPermissionAdapter", [env.spare[5]]), "IngressWithoutCode",
                ingress=env.spare[5])


# ------------------------------------------------------------------------ the two rules, forwarded


def questions(env: Any) -> list[tuple[str, bytes, bool]]:
    f1, f2 = env.founders[0], env.founders[1]
    return [
        ("member user pays another account", transaction_question(f1.user, env.spare[5], 10**18, 0, 21_000), True),
        ("member admin calls governance",
         transaction_question(f1.admin, env.consortium.address, 0, 0, 90_000, b"\x12\x34"), True),
        ("outsider transfers", transaction_question(env.spare[5], f1.user, 1, 0, 21_000), False),
        ("zero address transfers", transaction_question(ZERO, f1.user, 1, 0, 21_000), False),
        ("member without the deploy flag creates a contract",
         transaction_question(f1.user, None, 0, 0, 500_000, b"\x60\x00"), False),
        ("registered node connects", connection_question(f2.node.enode_id, f2.node.host, f2.node.port), True),
        ("registered node, 0x-prefixed id", connection_question("0x" + f2.node.enode_id, f2.node.host, f2.node.port),
         True),
        ("unregistered node connects", connection_question(enode(40), "127.0.0.1", 30303), False),
    ]


def test_both_rules_get_exactly_the_ingress_answers(env: Any, adapter: Any) -> None:
    for what, question, allowed in questions(env):
        through_adapter = ask(env, adapter.address, question)
        assert through_adapter == ask(env, env.ingress.address, question), what
        assert (through_adapter == TRUE_WORD) is allowed, what
        assert len(through_adapter) == 32 and through_adapter[-1] in (0, 1), what


def test_an_account_registered_with_the_deploy_flag_may_create_contracts_through_the_adapter(
    env: Any, adapter: Any
) -> None:
    deployer, f1 = env.spare[6], env.founders[0]
    creation = transaction_question(deployer, None, 0, 0, 500_000, b"\x60\x00")
    assert ask(env, adapter.address, creation) != TRUE_WORD
    send(env, env.consortium.functions.addAccounts(f1.member_id, [deployer], [TRANSACT | DEPLOY]), f1.admin)
    assert ask(env, adapter.address, creation) == TRUE_WORD


def test_a_decision_of_the_members_reaches_the_adapter_at_once(env: Any, adapter: Any) -> None:
    f3 = env.founders[2]
    question = transaction_question(f3.user, env.spare[5], 1, 0, 21_000)
    assert ask(env, adapter.address, question) == TRUE_WORD
    govern(env, [env.call("suspendMember", f3.member_id)])
    assert ask(env, adapter.address, question) != TRUE_WORD


# ------------------------------------------------------------------------ fail-closed


@pytest.mark.parametrize("mode", [REVERT, GARBAGE], ids=["reverts", "answers-2"])
def test_a_faulty_target_reads_as_refused(env: Any, mode: int) -> None:
    friend = env.founders[0].user
    faulty = deploy(env, "FaultyRules", [mode, False, friend], env.spare[3])
    adapter = adapter_in_front_of(env, faulty.address)
    question = transaction_question(friend, env.spare[5], 1, 0, 21_000)
    assert ask(env, adapter.address, question) == TRUE_WORD  # behaving: its friend is allowed
    send(env, faulty.functions.breakNow(), env.spare[3])
    assert ask(env, adapter.address, question) == (0).to_bytes(32, "big")
    node = env.founders[0].node
    assert ask(env, adapter.address, connection_question(node.enode_id, node.host, node.port)) == bytes(32)


def test_a_target_answering_64_bytes_reads_as_refused(env: Any) -> None:
    padded = deploy(env, "PaddedAnswerRules", [env.consortium.address], env.spare[3])
    adapter = adapter_in_front_of(env, padded.address)
    f1 = env.founders[0]
    question = transaction_question(f1.user, env.spare[5], 1, 0, 21_000)
    assert len(ask(env, padded.address, question)) == 64
    assert ask(env, adapter.address, question) == bytes(32)
    assert ask(env, adapter.address, connection_question(f1.node.enode_id, f1.node.host, f1.node.port)) == bytes(32)


def test_rules_that_break_behind_the_ingress_refuse_everyone_through_the_adapter(env: Any, adapter: Any) -> None:
    executor = env.founders[0].admin
    faulty = deploy(env, "FaultyRules", [GARBAGE, False, executor], env.spare[3])
    govern(env, [set_rules(env, faulty.address)], executor=executor)
    question = transaction_question(executor, env.consortium.address, 0, 0, 90_000)
    assert ask(env, adapter.address, question) == TRUE_WORD
    send(env, faulty.functions.breakNow(), env.spare[3])
    assert ask(env, adapter.address, question) == bytes(32)

