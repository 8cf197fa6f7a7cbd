"""Issue 14, items 1-3: the PermissionIngress's probes of replacement rules, attacked as an attacker
would. Each attack is a malicious rules contract (contracts/mocks/RulesMocks.sol) that a proposal
installs after every member voted for it; the execution must revert with the named error, the rules
in force stay as they were, and the members keep their access. Each of these tests fails on the
ingress before issue 14 (ordinary Solidity probes reading the first word of an answer, no node probe,
one fixed public probe address).

1. Probes read answers exactly as forwarding does (one raw staticcall, exactly 32 bytes holding 1),
   and after the switch: rules answering 64 bytes, and rules asking the ingress, are refused.
2. A named, registered node of an active member must still be allowed to connect.
3. The outsider probes are the zero address and an address derived per call, which nobody can
   register ahead of the execution; the former fixed probe is an ordinary address.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from consortium_evm.client import NodeSpec
from consortium_evm.contract_errors import ProbeNodeMismatch, ProbeNodeNotActive, RulesRefuseNode
from consortium_evm.errors import ConfigError
from tests.support.client import advance_to, make_client, pass_proposal, voters
from tests.support.consortium import enode
from tests.support.contracts import TRANSACT, ZERO, check_error, reverts, send
from tests.support.governance import execute_fn, propose
from tests.support.permissioning import (
    OUTSIDER,
    action,
    conn_allowed,
    deploy,
    deploy_error,
    raw_answer,
    set_rules,
    tx_allowed,
    tx_data,
    vote_through,
)

pytestmark = pytest.mark.usefixtures("zero_address_can_call")


def refused_at_execution(env: Any, calls: list[tuple[str, int, bytes]], error: str, **args: Any) -> None:
    """Every founder votes for ``calls``; the execution reverts with ``error``; nothing changed."""
    description = f"install {error}"
    proposal_id = propose(env, calls, description)
    vote_through(env, [(proposal_id, calls)], voters=(0, 1, 2))
    check_error(reverts(env, execute_fn(env, proposal_id, calls, description), env.founders[0].admin), error, **args)
    assert env.ingress.functions.rules().call() == env.consortium.address
    f1 = env.founders[0]
    assert tx_allowed(env, f1.user, env.spare[5], direct=False)
    assert conn_allowed(env, f1.node.enode_id, f1.node.host, f1.node.port, direct=False)


def accepted_at_execution(env: Any, calls: list[tuple[str, int, bytes]], rules: str) -> None:
    description = "install rules"
    proposal_id = propose(env, calls, description)
    vote_through(env, [(proposal_id, calls)], voters=(0, 1, 2))
    send(env, execute_fn(env, proposal_id, calls, description), env.founders[0].admin)
    assert env.ingress.functions.rules().call() == rules


# ------------------------------------------------- 1. the probes read answers as forwarding does


def test_rules_answering_64_bytes_are_refused(env: Any) -> None:
    """Honest answers padded to 64 bytes: a Solidity call reads the first word (member true, outsider
    false) and the old probes passed; forwarding wants exactly 32 bytes and would refuse everyone."""
    padded = deploy(env, "PaddedAnswerRules", [env.consortium.address], env.spare[3])
    f1 = env.founders[0]
    answer = raw_answer(env, padded.address, tx_data(env, f1.admin, env.consortium.address))
    assert len(answer) == 64 and answer[31] == 1
    assert padded.functions.transactionAllowed(f1.admin, env.consortium.address, 0, 0, 0, b"").call()
    assert not padded.functions.transactionAllowed(OUTSIDER, env.consortium.address, 0, 0, 0, b"").call()
    refused_at_execution(env, [set_rules(env, padded.address)], "RulesLockOut", rules=padded.address)


def test_rules_that_ask_the_ingress_for_the_answer_are_refused(env: Any) -> None:
    """While the ingress forwards to the old rules, these answer honestly; once in force, the ingress
    asks them, they ask the ingress... until the gas runs out: no for everyone. The lock-out probe
    asks through the ingress after the switch, so it sees what the nodes would see."""
    echo = deploy(env, "IngressEchoRules", [env.ingress.address], env.spare[3])
    f1 = env.founders[0]
    assert echo.functions.transactionAllowed(f1.admin, env.consortium.address, 0, 0, 0, b"").call()
    assert not echo.functions.transactionAllowed(ZERO, env.consortium.address, 0, 0, 0, b"").call()
    assert echo.functions.connectionAllowed(f1.node.enode_id, f1.node.host, f1.node.port).call()
    refused_at_execution(env, [set_rules(env, echo.address)], "RulesLockOut", rules=echo.address)


# ------------------------------------------------- 2. a registered node must still connect


def test_rules_that_refuse_every_node_are_refused(env: Any) -> None:
    blind = deploy(env, "NodeBlindRules", [env.consortium.address], env.spare[3])
    f1 = env.founders[0]
    assert blind.functions.transactionAllowed(f1.admin, env.consortium.address, 0, 0, 0, b"").call()
    refused_at_execution(env, [set_rules(env, blind.address)], "RulesRefuseNode", rules=blind.address,
                         nodeKey="0x" + f1.node.key.hex())


def test_the_probe_node_must_be_a_registered_node_of_an_active_member(env: Any) -> None:
    rules = deploy(env, "PermissionRules", [env.consortium.address, env.consortium.address, 0], env.spare[3])
    ingress, f1, f3 = env.ingress, env.founders[0], env.founders[2]
    stranger = NodeSpec(enode(77), "10.0.0.77", 30303)
    refused_at_execution(env, [action(ingress, "setRules", rules.address, stranger.public_key, stranger.host,
                                      stranger.port)],
                         "ProbeNodeNotActive", nodeKey="0x" + stranger.key.hex())
    # a node of a member suspended by the same proposal, before the switch
    refused_at_execution(env, [action(env.consortium, "suspendMember", 3), set_rules(env, rules.address, founder=2)],
                         "ProbeNodeNotActive", nodeKey="0x" + f3.node.key.hex())
    # the registered node, at another host or port
    for host, port in (("10.99.0.1", f1.node.port), (f1.node.host, 30304)):
        refused_at_execution(env, [action(ingress, "setRules", rules.address, f1.node.public_key, host, port)],
                             "ProbeNodeMismatch", nodeKey="0x" + f1.node.key.hex())
    # a malformed key cannot be registered, so it is never an active node
    refused_at_execution(env, [action(ingress, "setRules", rules.address, b"\x01" * 63, f1.node.host, f1.node.port)],
                         "ProbeNodeNotActive", nodeKey="0x" + bytes(Web3.keccak(b"\x01" * 63)).hex())
    # the registered node, as registered: accepted, and the node still connects
    accepted_at_execution(env, [set_rules(env, rules.address, founder=1)], rules.address)
    f2 = env.founders[1]
    assert conn_allowed(env, f2.node.enode_id, f2.node.host, f2.node.port, direct=False)


# ------------------------------------------------- 3. outsider probes no one can register


def test_rules_that_allow_all_but_the_former_fixed_probe_are_refused(env: Any) -> None:
    lax = deploy(env, "AllowAllButRules", [[OUTSIDER]], env.spare[3])
    refused_at_execution(env, [set_rules(env, lax.address)], "RulesAllowEveryone", rules=lax.address)


def test_rules_that_allow_all_but_the_former_probe_and_the_zero_address_are_refused(env: Any) -> None:
    """The zero address alone is a fixed probe too: the address derived per call catches the rest."""
    lax = deploy(env, "AllowAllButRules", [[OUTSIDER, ZERO]], env.spare[3])
    refused_at_execution(env, [set_rules(env, lax.address)], "RulesAllowEveryone", rules=lax.address)


def test_rules_that_refuse_the_probe_derived_from_the_head_when_they_were_built_are_refused(env: Any) -> None:
    """An attacker who computes the derived probe for the current head is too late: the execution
    runs in a later block, whose parent hash is not known yet."""
    nonce = env.w3.eth.get_transaction_count(env.spare[3])
    candidate = Web3.to_checksum_address(bytes(Web3.keccak(bytes([0xd6, 0x94]) + bytes.fromhex(env.spare[3][2:])
                                                           + bytes([nonce or 0x80])))[12:])
    head = bytes(env.w3.eth.get_block("latest")["hash"])
    derived = Web3.to_checksum_address(bytes(Web3.keccak(head + bytes(12) + bytes.fromhex(candidate[2:])))[12:])
    lax = deploy(env, "AllowAllButRules", [[OUTSIDER, ZERO, derived]], env.spare[3])
    assert lax.address == candidate
    refused_at_execution(env, [set_rules(env, lax.address)], "RulesAllowEveryone", rules=lax.address)


def test_a_member_admin_registering_the_former_fixed_probe_cannot_block_rule_changes(env: Any) -> None:
    """Before issue 14 this made every setRules revert with RulesAllowEveryone, for good."""
    f1 = env.founders[0]
    send(env, env.consortium.functions.addAccounts(1, [OUTSIDER], [TRANSACT]), f1.admin)
    assert tx_allowed(env, OUTSIDER, env.spare[5], direct=False)
    rules = deploy(env, "PermissionRules", [env.consortium.address, env.consortium.address, 0], env.spare[3])
    accepted_at_execution(env, [set_rules(env, rules.address)], rules.address)
    assert tx_allowed(env, OUTSIDER, env.spare[5], direct=False)  # a registered account like any other


def test_nobody_can_register_the_zero_address(env: Any) -> None:
    f1 = env.founders[0]
    check_error(reverts(env, env.consortium.functions.addAccounts(1, [ZERO], [TRANSACT]), f1.admin),
                "InvalidFlags", account=ZERO, flags=TRANSACT)
    refused_at_execution(env, [action(env.consortium, "setUnaffiliatedAccount", ZERO, TRANSACT)],
                         "InvalidFlags", account=ZERO, flags=TRANSACT)


def test_the_probes_run_at_deployment_too(env: Any) -> None:
    for refused in ([OUTSIDER], [OUTSIDER, ZERO]):
        lax = deploy(env, "AllowAllButRules", [refused], env.spare[3])
        check_error(deploy_error(env, "PermissionIngress", [env.consortium.address, lax.address]),
                    "RulesAllowEveryone", rules=lax.address)


# ------------------------------------------------- the client names a node


def test_set_rules_names_a_registered_node_of_the_proposers_member_by_default(env: Any) -> None:
    globex = make_client(env, env.founders[1].admin)
    f1, f2 = env.founders[0], env.founders[1]
    rules = deploy(env, "PermissionRules", [env.consortium.address, env.consortium.address, 0], env.spare[3])

    def named(action: Any) -> tuple[str, str, int]:
        _, args = env.ingress.decode_function_input(action.data)
        return bytes(args["publicKey"]).hex(), args["enodeHost"], args["enodePort"]

    assert globex.actions.probe_node() == f2.node
    assert named(globex.actions.set_rules(rules.address)) == (f2.node.enode_id, f2.node.host, f2.node.port)
    # given as an enode URL, a NodeSpec, an enode id or a node key (host and port then read from the registry)
    for given in (f"enode://{f1.node.enode_id}@{f1.node.host}:{f1.node.port}", f1.node, f1.node.enode_id,
                  "0x" + f1.node.key.hex()):
        assert named(globex.actions.set_rules(rules.address, given)) == (f1.node.enode_id, f1.node.host, f1.node.port)
    with pytest.raises(ConfigError, match="not registered"):
        globex.actions.set_rules(rules.address, enode(77))
    # an account of no member: the first active member with a node
    assert make_client(env, env.spare[2]).actions.probe_node() == f1.node
    # the default passes through governance
    pass_proposal(globex, env, globex.actions.set_rules(rules.address), "stand-alone rules",
                  executor=env.founders[1].user)
    assert env.ingress.functions.rules().call() == rules.address


def test_the_client_raises_the_node_probe_errors(env: Any) -> None:
    acme = make_client(env, env.founders[0].admin)
    f1 = env.founders[0]
    blind = deploy(env, "NodeBlindRules", [env.consortium.address], env.spare[3])
    cases: list[tuple[Any, type[Exception], dict[str, Any]]] = [
        (acme.actions.set_rules(blind.address), RulesRefuseNode, {"rules": blind.address}),
        (acme.actions.set_rules(env.consortium.address, NodeSpec(enode(77), "10.0.0.77", 30303)),
         ProbeNodeNotActive, {"nodeKey": "0x" + NodeSpec(enode(77), "h", 1).key.hex()}),
        (acme.actions.set_rules(env.consortium.address, f"enode://{f1.node.enode_id}@10.9.9.9:{f1.node.port}"),
         ProbeNodeMismatch, {"nodeKey": "0x" + f1.node.key.hex()}),
    ]
    ids = [acme.proposals.create(a, f"probe {i}").proposal_id for i, (a, _, _) in enumerate(cases)]
    for voter in voters(acme, env, (0, 1)):
        for pid in ids:
            voter.proposals.vote(pid, "for")
    advance_to(env, acme.proposals.get(ids[-1]).executable_at)
    for pid, (_, error, expected) in zip(ids, cases):
        with pytest.raises(error) as info:
            acme.proposals.execute(pid)
        assert {k: info.value.args_by_name[k] for k in expected} == expected  # type: ignore[attr-defined]
