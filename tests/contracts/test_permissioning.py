"""Permissioning as the clients see it: ``transactionAllowed`` and ``connectionAllowed`` through the
PermissionIngress (the address nodes are configured with) and directly on the Consortium, the exact
shape of the answers, the ingress's checks on replacement rules, and flat gas as the registry grows.
"""

from __future__ import annotations

from typing import Any

import pytest

from consortium_evm.compiler import load_artifact
from consortium_evm.domain.signatures import sign_admin_acceptance
from consortium_evm.node.tester import tester_accounts
from consortium_evm.tx.transactions import Transactor
from tests.support.consortium import VOTING_PERIOD, signed_node
from tests.support.contracts import ABIS, ADMIN, DEPLOY, TRANSACT, ZERO, check_error, reverts, send
from tests.support.governance import execute_fn, propose
from tests.support.permissioning import (
    FLOORS,
    OUTSIDER,
    action,
    addr,
    conn_allowed,
    conn_data,
    deploy,
    deploy_error,
    enode_id,
    events,
    govern,
    raw_answer,
    send_unchecked,
    set_rules,
    tx_allowed,
    tx_data,
    vote_through,
    word,
)

pytestmark = pytest.mark.usefixtures("zero_address_can_call")


# ---------------------------------------------------------------------------------------- accounts


def test_account_rules_by_role(env):
    f1, f2 = env.founders[0], env.founders[1]
    deployer_only, admin_only, both = addr(1), env.spare[7], addr(3)
    send(env, env.consortium.functions.addAccounts(1, [deployer_only, admin_only, both],
                                                   [DEPLOY, ADMIN, TRANSACT | DEPLOY]), f1.admin)
    # A pending admin-only account may do nothing until it accepts (by signature: it cannot send).
    assert not tx_allowed(env, admin_only, env.spare[5]) and not tx_allowed(env, admin_only, ZERO)
    (key,) = [a for a in tester_accounts(20) if a.address == admin_only]
    nonce = env.consortium.functions.accountInfo(admin_only).call({"from": ZERO})[3]
    signature = sign_admin_acceptance(key, 1, nonce, env.w3.eth.chain_id, env.consortium.address)
    send(env, env.consortium.functions.acceptAdminBySig(admin_only, signature), f1.admin)
    create = ZERO
    cases = {  # account: (may call a contract or pay an account, may create a contract)
        f1.admin: (True, False),  # admin + transact
        f2.user: (True, False),  # transact only
        deployer_only: (False, True),
        admin_only: (True, False),  # admin without transact: the admin flag lets it send, not create
        both: (True, True),
        env.spare[3]: (False, False),  # registered nowhere
        env.deployer: (False, False),  # deploying the suite gives no access
        ZERO: (False, False),
    }
    for account, (transact, deploy_) in cases.items():
        assert tx_allowed(env, account, env.consortium.address) is transact, account
        assert tx_allowed(env, account, env.spare[5]) is transact, account
        assert tx_allowed(env, account, create) is deploy_, account
    # The stand-alone rules answer the same (the rule lives in their common base).
    rules = deploy(env, "PermissionRules", [env.consortium.address, env.consortium.address, 0], env.spare[4])
    for account, (transact, deploy_) in cases.items():
        assert rules.functions.transactionAllowed(account, env.spare[5], 0, 0, 0, b"").call() is transact, account
        assert rules.functions.transactionAllowed(account, create, 0, 0, 0, b"").call() is deploy_, account


