"""consortium_evm.domain.goquorum: the adapter's creation and GoQuorum's permission files."""

from __future__ import annotations

import pytest

from consortium_evm.compiler import load_artifact
from consortium_evm.domain.goquorum import (
    ADAPTER,
    MANAGER_KEYS,
    adapter_creation,
    needs_adapter,
    permission_config,
    permissioned_nodes,
)
from consortium_evm.errors import ConfigError

INGRESS = "0x0B04F50D67760A2D3814b8bf617Be6BDf2B4fAC8"
ADAPTER_AT = "0x23E5270Dfabe718d766B7D40e87F85cC2F14359b"


def test_only_goquorum_needs_the_adapter() -> None:
    assert needs_adapter("goquorum")
    assert not needs_adapter("besu") and not needs_adapter("geth") and not needs_adapter(None)


def test_the_adapter_creation_matches_its_artifact() -> None:
    creation = adapter_creation(INGRESS)
    assert (creation.name, creation.artifact, creation.constructor_args) == (ADAPTER, ADAPTER, (INGRESS,))
    (constructor,) = [e for e in load_artifact(creation.artifact).abi if e["type"] == "constructor"]
    assert [i["type"] for i in constructor["inputs"]] == ["address"]
    with pytest.raises(ConfigError, match="needs the PermissionIngress address"):
        adapter_creation("0x1234")


def test_permission_config_keys_are_goquorums() -> None:
    config = permission_config(ADAPTER_AT, ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"])
    assert "upgrdableAddress" in MANAGER_KEYS and "upgradableAddress" not in config
    assert {config[k] for k in MANAGER_KEYS} == {ADAPTER_AT.lower()}
    assert config["accounts"] == ["0x70997970c51812dc3a010c7d01b50e0d17dc79c8"]
    assert config["permissionModel"] == "v2" and config["subOrgBreadth"] == config["subOrgDepth"] == 1


def test_goquorum_would_refuse_an_empty_account_or_node_list() -> None:
    with pytest.raises(ConfigError, match="at least one account"):
        permission_config(ADAPTER_AT, [])
    with pytest.raises(ConfigError, match="at least one node"):
        permissioned_nodes([])
    assert permissioned_nodes(["enode://ab@127.0.0.1:30303"]) == ["enode://ab@127.0.0.1:30303"]
