"""Helpers of the registry's contract tests (tests/contracts/test_registry.py and the tests of admin
and node consent): test accounts, nodes and keys, reads, and governance in one call."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.suite import contract_at
from consortium_evm.domain.signatures import sign_admin_acceptance
from consortium_evm.domain.spec import node_key
from consortium_evm.tx.transactions import Sent
from tests.support.consortium import FLOORS, SETTINGS, VOTING_PERIOD, enode, signed_node
from tests.support.contracts import send
from tests.support.governance import execute_fn, propose


def addr(n: int) -> str:
    """A distinct address nobody holds (test account ``n``)."""
    return Web3.to_checksum_address("0xa1" + f"{n:038x}")


def enode_id(n: int) -> str:
    """Test node ``n``'s enode id (the founders' nodes are 1 to 3, as in tests/support/consortium.py)."""
    return enode(n)


def node(n: int, host: str | None = None, port: int = 30303, member: int = 4) -> tuple[bytes, str, int, bytes]:
    """The ``NodeSpec`` tuple of test node ``n``, with its consent to be registered for ``member``
    (by default the next member added)."""
    return signed_node(n, member, host, port)


def signer(n: int) -> LocalAccount:
    """A key nobody else holds (unfunded: it accepts an admin registration by signature)."""
    return Account.from_key(Web3.keccak(text=f"registry test signer {n}"))


def accept_by_sig(env: Any, account: LocalAccount, member_id: int) -> Sent:
    """``account`` accepts its pending admin registration for ``member_id``; a spare account submits it."""
    nonce = view(env, env.consortium.functions.accountInfo(account.address))[3]
    signature = sign_admin_acceptance(account, member_id, nonce, env.w3.eth.chain_id, env.consortium.address)
    return send(env, env.consortium.functions.acceptAdminBySig(account.address, signature), env.spare[0])


def host_hash(host: str) -> bytes:
    return bytes(Web3.keccak(text=host))[:26]


def hexkey(n: int) -> str:
    return "0x" + node_key(enode_id(n)).hex()


def view(env: Any, fn: Any) -> Any:
    """A read (with an explicit ``from``: eth-tester is slow at guessing one)."""
    return fn.call({"from": env.spare[-1]})


def account_infos(env: Any, accounts: list[str]) -> list[tuple[int, int, bool, int]]:
    """``accountInfo`` of many accounts, read straight from the embedded chain (web3 is slow in bulk)."""
    tester, c = env.w3.provider.ethereum_tester, env.consortium
    out = []
    for account in accounts:
        call = {"from": env.spare[-1], "to": c.address, "data": c.encode_abi("accountInfo", [account])}
        raw = bytes.fromhex(tester.call(call, "latest")[2:])
        out.append(tuple(env.w3.codec.decode(["uint32", "uint8", "bool", "uint64"], raw)))
    return out


def events(env: Any, name: str, sent: Sent, contract: Contract | None = None) -> list[Any]:
    contract = contract or env.consortium
    return [e.args for e in getattr(contract.events, name)().process_receipt(sent.receipt, errors=DISCARD)]


def govern(
    env: Any,
    calls: list[tuple[str, int, bytes]],
    voters: tuple[int, ...] = (0, 1),
    gas: int | None = None,
    description: str = "registry test",
) -> Sent:
    """Propose ``calls``, have the given founders vote for, wait, execute; returns the execution."""
    proposal_id = propose(env, calls, description, sender=env.founders[voters[0]].admin)
    for i in voters:
        send(env, env.consortium.functions.castVote(proposal_id, 1), env.founders[i].admin)
    env.advance(VOTING_PERIOD + 1)
    return send(env, execute_fn(env, proposal_id, calls, description), env.spare[0], gas=gas or 5_000_000)


def member(env: Any, member_id: int) -> tuple[Any, ...]:
    """``getMembers(id - 1, 1)``: (id, name, metadataURI, weight, status, joinedAt, accounts, admins, nodes)."""
    (page,) = view(env, env.consortium.functions.getMembers(member_id - 1, 1))
    return tuple(page)


def totals(env: Any) -> tuple[int, ...]:
    """(memberCount, activeMembers, activeAdmins, activeNodes, totalActiveWeight, totalWeight)."""
    return tuple(view(env, env.consortium.functions.totals()))


def deploy_consortium(env: Any, deployer: str) -> Contract:
    """A new, not yet started Consortium: ``deployer`` is its bootstrapper."""
    art = load_artifact("Consortium")
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    sent = send(env, factory.constructor(SETTINGS, FLOORS, (1000, 64)), deployer, gas=8_000_000)
    return contract_at(env.w3, "Consortium", sent.contract_address)
