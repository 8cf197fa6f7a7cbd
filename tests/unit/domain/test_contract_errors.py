"""One Python exception per custom error of the shipped contracts: every error in their ABIs has its
class in ``consortium_evm.contract_errors`` (a new Solidity error without one fails here), decodes to
it with its arguments as snake-case attributes, and says what it means; an error the package does
not know stays a plain ``ContractRevertError`` with its name and arguments."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from web3 import Web3

from consortium_evm import contract_errors
from consortium_evm.compiler import load_artifact
from consortium_evm.contract_errors import REVERT_TYPES, NamedRevert, revert_class
from consortium_evm.domain.revert import _abi_type, decode_revert, error_table
from consortium_evm.errors import ContractRevertError, TransactionError, _snake

DEPLOYED = ("Consortium", "PermissionIngress", "PermissionRules", "NoticeBoard", "ValidatorSet")
"""The contracts a consortium deploys (the suite, the stand-alone rules, the example application)."""
ABIS = [load_artifact(name).abi for name in DEPLOYED]
TABLE = error_table(ABIS)
ERRORS = sorted({f"{e['name']}({','.join(_abi_type(p) for p in e['inputs'])})": e
                 for abi in ABIS for e in abi if e["type"] == "error"}.items())
ADDRESS = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"


def sample(param: dict[str, Any], i: int) -> Any:
    """A value of the parameter's ABI type, different for each position."""
    kind = param["type"]
    if kind == "tuple":
        return tuple(sample(c, i + j) for j, c in enumerate(param["components"]))
    if kind == "address":
        return ADDRESS
    if kind.startswith(("uint", "int")):
        return 1 if "enum" in param.get("internalType", "") else (100 if kind.endswith("8") else 1000) + i
    if kind == "bool":
        return True
    if kind == "bytes":
        return bytes([i + 1]) * 64
    if kind.startswith("bytes"):
        return bytes([i + 1]) * int(kind[5:])
    if kind == "string":
        return f"text {i}"
    raise AssertionError(f"no sample for {kind}")


def as_decoded(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):
        return tuple(as_decoded(v) for v in value)
    return value


def test_every_error_of_the_deployed_contracts_has_a_class() -> None:
    names = {entry["name"] for _, entry in ERRORS}
    assert sorted(names - set(REVERT_TYPES)) == []
    # and no class for an error that no longer exists (the abstract parents' errors are the same ones)
    assert sorted(set(REVERT_TYPES) - names) == []
    assert set(contract_errors.__all__) >= set(REVERT_TYPES)


@pytest.mark.parametrize("signature,entry", ERRORS, ids=[s for s, _ in ERRORS])
def test_each_error_decodes_to_its_class_and_explains_itself(signature: str, entry: dict[str, Any]) -> None:
    cls = REVERT_TYPES[entry["name"]]
    assert revert_class(entry["name"]) is cls
    assert issubclass(cls, NamedRevert) and issubclass(cls, ContractRevertError) and issubclass(cls, TransactionError)
    inputs = entry["inputs"]
    values = [sample(p, i) for i, p in enumerate(inputs)]
    data = bytes(keccak(text=signature))[:4] + encode([_abi_type(p) for p in inputs], values)

    error = decode_revert(data, TABLE)
    assert type(error) is cls
    assert error.name == entry["name"]
    assert list(error.args_by_name) == [p["name"] for p in inputs]
    for param, value in zip(inputs, values):
        expected = as_decoded(value)
        assert error.args_by_name[param["name"]] == expected
        assert getattr(error, _snake(param["name"])) == expected  # memberId -> member_id
        assert getattr(error, param["name"]) == expected

    meaning = (cls.__doc__ or "").strip()
    assert len(meaning) > 20, f"{cls.__name__} needs a docstring saying what it means"
    message = str(error)
    assert message.startswith(f"reverted with {entry['name']}(")
    assert meaning.splitlines()[0].rstrip(".") in message
    for value in values:
        assert repr(as_decoded(value)) in message
    with pytest.raises(AttributeError):
        getattr(error, "no_such_argument")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is cls and str(again) == message


def test_addresses_in_named_errors_are_checksummed() -> None:
    entry = next(e for _, e in ERRORS if e["name"] == "NotMemberAdmin")
    data = bytes(keccak(text="NotMemberAdmin(address,uint32)"))[:4] + encode(["address", "uint32"], [ADDRESS.lower(), 3])
    error = decode_revert(data, TABLE)
    assert error.account == ADDRESS == Web3.to_checksum_address(ADDRESS) and error.member_id == 3
    assert entry["inputs"][0]["type"] == "address"


def test_errors_the_package_does_not_know_stay_contract_revert_errors() -> None:
    # an error of a contract of yours, whose ABI the caller has
    yours = [{"type": "error", "name": "InsufficientBalance",
              "inputs": [{"name": "available", "type": "uint256"}, {"name": "requiredAmount", "type": "uint256"}]}]
    data = bytes(keccak(text="InsufficientBalance(uint256,uint256)"))[:4] + encode(["uint256", "uint256"], [5, 9])
    error = decode_revert(data, error_table([*ABIS, yours]))
    assert type(error) is ContractRevertError and not isinstance(error, NamedRevert)
    assert (error.name, error.available, error.required_amount) == ("InsufficientBalance", 5, 9)
    assert str(error) == "reverted with InsufficientBalance(available=5, requiredAmount=9)"
    # the same data without its ABI
    unknown = decode_revert(data, TABLE)
    assert type(unknown) is ContractRevertError and unknown.name == "UnknownError"
    assert unknown.data == "0x" + data.hex() and data.hex() in str(unknown)
    assert revert_class("InsufficientBalance") is ContractRevertError
    # Solidity's built-in reverts
    reason = decode_revert(bytes.fromhex("08c379a0") + encode(["string"], ["not allowed"]), TABLE)
    assert (type(reason), reason.name, reason.reason, str(reason)) == (
        ContractRevertError, "Error", "not allowed", "reverted: not allowed")
    panic = decode_revert(bytes.fromhex("4e487b71") + encode(["uint256"], [0x11]), TABLE)
    assert (panic.name, panic.code) == ("Panic", 0x11) and "overflow" in str(panic)
    empty = decode_revert(b"", TABLE)
    assert (type(empty), empty.name, str(empty)) == (ContractRevertError, "Revert", "reverted without a reason")
