"""Fees for the next transaction under each gas price policy, against the embedded chain (which
has a base fee) and a JSON-RPC stub (which has none, or a chosen fee history); the funds check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from consortium_evm.config.fields import AutoGasPrice, Eip1559GasPrice, LegacyGasPrice, ZeroGasPrice
from consortium_evm.errors import ConfigError, DeploymentError
from consortium_evm.node.tester import tester_web3
from consortium_evm.tx.fees import (
    check_funds,
    latest_base_fee,
    price_per_gas,
    required_funds,
    suggested_priority_fee,
    transaction_fees,
)
from tests.support.rpc_stub import RpcStub

GWEI = 10**9
EMPTY = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture(scope="module")
def w3() -> Web3:
    return tester_web3()


@pytest.fixture
def stub() -> Iterator[RpcStub]:
    """No base fee, gas price 2 gwei."""
    with RpcStub(chain_id=4242) as server:
        yield server


def stub_web3(stub: RpcStub) -> Web3:
    return Web3(HTTPProvider(stub.url, request_kwargs={"timeout": 5}))


def base_fee(w3: Web3) -> int:
    value = latest_base_fee(w3)
    assert value is not None and value > 0
    return value


# -- zero and legacy ------------------------------------------------------------------------------


def test_zero_asks_only_for_the_latest_block(stub: RpcStub) -> None:
    assert transaction_fees(stub_web3(stub), ZeroGasPrice()) == {"gasPrice": 0}
    assert stub.calls == ["eth_getBlockByNumber"]  # is there a base fee? (issue 14, item 14)


def test_zero_on_a_chain_with_a_base_fee_is_refused_naming_it(w3: Web3) -> None:
    """Issue 14, item 14: a transaction at gas price 0 waits forever where blocks have a base fee."""
    base = base_fee(w3)
    with pytest.raises(ConfigError) as info:
        transaction_fees(w3, ZeroGasPrice())
    message = str(info.value)
    assert "latest block has a base fee of " in message and f"({base} wei)" in message
    assert "use the auto or eip1559 policy" in message
    with RpcStub(base_fee=7 * GWEI) as node:
        with pytest.raises(ConfigError, match=r"base fee of 7 gwei \(7000000000 wei\)"):
            transaction_fees(stub_web3(node), ZeroGasPrice())
    with RpcStub(base_fee=0) as node:  # a London chain that charges nothing (Besu's zero base fee)
        assert transaction_fees(stub_web3(node), ZeroGasPrice()) == {"gasPrice": 0}


def test_the_transactor_refuses_zero_on_a_chain_with_a_base_fee_before_sending() -> None:
    from consortium_evm.chain.connect import Connection, connect
    from consortium_evm.config.networks import tester_network

    tester = connect("tester")
    connection = Connection(tester.w3, tester_network(), ZeroGasPrice(), tester.accounts)
    sender = tester.w3.eth.accounts[1]
    transactor = connection.transactor(sender)
    block = tester.w3.eth.block_number
    with pytest.raises(ConfigError, match="gas_price policy zero, but the node's latest block has a base fee"):
        transactor.transact(EMPTY, value=1)
    assert tester.w3.eth.block_number == block and tester.w3.eth.get_transaction_count(sender) == 0


def test_legacy_fixed_price_asks_nothing(stub: RpcStub) -> None:
    assert transaction_fees(stub_web3(stub), LegacyGasPrice(price=3 * GWEI)) == {"gasPrice": 3 * GWEI}
    assert stub.calls == []


def test_legacy_node_suggested_and_capped(stub: RpcStub, w3: Web3) -> None:
    assert transaction_fees(stub_web3(stub), LegacyGasPrice()) == {"gasPrice": 2 * GWEI}
    assert transaction_fees(stub_web3(stub), LegacyGasPrice(max_price=GWEI)) == {"gasPrice": GWEI}
    assert transaction_fees(w3, LegacyGasPrice()) == {"gasPrice": int(w3.eth.gas_price)}


# -- eip1559 --------------------------------------------------------------------------------------


def test_eip1559_on_the_embedded_chain(w3: Web3) -> None:
    base = base_fee(w3)
    tip = int(w3.eth.max_priority_fee)  # eth-tester has no fee history: the node's suggestion
    assert transaction_fees(w3, Eip1559GasPrice()) == {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}


def test_eip1559_settings_and_caps(w3: Web3) -> None:
    base = base_fee(w3)
    fees = transaction_fees(w3, Eip1559GasPrice(priority_fee=5, base_fee_multiplier=1.5))
    assert fees == {"maxFeePerGas": base * 3 // 2 + 5, "maxPriorityFeePerGas": 5}
    fees = transaction_fees(w3, Eip1559GasPrice(priority_fee_cap=7))
    assert fees == {"maxFeePerGas": 2 * base + 7, "maxPriorityFeePerGas": 7}
    fees = transaction_fees(w3, Eip1559GasPrice(max_fee_cap=base + 3))
    assert fees["maxFeePerGas"] == base + 3
    assert fees["maxPriorityFeePerGas"] <= fees["maxFeePerGas"]


def test_eip1559_cap_below_the_base_fee_is_refused(w3: Web3) -> None:
    base = base_fee(w3)
    with pytest.raises(ConfigError, match="above max_fee_cap"):
        transaction_fees(w3, Eip1559GasPrice(max_fee_cap=base - 1))


def test_eip1559_without_a_base_fee_is_refused(stub: RpcStub) -> None:
    with pytest.raises(ConfigError, match="no baseFeePerGas; use the legacy, zero or auto policy"):
        transaction_fees(stub_web3(stub), Eip1559GasPrice())


def test_priority_fee_from_the_fee_history_ignores_empty_blocks() -> None:
    history = {
        "oldestBlock": "0xc",
        "baseFeePerGas": [hex(7 * GWEI)] * 5,
        "gasUsedRatio": [0.5, 0.0, 0.3, 0.9],
        "reward": [[hex(1 * GWEI)], ["0x0"], [hex(3 * GWEI)], [hex(2 * GWEI)]],
    }
    with RpcStub(base_fee=7 * GWEI, fee_history=history, max_priority_fee=9 * GWEI) as node:
        fees = transaction_fees(stub_web3(node), AutoGasPrice())
        assert fees == {"maxFeePerGas": 14 * GWEI + 2 * GWEI, "maxPriorityFeePerGas": 2 * GWEI}
        assert "eth_feeHistory" in node.calls and "eth_maxPriorityFeePerGas" not in node.calls


def test_priority_fee_fallbacks() -> None:
    quiet = {"oldestBlock": "0x1", "baseFeePerGas": ["0x0"] * 3, "gasUsedRatio": [0.0, 0.0], "reward": [["0x0"], ["0x0"]]}
    with RpcStub(base_fee=GWEI, fee_history=quiet, max_priority_fee=9) as node:
        assert suggested_priority_fee(stub_web3(node), base_fee=GWEI) == 9  # eth_maxPriorityFeePerGas
    with RpcStub(base_fee=GWEI, gas_price=GWEI + 11) as node:
        # no eth_feeHistory nor eth_maxPriorityFeePerGas (web3's own fallback needs the history)
        assert suggested_priority_fee(stub_web3(node), base_fee=GWEI) == 11  # gas price - base fee
    with RpcStub(base_fee=0, gas_price=0) as node:
        assert transaction_fees(stub_web3(node), AutoGasPrice()) == {"maxFeePerGas": 0, "maxPriorityFeePerGas": 0}


# -- auto -----------------------------------------------------------------------------------------


def test_auto_detects_eip1559_on_the_embedded_chain(w3: Web3) -> None:
    assert transaction_fees(w3, AutoGasPrice()) == transaction_fees(w3, Eip1559GasPrice())


def test_auto_detects_legacy_without_a_base_fee(stub: RpcStub) -> None:
    assert transaction_fees(stub_web3(stub), AutoGasPrice()) == {"gasPrice": 2 * GWEI}
    assert stub.calls == ["eth_getBlockByNumber", "eth_gasPrice"]


@pytest.mark.parametrize("policy", [AutoGasPrice(), Eip1559GasPrice(priority_fee_cap=GWEI), LegacyGasPrice()])
def test_the_fees_are_accepted_by_the_chain(w3: Web3, policy: Any) -> None:
    sender, receiver = list(w3.eth.accounts)[:2]
    tx: Any = {"from": sender, "to": receiver, "value": 1, "gas": 21_000, **transaction_fees(w3, policy)}
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))
    assert receipt["status"] == 1


# -- funds ----------------------------------------------------------------------------------------


def test_required_funds() -> None:
    assert required_funds(100_000, {"gasPrice": 2 * GWEI}) == 200_000 * GWEI
    assert required_funds(100_000, {"maxFeePerGas": 3 * GWEI, "maxPriorityFeePerGas": GWEI}, value=5) == 300_000 * GWEI + 5
    assert required_funds(5_000_000, {"gasPrice": 0}) == 0
    assert price_per_gas({"maxFeePerGas": 7, "maxPriorityFeePerGas": 1}) == 7
    with pytest.raises(ValueError):
        price_per_gas({})


def test_check_funds(w3: Web3) -> None:
    fees = transaction_fees(w3, AutoGasPrice())
    check_funds(w3, w3.eth.accounts[0], 5_000_000, fees)  # funded: no error
    with pytest.raises(DeploymentError) as info:
        check_funds(w3, EMPTY, 5_000_000, fees)
    needed = 5_000_000 * fees["maxFeePerGas"]
    assert str(info.value).startswith(
        f"account {EMPTY} has 0 wei (0 ETH); the deployment needs about {needed} wei"
    )
    assert "at the configured gas price" in str(info.value)


def test_check_funds_is_skipped_at_zero_price(stub: RpcStub) -> None:
    check_funds(stub_web3(stub), EMPTY, 5_000_000, {"gasPrice": 0})
    assert stub.calls == []
    with pytest.raises(DeploymentError, match="has 0 wei"):
        check_funds(stub_web3(stub), EMPTY, 5_000_000, {"gasPrice": 0}, value=1)


def test_check_funds_against_a_node_balance() -> None:
    with RpcStub(balance=10**18) as node:
        check_funds(stub_web3(node), EMPTY, 1_000_000, {"gasPrice": 10**12})
        with pytest.raises(DeploymentError, match=r"has 1000000000000000000 wei \(1 ETH\); the deployment needs about 2000000000000000000 wei"):
            check_funds(stub_web3(node), EMPTY, 2_000_000, {"gasPrice": 10**12})