def test_answers_are_one_exact_word(env):
    """Besu accepts only a 32-byte 0 or 1; clients call at the head from the zero address."""
    one, zero = (1).to_bytes(32, "big"), bytes(32)
    user, stranger = env.founders[0].user, env.spare[3]
    node_id = enode_id(1)
    for to in (env.ingress.address, env.consortium.address):
        for sender in (ZERO, None, env.spare[6]):
            assert raw_answer(env, to, tx_data(env, user, env.spare[5]), sender) == one
            assert raw_answer(env, to, tx_data(env, user, ZERO), sender) == zero
            assert raw_answer(env, to, tx_data(env, stranger, env.spare[5]), sender) == zero
            assert raw_answer(env, to, conn_data(env, node_id, "10.0.0.1", 30303), sender) == one
            assert raw_answer(env, to, conn_data(env, enode_id(99), "10.0.0.1", 30303), sender) == zero
            assert raw_answer(env, to, conn_data(env, "zz", "10.0.0.1", 30303), sender) == zero
    assert env.ingress.functions.transactionAllowed(user, env.spare[5], 0, 0, 0, b"").call({"from": ZERO}) is True


def test_unaffiliated_account_allowed_then_withdrawn(env):
    x, y = env.spare[3], env.spare[4]
    assert not tx_allowed(env, x, env.spare[5])
    govern(env, [action(env.consortium, "setUnaffiliatedAccount", x, TRANSACT),
                 action(env.consortium, "setUnaffiliatedAccount", y, DEPLOY)])
    assert tx_allowed(env, x, env.spare[5]) and not tx_allowed(env, x, ZERO)
    assert tx_allowed(env, y, ZERO) and not tx_allowed(env, y, env.spare[5])
    govern(env, [action(env.consortium, "setUnaffiliatedAccount", x, 0)])
    assert not tx_allowed(env, x, env.spare[5]) and not tx_allowed(env, x, ZERO)
    assert tx_allowed(env, y, ZERO)


def test_suspended_and_removed_members_lose_access(env):
    f1, f2, f3 = env.founders
    govern(env, [action(env.consortium, "suspendMember", 2), action(env.consortium, "removeMember", 3)])
    for f in (f2, f3):
        assert not tx_allowed(env, f.admin, env.spare[5])
        assert not tx_allowed(env, f.user, env.spare[5])
        assert not conn_allowed(env, f.node.enode_id, f.node.host, f.node.port)
    assert tx_allowed(env, f1.user, env.spare[5]) and conn_allowed(env, f1.node.enode_id)
    govern(env, [action(env.consortium, "reinstateMember", 2)], voters=(0,))  # 40 of the 40 active
    assert tx_allowed(env, f2.admin, env.spare[5]) and tx_allowed(env, f2.user, env.spare[5])
    assert conn_allowed(env, f2.node.enode_id, f2.node.host, f2.node.port)
    assert not tx_allowed(env, f3.user, env.spare[5]) and not conn_allowed(env, f3.node.enode_id)


# ---------------------------------------------------------------------------------------- nodes


def test_connection_allowed_accepts_the_id_formats_clients_send(env):
    f1 = env.founders[0]
    spec = signed_node(101, 1, "10.5.5.5")  # a real public key: 128 digits with letters, so that case matters
    lettered = spec[0].hex()
    assert any(ch in "abcdef" for ch in lettered)
    mixed = "".join(ch.upper() if i % 2 else ch for i, ch in enumerate(lettered))
    off = lettered[:-1] + ("8" if lettered[-1] != "8" else "9")
    send(env, env.consortium.functions.addNodes(1, [spec]), f1.admin)
    for enode in (lettered, lettered.upper(), "0x" + lettered, "0X" + lettered.upper(), "0x" + lettered.upper(),
                  mixed, f1.node.enode_id, "0x" + f1.node.enode_id):
        assert conn_allowed(env, enode), enode
        assert conn_allowed(env, enode, "somewhere.else", 1), enode  # by id alone, any host and port
    refused = {
        "127 digits": lettered[:127],
        "129 digits": lettered + "a",
        "130 digits, no prefix": lettered + "ab",
        "0x and 127 digits": "0x" + lettered[:127],
        "0x and 129 digits": "0x" + lettered + "a",
        "prefix only": "0x",
        "empty": "",
        "g in a high nibble": "g" + lettered[1:],
        "g in a low nibble": lettered[:-1] + "g",
        "G": "G" + lettered[1:],
        "backtick": "`" + lettered[1:],
        "open brace": lettered[:-1] + "{",
        "colon": ":" + lettered[1:],
        "slash": lettered[:64] + "/" + lettered[65:],
        "at sign": lettered[:64] + "@" + lettered[65:],
        "space": " " + lettered[1:],
        "enode URL": f"enode://{lettered}@10.5.5.5:30303",
        "one digit off": off,
        "unregistered": enode_id(99),
    }
    for what, enode in refused.items():
        assert not conn_allowed(env, enode, "10.5.5.5", 30303), what


