"""What a member back-end gets from the shipped artifacts: code that fits every chain, and documented
functions."""

from __future__ import annotations

import pytest

from consortium_evm.compiler import (
    BASEFEE,
    EIP170_CODE_SIZE_LIMIT,
    available_artifacts,
    contains_opcode,
    contains_push0,
    load_artifact,
)

DEPLOYABLE = [n for n in available_artifacts() if load_artifact(n).deployed_size > 0]


def test_the_suite_is_shipped() -> None:
    for name in ("Consortium", "PermissionIngress", "PermissionRules", "NoticeBoard", "GoQuorumPermissionAdapter"):
        assert name in DEPLOYABLE


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_code_fits_eip170_and_runs_before_shanghai(name: str) -> None:
    artifact = load_artifact(name)
    assert artifact.deployed_size <= EIP170_CODE_SIZE_LIMIT
    assert artifact.evm_version == "london"
    assert not contains_push0(artifact.bytecode)
    assert not contains_push0(artifact.deployed_bytecode)


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_code_runs_on_berlin_level_chains_too(name: str) -> None:
    """GoQuorum 24.4.1's EVM is geth 1.10.3's (berlin, no London): the london-compiled code must not
    read the base fee, the one opcode london added (the alloc of a GoQuorum genesis is this code)."""
    artifact = load_artifact(name)
    assert not contains_opcode(artifact.deployed_bytecode, BASEFEE)
    assert not contains_opcode(artifact.bytecode, BASEFEE)


@pytest.mark.parametrize("name", [n for n in DEPLOYABLE if not load_artifact(n).source_name.startswith("contracts/mocks/")])
def test_every_external_function_has_natspec(name: str) -> None:
    artifact = load_artifact(name)
    documented = set(artifact.userdoc.get("methods", {})) | set(artifact.devdoc.get("methods", {}))
    documented |= {f"{v}()" for v in artifact.devdoc.get("stateVariables", {})}
    undocumented = []
    for entry in artifact.abi:
        if entry.get("type") != "function":
            continue
        signature = f"{entry['name']}({','.join(_type(i) for i in entry['inputs'])})"
        if signature not in documented:
            undocumented.append(signature)
    assert undocumented == [], f"{name}: add NatSpec to {undocumented}"


def _type(param: dict) -> str:  # type: ignore[type-arg]
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + kind[5:]
    return kind
