"""The field types of ``networks.yaml``: amounts in wei (``"5 gwei"``), environment variable names, the
strict model base, and the gas price policies (``zero``, ``legacy``, ``eip1559``, ``auto``) a network
sets for its transactions."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from consortium_evm.domain.spec import parse_address
from consortium_evm.errors import ConfigError


# -- value types --------------------------------------------------------------------------------

_UNITS: dict[str, int] = {
    "wei": 1,
    "kwei": 10**3,
    "mwei": 10**6,
    "gwei": 10**9,
    "szabo": 10**12,
    "finney": 10**15,
    "ether": 10**18,
}
_AMOUNT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)?\s*")


def parse_wei(value: Any) -> Any:
    """An amount of wei from an int or a string like ``"2 gwei"``; other values pass to pydantic."""
    if isinstance(value, bool):
        raise ValueError("expected an amount of wei (an integer, or a string like '2 gwei'), not a boolean")
    if isinstance(value, float):
        raise ValueError("write an integer number of wei, or a string with a unit such as '1.5 gwei'")
    if not isinstance(value, str):
        return value
    match = _AMOUNT.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not an amount of wei: write an integer, or a number and a unit such as '2 gwei'")
    number, unit = match.group(1), (match.group(2) or "wei").lower()
    if unit not in _UNITS:
        raise ValueError(f"unknown unit {unit!r}; use one of: {', '.join(_UNITS)}")
    try:
        amount = Decimal(number) * _UNITS[unit]
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"{value!r} is not a number") from exc
    if amount != amount.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number of wei")
    return int(amount)


def no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("Input should be a valid integer, not a boolean")
    return value


Wei = Annotated[int, BeforeValidator(parse_wei), Field(ge=0)]
"""A non-negative amount of wei (``2 gwei`` and the like are accepted)."""

def _env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(f"{value!r} is not an environment variable name")
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]
"""The name of an environment variable."""


class StrictModel(BaseModel):
    """The base of every model of a configuration file (networks.yaml, consortium.yaml): unknown
    keys are refused, and a model read is not changed afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- gas price policies -------------------------------------------------------------------------


class ZeroGasPrice(StrictModel):
    """``gasPrice`` 0: the chain does not charge for gas."""

    policy: Literal["zero"] = "zero"


class LegacyGasPrice(StrictModel):
    """A legacy ``gasPrice``: fixed (``price``) or the node's suggestion, capped by ``max_price``."""

    policy: Literal["legacy"] = "legacy"
    price: Wei | None = None
    max_price: Wei | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LegacyGasPrice:
        if self.price is not None and self.max_price is not None and self.price > self.max_price:
            raise ValueError("price is above max_price")
        return self


class Eip1559GasPrice(StrictModel):
    """EIP-1559 fees from the node's base fee and fee history, with caps."""

    policy: Literal["eip1559"] = "eip1559"
    max_fee_cap: Wei | None = None
    priority_fee: Wei | None = None
    priority_fee_cap: Wei | None = None
    base_fee_multiplier: Annotated[float, Field(ge=1, le=100)] = 2.0
    history_blocks: Annotated[int, BeforeValidator(no_bool), Field(ge=1, le=1024)] = 10
    reward_percentile: Annotated[float, Field(ge=0, le=100)] = 50.0

    @model_validator(mode="after")
    def _consistent(self) -> Eip1559GasPrice:
        if self.priority_fee is not None and self.priority_fee_cap is not None and self.priority_fee > self.priority_fee_cap:
            raise ValueError("priority_fee is above priority_fee_cap")
        if self.priority_fee is not None and self.max_fee_cap is not None and self.priority_fee > self.max_fee_cap:
            raise ValueError("priority_fee is above max_fee_cap")
        return self


class AutoGasPrice(StrictModel):
    """EIP-1559 with its defaults when the latest block has a base fee, else the node's gas price."""

    policy: Literal["auto"] = "auto"


def _policy_shorthand(value: Any) -> Any:
    return {"policy": value} if isinstance(value, str) else value


GasPricePolicy = Annotated[
    Union[ZeroGasPrice, LegacyGasPrice, Eip1559GasPrice, AutoGasPrice],
    Field(discriminator="policy"),
    BeforeValidator(_policy_shorthand),
]
"""One of the four gas price policies (in the file: a policy name or a mapping with ``policy:``)."""

GasPolicy = ZeroGasPrice | LegacyGasPrice | Eip1559GasPrice | AutoGasPrice
"""A validated gas price policy (``Network.gas_price``)."""

GAS_PRICE_POLICIES: tuple[str, ...] = ("zero", "legacy", "eip1559", "auto")


def _address(value: Any) -> str:
    """A YAML address: quoted (an unquoted ``0x…`` is read as a number), EIP-55 checked by
    :func:`consortium_evm.domain.spec.parse_address`."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("write the address in quotes: YAML reads an unquoted 0x... as a number")
    try:
        return parse_address(value, "address")
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


Address = Annotated[str, BeforeValidator(_address)]
"""An account or contract address in a YAML file."""


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def duration(value: Any) -> Any:
    """Seconds from a number, or a string of digits with ``s``, ``m``, ``h``, ``d`` or ``w``
    (a pydantic validator: anything else but a string is left to the field's type)."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration (seconds, or a number with s, m, h, d or w)")
        return int(match.group(1)) * _DURATION_UNITS[match.group(2)]
    return value


Duration = Annotated[int, BeforeValidator(duration), Field(ge=0)]
"""Seconds: ``90``, ``"90s"``, ``"30m"``, ``"6h"``, ``"3d"``, ``"1w"``."""