def test_node_match_by_host_and_port(env):
    f1 = env.founders[0]
    node = f1.node
    sent = govern(env, [action(env.consortium, "setNodeMatch", 1)])
    assert [e.mode for e in events(env.consortium, "NodeMatchChanged", sent)] == [1]
    assert env.consortium.functions.nodeMatch().call({"from": ZERO}) == 1
    assert conn_allowed(env, node.enode_id, node.host, node.port)
    assert conn_allowed(env, "0x" + node.enode_id.upper(), node.host, node.port)
    assert not conn_allowed(env, node.enode_id, "10.0.0.2", node.port)
    assert not conn_allowed(env, node.enode_id, node.host + " ", node.port)
    assert not conn_allowed(env, node.enode_id, node.host, node.port + 1)
    assert not conn_allowed(env, node.enode_id, env.founders[1].node.host, node.port)
    assert not conn_allowed(env, enode_id(99), node.host, node.port)
    govern(env, [action(env.consortium, "setNodeMatch", 0)])
    assert env.consortium.functions.nodeMatch().call({"from": ZERO}) == 0
    assert conn_allowed(env, node.enode_id, "10.0.0.2", 1)


# ---------------------------------------------------------------------------------------- the ingress


def test_ingress_constructor_checks_its_rules(env):
    c = env.consortium
    board = deploy(env, "NoticeBoard", [c.address], env.spare[4])
    check_error(deploy_error(env, "PermissionIngress", [c.address, env.spare[3]]), "RulesWithoutCode",
                rules=env.spare[3])
    check_error(deploy_error(env, "PermissionIngress", [c.address, board.address]), "RulesInterfaceMissing",
                rules=board.address)
    check_error(deploy_error(env, "PermissionIngress", [c.address, env.ingress.address]), "RulesInterfaceMissing",
                rules=env.ingress.address)
    check_error(deploy_error(env, "PermissionIngress", [ZERO, c.address]), "ZeroGovernance")
    ingress = deploy(env, "PermissionIngress", [c.address, c.address], env.spare[4])
    assert ingress.functions.rules().call({"from": ZERO}) == c.address
    assert ingress.functions.governance().call({"from": ZERO}) == c.address
    (created,) = [e for e in ingress.events.RulesChanged().get_logs(from_block=0)]
    assert (created.args.previousRules, created.args.newRules) == (ZERO, c.address)


def test_set_rules_only_by_governance(env):
    node = env.founders[0].node
    fn = env.ingress.functions.setRules(env.consortium.address, node.public_key, node.host, node.port)
    for caller in (env.deployer, env.founders[0].admin, env.spare[3]):
        check_error(reverts(env, fn, caller), "OnlyGovernance", caller=caller)


def _answers(env: Any, nodes: list[Any]) -> list[bool]:
    accounts = [f.admin for f in env.founders] + [f.user for f in env.founders] + [env.spare[3], ZERO]
    out = [tx_allowed(env, a, t, direct=False) for a in accounts for t in (env.spare[5], ZERO)]
    out += [conn_allowed(env, n.enode_id, h, p, direct=False) for n in nodes
            for h, p in ((n.host, n.port), ("10.99.0.1", n.port), (n.host, 1))]
    return out + [conn_allowed(env, enode_id(99), direct=False), conn_allowed(env, "xyz", direct=False)]


