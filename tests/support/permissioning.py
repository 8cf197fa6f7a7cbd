"""Helpers of the permissioning contract tests (tests/contracts/test_permissioning.py,
test_ingress_probes.py): the ingress's and the Consortium's raw answers, rules deployed and installed
through governance. A plugin (tests/conftest.py): ``zero_address_can_call`` is a fixture."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from consortium_evm.compiler import load_artifact
from consortium_evm.deploy.suite import contract_at
from consortium_evm.errors import ContractRevertError
from consortium_evm.tx.transactions import Sent
from tests.support.consortium import VOTING_PERIOD, Env, enode
from tests.support.contracts import ABIS, ZERO, fund, reverts, send
from tests.support.governance import execute_fn, propose

OUTSIDER = Web3.to_checksum_address(bytes(Web3.keccak(text="consortium-evm.ingress.outsider"))[-20:])
"""PermissionIngress's former fixed probe address (before issue 14): no longer special."""
FLOORS = (VOTING_PERIOD, 3600)
"""(minVotingPeriod, minExpiryPeriod) of the Consortiums deployed by these tests."""


@pytest.fixture
def zero_address_can_call(env: Env) -> None:
    """Clients ask from the zero address; eth-tester makes even an eth_call's sender afford its gas."""
    fund(env, ZERO)


def addr(n: int) -> str:
    return Web3.to_checksum_address("0xb2" + f"{n:038x}")


def enode_id(n: int) -> str:
    """Test node ``n``'s enode id, a real public key (the founders' nodes are 1 to 3, as in tests/support/consortium.py)."""
    return enode(n)


def send_unchecked(env: Any, fn: Any, sender: str, gas: int) -> None:
    """Send a large batch without simulating it first; it must succeed."""
    receipt = env.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender, "gas": gas}))
    assert receipt["status"] == 1


def events(contract: Contract, name: str, sent: Sent) -> list[Any]:
    return [e.args for e in getattr(contract.events, name)().process_receipt(sent.receipt, errors=DISCARD)]


def action(contract: Contract, name: str, *args: Any) -> tuple[str, int, bytes]:
    return (contract.address, 0, bytes.fromhex(contract.encode_abi(name, list(args))[2:]))


def set_rules(env: Any, rules: str, founder: int = 0) -> tuple[str, int, bytes]:
    """``setRules`` as a proposal action, naming a founder's registered node for the node probe."""
    node = env.founders[founder].node
    return action(env.ingress, "setRules", rules, node.public_key, node.host, node.port)


def vote_through(env: Any, proposals: list[tuple[int, Any]], voters: tuple[int, ...] = (0, 1)) -> None:
    for proposal_id, _ in proposals:
        for i in voters:
            send(env, env.consortium.functions.castVote(proposal_id, 1), env.founders[i].admin)
    env.advance(VOTING_PERIOD + 1)


def govern(env: Any, calls: list[tuple[str, int, bytes]], voters: tuple[int, ...] = (0, 1),
           executor: str | None = None) -> Sent:
    """Propose, vote (founders 1 and 2 by default: 75 of 100), wait and execute."""
    proposal_id = propose(env, calls, "permissioning test")
    vote_through(env, [(proposal_id, calls)], voters)
    return send(env, execute_fn(env, proposal_id, calls, "permissioning test"), executor or env.founders[0].admin)


def raw_answer(env: Any, to: str, data: str, sender: str | None = ZERO, gas: int | None = None) -> bytes:
    tx: dict[str, Any] = {"to": to, "data": data}
    if sender is not None:
        tx["from"] = sender
    if gas is not None:
        tx["gas"] = gas
    return bytes(env.w3.eth.call(tx))


def word(raw: bytes) -> bool:
    """The answer as Besu reads it: exactly one 32-byte word holding 0 or 1."""
    assert len(raw) == 32, raw.hex()
    assert int.from_bytes(raw, "big") in (0, 1), raw.hex()
    return raw[-1] == 1


def tx_data(env: Any, sender: str, target: str) -> str:
    return env.ingress.encode_abi("transactionAllowed", [sender, target, 10**18, 10**9, 90_000, b"\x12\x34"])


def conn_data(env: Any, enode: str, host: str, port: int) -> str:
    return env.ingress.encode_abi("connectionAllowed", [enode, host, port])


def tx_allowed(env: Any, sender: str, target: str, direct: bool = True) -> bool:
    """The ingress's answer; with ``direct``, also the Consortium's own, which must agree."""
    answer = word(raw_answer(env, env.ingress.address, tx_data(env, sender, target)))
    if direct:
        assert word(raw_answer(env, env.consortium.address, tx_data(env, sender, target))) == answer
    return answer


def conn_allowed(env: Any, enode: str, host: str = "192.168.1.1", port: int = 30303, direct: bool = True) -> bool:
    answer = word(raw_answer(env, env.ingress.address, conn_data(env, enode, host, port)))
    if direct:
        assert word(raw_answer(env, env.consortium.address, conn_data(env, enode, host, port))) == answer
    return answer


def deploy(env: Any, name: str, args: list[Any], deployer: str) -> Contract:
    art = load_artifact(name)
    fn = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(*args)
    sent = send(env, fn, deployer, gas=8_000_000, abis=[*ABIS, art.abi])
    return contract_at(env.w3, name, sent.contract_address)


def deploy_error(env: Any, name: str, args: list[Any]) -> ContractRevertError:
    art = load_artifact(name)
    fn = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(*args)
    return reverts(env, fn, env.spare[4], [*ABIS, art.abi])
