"""The account rule's question, encoded by hand for the gateway's sake, against eth_abi's encoding
of the same call: every address form, every payload length, every bound of the numbers."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium_evm.domain.permission import TRANSACTION_SELECTOR, ZERO_ADDRESS, transaction_question

UINT = st.integers(min_value=0, max_value=2**256 - 1)
ADDRESS = st.binary(min_size=20, max_size=20)


def _reference(sender: bytes, target: bytes | None, value: int, price: int, gas: int, payload: bytes) -> bytes:
    return TRANSACTION_SELECTOR + encode(
        ["address", "address", "uint256", "uint256", "uint256", "bytes"],
        [to_checksum_address(sender), to_checksum_address(target) if target else ZERO_ADDRESS, value, price, gas, payload],
    )


@settings(max_examples=300)
@given(ADDRESS, st.none() | ADDRESS, UINT, UINT, UINT, st.binary(max_size=200), st.sampled_from(["bytes", "checksum", "lower"]))
def test_the_question_is_what_eth_abi_encodes(sender: bytes, target: bytes | None, value: int, price: int, gas: int,
                                              payload: bytes, form: str) -> None:
    def shown(address: bytes | None) -> bytes | str | None:
        if address is None or form == "bytes":
            return address
        return to_checksum_address(address) if form == "checksum" else "0x" + address.hex()

    assert transaction_question(shown(sender), shown(target), value, price, gas, payload) == \
        _reference(sender, target, value, price, gas, payload)


@pytest.mark.parametrize(("sender", "value"), [
    ("0x1234", 0), (b"\x01" * 19, 0), ("1" * 42, 0), ("0x" + "11" * 20, -1), ("0x" + "11" * 20, 2**256),
    ("0x" + "11" * 20, True),
])
def test_what_is_not_an_address_or_a_uint256_is_refused(sender: object, value: object) -> None:
    with pytest.raises(ValueError):
        transaction_question(sender, None, value)  # type: ignore[arg-type]