def test_replace_rules_with_standalone_rules(env):
    c, ingress, f1 = env.consortium, env.ingress, env.founders[0]
    nodes = [f.node for f in env.founders]
    rules = deploy(env, "PermissionRules", [c.address, c.address, 0], env.spare[4])
    assert rules.functions.nodeMatch().call({"from": ZERO}) == 0
    before = _answers(env, nodes)
    assert True in before and False in before

    calls = [set_rules(env, rules.address)]
    proposal_id = propose(env, calls, "new rules")
    vote_through(env, [(proposal_id, calls)])
    # the execution's sender must still be able to transact under the new rules
    check_error(reverts(env, execute_fn(env, proposal_id, calls, "new rules"), env.spare[0]),
                "RulesLockOut", rules=rules.address)
    sent = send(env, execute_fn(env, proposal_id, calls, "new rules"), f1.admin)
    changes = [(e.previousRules, e.newRules) for e in events(ingress, "RulesChanged", sent)]
    assert changes == [(c.address, rules.address)]
    assert ingress.functions.rules().call({"from": ZERO}) == rules.address
    assert _answers(env, nodes) == before  # the data stayed in the registry

    check_error(reverts(env, rules.functions.setNodeMatch(1), env.deployer), "OnlyGovernance", caller=env.deployer)
    check_error(reverts(env, rules.functions.setNodeMatch(1), f1.admin), "OnlyGovernance", caller=f1.admin)
    sent = govern(env, [action(rules, "setNodeMatch", 1), action(c, "suspendMember", 3)])
    assert [e.mode for e in events(rules, "NodeMatchChanged", sent)] == [1]
    assert rules.functions.nodeMatch().call({"from": ZERO}) == 1
    node = f1.node
    assert conn_allowed(env, node.enode_id, node.host, node.port, direct=False)
    assert not conn_allowed(env, node.enode_id, "10.99.0.1", node.port, direct=False)
    assert not conn_allowed(env, node.enode_id, node.host, 1, direct=False)
    # the Consortium's own matching mode is its own
    assert word(raw_answer(env, c.address, conn_data(env, node.enode_id, "10.99.0.1", 1)))
    # and the stand-alone rules read the registry live: the suspension applies at once
    f3 = env.founders[2]
    assert not tx_allowed(env, f3.user, env.spare[5], direct=False)
    assert not conn_allowed(env, f3.node.enode_id, f3.node.host, f3.node.port, direct=False)


def test_rules_that_allow_everyone_are_refused(env):
    c = env.consortium
    boot = env.spare[8]
    other = deploy(env, "Consortium", [(5000, 5001, 0, VOTING_PERIOD, 0, 3600), FLOORS, (10, 10)], boot)
    ingress_art = load_artifact("PermissionIngress")
    factory = env.w3.eth.contract(abi=ingress_art.abi, bytecode=ingress_art.bytecode)
    Transactor(env.w3, boot, ABIS).simulate(factory.constructor(c.address, other.address))  # acceptable so far
    # Registering the former fixed probe changes nothing now (issue 14): no registrable address is a probe.
    send(env, other.functions.setUnaffiliatedAccount(OUTSIDER, TRANSACT), boot)
    Transactor(env.w3, boot, ABIS).simulate(factory.constructor(c.address, other.address))
    # rules that allow everyone but the former probe are refused, at deployment as on replacement
    lax = deploy(env, "AllowAllButRules", [[OUTSIDER]], boot)
    check_error(deploy_error(env, "PermissionIngress", [c.address, lax.address]), "RulesAllowEveryone",
                rules=lax.address)


def test_set_rules_refuses_bad_rules(env):
    c, ingress = env.consortium, env.ingress
    boot = env.spare[8]
    lax = deploy(env, "AllowAllButRules", [[OUTSIDER]], boot)
    board = deploy(env, "NoticeBoard", [c.address], boot)
    cases = [
        (env.spare[3], "RulesWithoutCode"),
        (board.address, "RulesInterfaceMissing"),
        (lax.address, "RulesAllowEveryone"),
    ]
    proposals = []
    for i, (candidate, _) in enumerate(cases):
        calls = [set_rules(env, candidate)]
        proposals.append((propose(env, calls, f"bad rules {i}"), calls))
    vote_through(env, proposals)
    for i, ((candidate, error), (proposal_id, calls)) in enumerate(zip(cases, proposals)):
        err = reverts(env, execute_fn(env, proposal_id, calls, f"bad rules {i}"), env.founders[0].admin)
        check_error(err, error, rules=candidate)
    assert ingress.functions.rules().call({"from": ZERO}) == c.address
    assert tx_allowed(env, env.founders[0].user, env.spare[5])


