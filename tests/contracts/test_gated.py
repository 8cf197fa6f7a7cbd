"""ConsortiumGated through its example, the NoticeBoard: members' accounts post, member admins pin,
everyone else is refused, and suspension or removal closes access at once."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.suite import contract_at
from consortium_evm.domain.signatures import sign_admin_acceptance
from consortium_evm.node.tester import tester_accounts
from consortium_evm.tx.transactions import Sent
from tests.support.consortium import VOTING_PERIOD
from tests.support.contracts import ABIS as SUITE_ABIS
from tests.support.contracts import ADMIN, DEPLOY, TRANSACT, check_error, reverts, send

ABIS = [*SUITE_ABIS, load_artifact("NoticeBoard").abi]


def events(contract: Contract, name: str, sent: Sent) -> list[Any]:
    return [e.args for e in getattr(contract.events, name)().process_receipt(sent.receipt, errors=DISCARD)]


def govern(env: Any, calls: list[tuple[str, Any]], voters: tuple[int, ...] = (0, 1)) -> None:
    """Pass and execute a proposal of calls to the Consortium, given as (function name, args)."""
    c = env.consortium
    actions = [(c.address, 0, bytes.fromhex(c.encode_abi(name, list(args))[2:])) for name, args in calls]
    targets, values, datas = [a[0] for a in actions], [a[1] for a in actions], [a[2] for a in actions]
    sent = send(env, c.functions.propose(targets, values, datas, "gated test"), env.founders[voters[0]].admin)
    (created,) = events(c, "ProposalCreated", sent)
    for i in voters:
        send(env, c.functions.castVote(created.proposalId, 1), env.founders[i].admin)
    env.advance(VOTING_PERIOD + 1)
    send(env, c.functions.execute(created.proposalId, targets, values, datas, Web3.keccak(text="gated test")),
         env.spare[0])


@pytest.fixture
def board(env) -> Contract:
    art = load_artifact("NoticeBoard")
    fn = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(env.consortium.address)
    sent = send(env, fn, env.spare[4])
    return contract_at(env.w3, "NoticeBoard", sent.contract_address)


def post(env: Any, board: Contract, sender: str, text: str) -> int:
    sent = send(env, board.functions.post(text), sender)
    (posted,) = events(board, "NoticePosted", sent)
    assert (posted.author, posted.text) == (sender, text)
    return int(posted.number)


def test_member_accounts_post(env, board):
    f1, f2 = env.founders[0], env.founders[1]
    assert board.functions.consortium().call({"from": f1.user}) == env.consortium.address
    assert board.functions.post("hello").call({"from": f1.user}) == 1
    assert post(env, board, f1.user, "hello") == 1  # a transact-only account
    assert post(env, board, f2.admin, "hi") == 2  # an admin account
    assert board.functions.noticeCount().call({"from": f1.user}) == 2


def test_outsiders_are_refused(env, board):
    for outsider in (env.spare[3], env.deployer):
        check_error(reverts(env, board.functions.post("let me in"), outsider, ABIS), "NotConsortiumMember", account=outsider)
        check_error(reverts(env, board.functions.pin(1), outsider, ABIS), "MissingRole", account=outsider, flag=ADMIN)


def test_unaffiliated_account_is_not_a_member(env, board):
    x = env.spare[3]
    govern(env, [("setUnaffiliatedAccount", (x, TRANSACT | DEPLOY))])
    assert env.consortium.functions.accountAccess(x).call({"from": x}) == TRANSACT | DEPLOY  # it may transact ...
    check_error(reverts(env, board.functions.post("service"), x, ABIS), "NotConsortiumMember", account=x)  # ... but is no member
    post(env, board, env.founders[0].user, "first")
    check_error(reverts(env, board.functions.pin(1), x, ABIS), "MissingRole", account=x, flag=ADMIN)


def test_pin_needs_the_admin_flag(env, board):
    f1, f2 = env.founders[0], env.founders[1]
    post(env, board, f1.user, "one")
    post(env, board, f1.user, "two")
    check_error(reverts(env, board.functions.pin(1), f1.user, ABIS), "MissingRole", account=f1.user, flag=ADMIN)
    sent = send(env, board.functions.pin(2), f2.admin)
    assert [(e.number, e.by) for e in events(board, "NoticePinned", sent)] == [(2, f2.admin)]
    assert board.functions.pinned().call({"from": f1.user}) == 2
    check_error(reverts(env, board.functions.pin(0), f1.admin, ABIS), "UnknownNotice", number=0)
    check_error(reverts(env, board.functions.pin(3), f1.admin, ABIS), "UnknownNotice", number=3)
    # an account holding only the admin flag may pin, and post as a member's account, once it has
    # accepted its registration (pending, it holds no flag in force): by signature, as an admin-only
    # account cannot send on a permissioned chain
    admin_only = env.spare[3]
    send(env, env.consortium.functions.addAccounts(1, [admin_only], [ADMIN]), f1.admin)
    check_error(reverts(env, board.functions.pin(1), admin_only, ABIS), "MissingRole", account=admin_only, flag=ADMIN)
    (key,) = [a for a in tester_accounts(20) if a.address == admin_only]
    nonce = env.consortium.functions.accountInfo(admin_only).call()[3]
    signature = sign_admin_acceptance(key, 1, nonce, env.w3.eth.chain_id, env.consortium.address)
    send(env, env.consortium.functions.acceptAdminBySig(admin_only, signature), f1.admin)
    send(env, board.functions.pin(1), admin_only)
    assert board.functions.pinned().call({"from": f1.user}) == 1
    post(env, board, admin_only, "three")


def test_suspension_closes_access_at_once_and_reinstatement_reopens_it(env, board):
    f2 = env.founders[1]
    post(env, board, f2.user, "before")
    govern(env, [("suspendMember", (2,))])
    check_error(reverts(env, board.functions.post("during"), f2.user, ABIS), "NotConsortiumMember", account=f2.user)
    check_error(reverts(env, board.functions.post("during"), f2.admin, ABIS), "NotConsortiumMember", account=f2.admin)
    check_error(reverts(env, board.functions.pin(1), f2.admin, ABIS), "MissingRole", account=f2.admin, flag=ADMIN)
    post(env, board, env.founders[0].user, "others carry on")
    govern(env, [("reinstateMember", (2,))], voters=(0, 2))  # 65 of the 65 active
    post(env, board, f2.user, "after")
    send(env, board.functions.pin(1), f2.admin)


def test_removed_member_is_refused(env, board):
    f3 = env.founders[2]
    govern(env, [("removeMember", (3,))])
    check_error(reverts(env, board.functions.post("gone"), f3.user, ABIS), "NotConsortiumMember", account=f3.user)
    post(env, board, env.founders[0].user, "first")
    check_error(reverts(env, board.functions.pin(1), f3.admin, ABIS), "MissingRole", account=f3.admin, flag=ADMIN)
