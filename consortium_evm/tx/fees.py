"""Transaction fees from a network's gas price policy, and the deployer's funds check.

:func:`transaction_fees` returns the fee fields of the next transaction: ``{"gasPrice": ...}`` or
``{"maxFeePerGas": ..., "maxPriorityFeePerGas": ...}``, ready to merge into a transaction dict.
The policies are described in :mod:`consortium_evm.config.networks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from statistics import median
from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

from consortium_evm.config.fields import (
    AutoGasPrice,
    Eip1559GasPrice,
    GasPolicy,
    LegacyGasPrice,
    ZeroGasPrice,
)
from consortium_evm.errors import ConfigError, DeploymentError, RPCError


def transaction_fees(w3: Web3, policy: GasPolicy) -> dict[str, int]:
    """The fee fields for the next transaction under ``policy``.

    ``zero``: ``gasPrice`` 0, after checking that the latest block has no base fee above 0 (a
    transaction at price 0 would wait forever on such a chain: ConfigError naming the base fee).
    ``legacy``: the fixed or node-suggested
    gas price, capped. ``eip1559``: from the latest base fee and the fee history, capped.
    ``auto``: ``eip1559`` defaults if the latest block has ``baseFeePerGas``, else ``legacy``.
    Node failures raise RPCError; an impossible configuration raises ConfigError.
    """
    if isinstance(policy, ZeroGasPrice):
        base = latest_base_fee(w3)
        if base:
            raise ConfigError(
                f"gas_price policy zero, but the node's latest block has a base fee of {_gwei(base)} ({base} wei): "
                "a transaction at gas price 0 would never be mined on this chain; use the auto or eip1559 "
                "policy for this network (or run the chain with a zero base fee)"
            )
        return {"gasPrice": 0}
    if isinstance(policy, LegacyGasPrice):
        return _legacy(w3, policy)
    if isinstance(policy, Eip1559GasPrice):
        base = latest_base_fee(w3)
        if base is None:
            raise ConfigError(
                "gas_price policy eip1559 needs EIP-1559 blocks, but the node's latest block has no "
                "baseFeePerGas; use the legacy, zero or auto policy for this network"
            )
        return _eip1559(w3, policy, base)
    if isinstance(policy, AutoGasPrice):
        base = latest_base_fee(w3)
        if base is None:
            return _legacy(w3, LegacyGasPrice())
        return _eip1559(w3, Eip1559GasPrice(), base)
    raise TypeError(f"not a gas price policy: {policy!r}")  # pragma: no cover - exhaustive


def latest_base_fee(w3: Web3) -> int | None:
    """The latest block's ``baseFeePerGas``, or ``None`` when the chain has no EIP-1559."""
    try:
        block = w3.eth.get_block("latest")
    except Exception as exc:  # noqa: BLE001 - providers raise their own types
        raise RPCError(f"cannot read the latest block from the node: {exc}") from exc
    base = block.get("baseFeePerGas")
    return None if base is None else int(base)


def node_gas_price(w3: Web3) -> int:
    """The node's suggested legacy gas price (``eth_gasPrice``)."""
    try:
        return int(w3.eth.gas_price)
    except Exception as exc:  # noqa: BLE001
        raise RPCError(f"cannot read the gas price from the node: {exc}") from exc


def suggested_priority_fee(w3: Web3, blocks: int = 10, percentile: float = 50.0, base_fee: int | None = None) -> int:
    """A priority fee (tip) from the node.

    The median, over the last ``blocks`` blocks that had transactions, of each block's
    ``percentile`` reward (``eth_feeHistory``); when there are none, the node's
    ``eth_maxPriorityFeePerGas``; when the node lacks that, its gas price minus ``base_fee``;
    else 0.
    """
    rewards: list[int] = []
    try:
        history: Any = w3.eth.fee_history(blocks, "latest", [percentile])
        ratios = list(history.get("gasUsedRatio") or [])
        for i, reward in enumerate(history.get("reward") or []):
            if reward and (i >= len(ratios) or float(ratios[i]) > 0):
                rewards.append(int(reward[0]))
    except Exception:  # noqa: BLE001 - fee history is optional: fall back below
        rewards = []
    if rewards:
        return int(median(rewards))
    try:
        return _node_max_priority_fee(w3)
    except Exception:  # noqa: BLE001 - not every client has it
        pass
    if base_fee is not None:
        try:
            return max(int(w3.eth.gas_price) - base_fee, 0)
        except Exception:  # noqa: BLE001
            pass
    return 0