def _lowest_gas_that_answers(env: Any, data: str) -> int:
    low, high = 21_000, 300_000  # high answers, low does not
    while high - low > 1:
        mid = (low + high) // 2
        try:
            raw_answer(env, env.ingress.address, data, gas=mid)
            high = mid
        except Exception:  # noqa: BLE001 - out of gas, however the tester words it
            low = mid
    return high


def test_ingress_answers_false_when_the_rules_call_fails(env):
    """With just enough gas for the ingress but not for the rules behind it, the rules' call fails:
    the answer is then a 32-byte false, never a true and never the rules' failure passed on.
    (Rules that revert on their own or return odd data cannot be built from the shipped contracts.)"""
    f1 = env.founders[0]
    for data in (tx_data(env, f1.user, env.spare[5]), conn_data(env, f1.node.enode_id, f1.node.host, f1.node.port)):
        assert word(raw_answer(env, env.ingress.address, data, gas=300_000))  # allowed when the rules complete
        lowest = _lowest_gas_that_answers(env, data)
        # the least gas with which the ingress answers at all leaves the rules too little: false
        assert not word(raw_answer(env, env.ingress.address, data, gas=lowest))


# ---------------------------------------------------------------------------------------- gas


def _intrinsic(data: bytes) -> int:
    return 21_000 + sum(16 if b else 4 for b in data)


def _execution_gas(env: Any, fn: Any) -> int:
    """Gas a permission query costs when sent as a transaction, less the transaction's intrinsic gas."""
    sent = send(env, fn, env.spare[1], gas=500_000)
    return sent.gas_used - _intrinsic(bytes.fromhex(fn._encode_transaction_data()[2:]))


def test_transaction_allowed_gas_does_not_grow_with_the_registry(env):
    c, f1 = env.consortium, env.founders[0]
    ask = env.ingress.functions.transactionAllowed
    target = env.spare[5]
    queries = {"member": ask(f1.user, target, 0, 0, 0, b""), "stranger": ask(env.spare[3], target, 0, 0, 0, b""),
               "create": ask(f1.user, ZERO, 0, 0, 0, b"")}
    small = {name: _execution_gas(env, fn) for name, fn in queries.items()}

    govern(env, [action(c, "setMemberLimits", 1002, 64)])
    accounts = [addr(10_000 + i) for i in range(1000)]
    for start in range(0, 1000, 200):
        send_unchecked(env, c.functions.addAccounts(1, accounts[start:start + 200], [TRANSACT] * 200), f1.admin,
                       gas=8_000_000)
    assert c.functions.getMembers(0, 1).call({"from": ZERO})[0][6] == 1002

    large = {name: _execution_gas(env, fn) for name, fn in queries.items()}
    assert large == small
    # a newly added account is answered at the cost of a founding one of the same shape
    assert _execution_gas(env, ask(accounts[-1], target, 0, 0, 0, b"")) == small["member"]
    assert tx_allowed(env, accounts[-1], target) and tx_allowed(env, accounts[0], target)


