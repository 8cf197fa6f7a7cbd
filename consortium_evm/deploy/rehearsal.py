"""The rehearsal: a whole deployment run first on a private copy of the EVM, to know each step's gas.

A pipelined deployment signs every step before the first is sent, so it cannot ask the node to
estimate step 3 (it calls a contract that step 1 has not created yet). It runs the same plan on the
embedded chain instead (py-evm, with the network's EVM rules from block 0): every step must succeed
there, and each one's estimate there, times the usual headroom, is its gas limit on the network.
The deployment's transactions touch only the contracts it creates, so the gas is the same on any
chain with those rules, give or take the cost of the address bytes in the calldata, which the
headroom covers many times over. A step that reverts in the rehearsal stops the deployment before
anything is sent, with the contract's named error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from consortium_evm.domain.revert import ErrorTable, decode_revert, revert_data
from consortium_evm.errors import DeploymentError, DeploymentRevertError
from consortium_evm.node.tester import tester_web3

from consortium_evm.deploy.plan import Plan


def rehearse(make_plan: Callable[[str, int], Plan], evm_version: str, errors: ErrorTable) -> dict[str, int]:
    """Each step's gas estimate, by name, from running ``make_plan(deployer, first_nonce)`` on a
    fresh embedded chain with ``evm_version``'s rules."""
    w3 = tester_web3(accounts=1, evm_version=evm_version)
    deployer = w3.eth.accounts[0]
    plan = make_plan(deployer, 0)
    gas: dict[str, int] = {}
    for step in plan.steps:
        tx: dict[str, Any] = {"from": deployer, "data": step.data, "value": 0}
        if step.to is not None:
            tx["to"] = step.to
        try:
            estimate = int(w3.eth.estimate_gas(cast(Any, tx)))
            tx_hash = w3.eth.send_transaction(cast(Any, {**tx, "gas": estimate}))
            receipt = w3.eth.get_transaction_receipt(tx_hash)
        except Exception as exc:  # noqa: BLE001 - eth-tester's own types
            data = revert_data(exc)
            reason = decode_revert(data, errors) if data is not None else exc
            raise DeploymentRevertError(f"step '{step.name}' would revert: {reason}") from exc
        if receipt["status"] != 1:
            raise DeploymentError(f"step '{step.name}' failed when rehearsed on the embedded chain (EVM {evm_version})")
        gas[step.name] = estimate
    return gas
