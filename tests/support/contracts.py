"""Sending to the deployed contracts and checking their refusals: the one copy the contract tests
(tests/contracts/) share."""

from __future__ import annotations

from typing import Any

import pytest

from consortium_evm.deploy.suite import suite_abis
from consortium_evm.errors import ContractRevertError
from consortium_evm.tx.transactions import Sent, Transactor

GAS = 5_000_000
"""A fixed gas limit: eth-tester estimates gas by running the call ~20 times."""
ABIS = suite_abis()
"""The suite's ABIs: a revert of any of its contracts decodes to its named error."""
TRANSACT, DEPLOY, ADMIN = 1, 2, 4
"""Role flags (``domain.spec.Role``) as the contracts take them."""
AGAINST, FOR, ABSTAIN = 0, 1, 2
"""Votes (``client.Support``) as the contracts take them."""
ZERO = "0x" + "00" * 20

Call = tuple[str, int, bytes]
"""A proposal action: target, value, calldata."""


def send(env: Any, fn: Any, sender: str, gas: int = GAS, abis: list[Any] | None = None) -> Sent:
    """Simulate, then send ``fn`` from ``sender`` with a fixed gas limit; a revert raises the named
    ContractRevertError (decoded with ``abis``, by default the suite's)."""
    return Transactor(env.w3, sender, abis or ABIS).send(fn, gas=gas)


def reverts(env: Any, fn: Any, sender: str, abis: list[Any] | None = None) -> ContractRevertError:
    """The error ``fn`` reverts with when ``sender`` calls it (simulated only, nothing is sent)."""
    with pytest.raises(ContractRevertError) as info:
        Transactor(env.w3, sender, abis or ABIS).simulate(fn)
    return info.value


def norm(value: Any) -> Any:
    """A value as the checks compare it: strings (addresses) in lower case, bytes as 0x-hex."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value


def check_error(err: ContractRevertError, name: str, **args: Any) -> None:
    """``err`` is the custom error ``name`` with exactly these arguments."""
    assert err.name == name, str(err)
    assert {k: norm(v) for k, v in err.args_by_name.items()} == {k: norm(v) for k, v in args.items()}, str(err)


def refused(env: Any, fn: Any, sender: str, name: str, **expected: Any) -> ContractRevertError:
    """Sending ``fn`` is refused with custom error ``name`` (and these of its arguments)."""
    with pytest.raises(ContractRevertError) as info:
        send(env, fn, sender)
    err = info.value
    assert err.name == name, str(err)
    for key, value in expected.items():
        assert norm(err.args_by_name[key]) == norm(value), str(err)
    return err


def fund(env: Any, address: str) -> None:
    """Credit ether to an address (a contract too) without calling it (a withdrawal), so that it can
    be an eth_call sender."""
    env.w3.provider.ethereum_tester.backend.apply_withdrawals(
        [{"index": 0, "validator_index": 0, "address": address, "amount": 10**9}]
    )
