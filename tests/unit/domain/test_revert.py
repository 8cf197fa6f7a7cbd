"""Reverts come back as named errors with their arguments, whatever the client raised."""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from consortium_evm.compiler import load_artifact
from consortium_evm.contract_errors import AlreadyVoted
from consortium_evm.domain.revert import decode_revert, error_table, revert_data

TABLE = error_table([load_artifact("Consortium").abi])


def selector(signature: str) -> bytes:
    return bytes(keccak(text=signature))[:4]


def test_custom_error_is_decoded_with_named_arguments() -> None:
    data = selector("AlreadyVoted(uint256,uint32)") + encode(["uint256", "uint32"], [7, 2])
    error = decode_revert(data, TABLE)
    assert error.name == "AlreadyVoted"
    assert error.args_by_name == {"proposalId": 7, "memberId": 2}
    assert str(error).startswith("reverted with AlreadyVoted(proposalId=7, memberId=2): ")
    assert "already voted" in str(error)
    # A class of its own, with the arguments as snake-case attributes.
    assert isinstance(error, AlreadyVoted)
    assert (error.proposal_id, error.member_id) == (7, 2)


def test_error_with_a_struct_argument_is_decoded() -> None:
    data = selector("InvalidSettings((uint16,uint16,uint32,uint32,uint32,uint32))") + encode(
        ["(uint16,uint16,uint32,uint32,uint32,uint32)"], [(0, 5001, 0, 60, 0, 60)]
    )
    assert decode_revert(data, TABLE).name == "InvalidSettings"


def test_reason_strings_panics_and_unknown_errors() -> None:
    reason = decode_revert(selector("Error(string)") + encode(["string"], ["nope"]), TABLE)
    assert (reason.name, str(reason)) == ("Error", "reverted: nope")
    panic = decode_revert(selector("Panic(uint256)") + encode(["uint256"], [0x11]), TABLE)
    assert "overflow" in str(panic)
    assert decode_revert(b"\x12\x34\x56\x78", TABLE).name == "UnknownError"
    assert str(decode_revert(b"", TABLE)) == "reverted without a reason"


def test_revert_data_is_found_in_the_shapes_clients_raise() -> None:
    payload = b"\xab\xcd\xef\x01\x02"

    class WithData(Exception):
        data = "0x" + payload.hex()

    assert revert_data(WithData()) == payload
    assert revert_data(Exception(f"execution reverted: {payload!r}")) == payload
    assert revert_data(Exception("execution reverted", "0x" + payload.hex())) == payload
    try:
        try:
            raise WithData()
        except WithData as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert revert_data(outer) == payload
    assert revert_data(Exception("connection refused")) is None