def test_connection_allowed_gas_does_not_grow_with_the_registry(env):
    c, f1 = env.consortium, env.founders[0]
    ask = env.ingress.functions.connectionAllowed
    # Node ids are real public keys now, and parsing a hex letter costs more than a digit: ids of
    # different letters cost differently. So each query is measured on the same id, small and large;
    # the node added first is measured among few nodes, then among 200 added after it.
    nodes = [signed_node(400 + i, 1, f"10.20.{i // 256}.{i % 256}") for i in range(200)]
    ids = [n[0].hex() for n in nodes]
    govern(env, [action(c, "setMemberLimits", 1000, 201)])
    send(env, c.functions.addNodes(1, nodes[:1]), f1.admin)
    queries = {"member": ask(f1.node.enode_id, f1.node.host, f1.node.port),
               "new member": ask(ids[0], f1.node.host, f1.node.port),
               "unknown": ask("7777" * 32, f1.node.host, f1.node.port),
               "malformed": ask("77" * 63, f1.node.host, f1.node.port)}
    small = {name: _execution_gas(env, fn) for name, fn in queries.items()}

    send_unchecked(env, c.functions.addNodes(1, nodes[1:]), f1.admin, gas=12_000_000)
    assert c.functions.totals().call({"from": ZERO})[3] == 203

    large = {name: _execution_gas(env, fn) for name, fn in queries.items()}
    assert large == small
    assert conn_allowed(env, ids[-1]) and conn_allowed(env, ids[0])


# ------------------------------------------------------------------- rules that misbehave (FaultyRules)

ALLOW_ALL, REVERT, GARBAGE = 0, 1, 2


@pytest.mark.parametrize("mode", [ALLOW_ALL, REVERT, GARBAGE])
def test_rules_that_misbehave_from_the_start_are_refused(env, mode):
    faulty = deploy(env, "FaultyRules", [mode, True, env.founders[0].admin], env.spare[3])
    if mode == ALLOW_ALL:
        check_error(deploy_error(env, "PermissionIngress", [env.consortium.address, faulty.address]),
                    "RulesAllowEveryone", rules=faulty.address)
    else:
        # At deployment no member exists, so there is no one to lock out: the first rules are checked
        # for code, interfaces and outsiders only, and an answer that reverts or is not exactly 32 bytes
        # holding 1 reads "no", as forwarding reads it. The ingress then answers an exact false.
        ingress = deploy(env, "PermissionIngress", [env.consortium.address, faulty.address], env.spare[4])
        f1 = env.founders[0]
        for data in (tx_data(env, f1.admin, env.spare[1]), conn_data(env, f1.node.enode_id, f1.node.host, f1.node.port)):
            assert raw_answer(env, ingress.address, data) == b"\x00" * 32
    # As a replacement, each one is refused.
    calls = [set_rules(env, faulty.address)]
    proposal_id = propose(env, calls, "misbehaving rules")
    vote_through(env, [(proposal_id, calls)])
    err = reverts(env, execute_fn(env, proposal_id, calls, "misbehaving rules"), env.founders[0].admin)
    check_error(err, "RulesAllowEveryone" if mode == ALLOW_ALL else "RulesLockOut", rules=faulty.address)


@pytest.mark.parametrize("mode", [REVERT, GARBAGE])
def test_rules_that_break_later_make_the_ingress_answer_no(env, mode):
    """Rules accepted while they behaved, then broken: the ingress fails closed (an exact 32-byte 0)."""
    executor = env.founders[0].admin
    faulty = deploy(env, "FaultyRules", [mode, False, executor], env.spare[3])
    govern(env, [set_rules(env, faulty.address)], executor=executor)
    assert env.ingress.functions.rules().call() == faulty.address
    assert word(raw_answer(env, env.ingress.address, tx_data(env, executor, env.spare[1])))
    send(env, faulty.functions.breakNow(), env.spare[3])
    for data in (tx_data(env, executor, env.spare[1]), conn_data(env, env.founders[0].node.enode_id, "10.0.0.1", 30303)):
        raw = raw_answer(env, env.ingress.address, data)
        assert raw == b"\x00" * 32


def test_setting_rules_that_would_lock_the_executor_out_is_refused(env):
    faulty = deploy(env, "FaultyRules", [REVERT, False, env.spare[5]], env.spare[3])
    calls = [set_rules(env, faulty.address)]
    proposal_id = propose(env, calls, "permissioning test")
    vote_through(env, [(proposal_id, calls)])
    err = reverts(env, execute_fn(env, proposal_id, calls, "permissioning test"), env.founders[0].admin)
    assert err.name == "RulesLockOut"
    assert env.ingress.functions.rules().call() == env.consortium.address