def _node_max_priority_fee(w3: Web3) -> int:
    """``eth_maxPriorityFeePerGas`` as such (``w3.eth.max_priority_fee`` would fall back, with a
    warning, to a fee-history estimate of its own)."""
    answer: Any = w3.manager.request_blocking(RPCEndpoint("eth_maxPriorityFeePerGas"), [])
    return int(answer, 16) if isinstance(answer, str) else int(answer)


def _legacy(w3: Web3, policy: LegacyGasPrice) -> dict[str, int]:
    price = policy.price if policy.price is not None else node_gas_price(w3)
    if policy.max_price is not None:
        price = min(price, policy.max_price)
    return {"gasPrice": price}


def _eip1559(w3: Web3, policy: Eip1559GasPrice, base: int) -> dict[str, int]:
    if policy.max_fee_cap is not None and policy.max_fee_cap < base:
        raise ConfigError(
            f"the node's base fee is {_gwei(base)}, above max_fee_cap {_gwei(policy.max_fee_cap)}: a "
            "transaction would not be mined until the base fee falls; raise max_fee_cap"
        )
    if policy.priority_fee is not None:
        tip = policy.priority_fee
    else:
        tip = suggested_priority_fee(w3, policy.history_blocks, policy.reward_percentile, base)
    if policy.priority_fee_cap is not None:
        tip = min(tip, policy.priority_fee_cap)
    max_fee = int(Decimal(base) * Decimal(str(policy.base_fee_multiplier))) + tip
    if policy.max_fee_cap is not None:
        max_fee = min(max_fee, policy.max_fee_cap)
    return {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": min(tip, max_fee)}


def price_per_gas(fees: Mapping[str, int]) -> int:
    """The most a unit of gas can cost with ``fees``: ``gasPrice`` or ``maxFeePerGas``."""
    if "gasPrice" in fees:
        return int(fees["gasPrice"])
    if "maxFeePerGas" in fees:
        return int(fees["maxFeePerGas"])
    raise ValueError(f"no gasPrice or maxFeePerGas in {dict(fees)!r}")


def required_funds(gas: int, fees: Mapping[str, int], value: int = 0) -> int:
    """Wei an account needs to pay for ``gas`` at ``fees`` (the maximum), plus ``value`` sent."""
    return int(gas) * price_per_gas(fees) + int(value)


def check_funds(w3: Web3, address: str, gas: int, fees: Mapping[str, int], value: int = 0) -> None:
    """Check that ``address`` can pay for ``gas`` at ``fees`` (plus ``value`` sent).

    Raises DeploymentError ("account X has N wei; the deployment needs about M wei at the
    configured gas price") when it cannot. Nothing is checked when the price is zero (and no value
    is sent): consortium chains that do not charge for gas need no funded deployer.
    """
    total = required_funds(gas, fees, value)
    if total == 0:
        return
    try:
        balance = int(w3.eth.get_balance(Web3.to_checksum_address(address)))
    except Exception as exc:  # noqa: BLE001
        raise RPCError(f"cannot read the balance of {address} from the node: {exc}") from exc
    if balance < total:
        sent = f" plus {value} wei sent" if value else ""
        raise DeploymentError(
            f"account {address} has {balance} wei ({_ether(balance)}); the deployment needs about "
            f"{total} wei ({_ether(total)}) at the configured gas price ({_gwei(price_per_gas(fees))} "
            f"× {gas:,} gas{sent})"
        )


def _gwei(wei: int) -> str:
    return f"{Decimal(wei) / Decimal(10**9):f} gwei"


def _ether(wei: int) -> str:
    text = f"{Decimal(wei) / Decimal(10**18):.6f}".rstrip("0").rstrip(".")
    return f"{text} ETH"


__all__ = [
    "GasPolicy",
    "check_funds",
    "latest_base_fee",
    "node_gas_price",
    "price_per_gas",
    "required_funds",
    "suggested_priority_fee",
    "transaction_fees",
]
