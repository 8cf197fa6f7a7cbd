"""The genesis files for each client family: their shapes, the pre-deployed contracts in ``alloc``,
the permissioning configuration beside them, and that the same inputs write the same bytes.
(Each generation runs the real bootstrap on anvil, from the project's npm install.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from web3 import Web3

from consortium_evm.cli import main
from consortium_evm.compiler import load_artifact
from consortium_evm.config.consortium_file import load_consortium_file
from consortium_evm.domain.spec import NetworkSpec
from consortium_evm.errors import ConfigError
from consortium_evm.genesis.besu import besu_ibft2_genesis
from consortium_evm.genesis.bft import ISTANBUL_MIX_HASH, QbftSelection, ValidatorSelection
from consortium_evm.genesis.build import Consensus, generate_genesis
from consortium_evm.genesis.extradata import clique_signers_from_extra_data, decode_bft_extra_data
from consortium_evm.genesis.goquorum import goquorum_qbft_genesis
from consortium_evm.genesis.predeploy import (
    ADAPTER_ADDRESS,
    ADAPTER_DEPLOYER,
    CONSORTIUM_ADDRESS,
    GENESIS_DEPLOYER,
    INGRESS_ADDRESS,
    VALIDATOR_SET_ADDRESS,
    create_address,
)

ADMIN = "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"
USER = "0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69"
V1 = "0x2222222222222222222222222222222222222222"
V2 = "0x1111111111111111111111111111111111111111"
ID = "ab" * 64
CONTRACTS = {CONSORTIUM_ADDRESS.lower(), INGRESS_ADDRESS.lower(), VALIDATOR_SET_ADDRESS.lower()}

YAML = f"""\
members:
  - name: Acme
    weight: 10
    accounts:
      - address: "{ADMIN}"
        roles: [admin, transact]
      - address: "{USER}"
        roles: [transact]
    nodes:
      - enode: "enode://{ID}@10.0.0.1:30303"
network:
  chain_id: 4242
  block_period: 2
  epoch: 100
  request_timeout: 6
  gas_limit: 25000000
  timestamp: 1700000000
  validators: ["{V1}", "{V2}"]
  alloc:
    "{USER}": 5 ether
"""


def write(tmp_path: Path, text: str = YAML) -> Path:
    path = tmp_path / "consortium.yaml"
    path.write_text(text)
    return path


def generate(tmp_path: Path, consensus: Consensus, name: str, **options: Any) -> Path:
    loaded = load_consortium_file(write(tmp_path))
    assert loaded.network is not None
    out = tmp_path / name
    generate_genesis(consensus, loaded.spec, loaded.network, out, consortium_sha256=loaded.sha256, **options)
    return out


def read(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def qbft_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("qbft"), "qbft", "out")


def test_the_documented_addresses_are_the_deployers_create_addresses() -> None:
    assert [create_address(GENESIS_DEPLOYER, n) for n in range(3)] == [CONSORTIUM_ADDRESS, INGRESS_ADDRESS, VALIDATOR_SET_ADDRESS]
    assert GENESIS_DEPLOYER == "0x7f9a3d5570343605ABf1E1cc431Dc1b81557F37B"
    assert (CONSORTIUM_ADDRESS, INGRESS_ADDRESS, VALIDATOR_SET_ADDRESS) == (
        "0xF179e8CEAe3D5A6467E3bCaC9BA44C28A5eeC79B",
        "0x0B04F50D67760A2D3814b8bf617Be6BDf2B4fAC8",
        "0x4ED7c95CB286AAa9cf94afb71fCFADb678D5B5DF",
    )


def test_clique_genesis_for_geth(tmp_path: Path) -> None:
    out = generate(tmp_path, "clique", "out")
    genesis = read(out / "geth" / "genesis.json")
    config = genesis["config"]
    assert config["chainId"] == 4242 and config["clique"] == {"period": 2, "epoch": 100}
    assert config["londonBlock"] == 0 and "shanghaiTime" not in config
    assert clique_signers_from_extra_data(genesis["extraData"]) == sorted([V1.lower(), V2.lower()])
    assert genesis["gasLimit"] == hex(25_000_000) and genesis["timestamp"] == hex(1_700_000_000)
    alloc = genesis["alloc"]
    assert alloc[USER.lower()] == {"balance": hex(5 * 10**18)}
    assert CONTRACTS <= set(alloc)
    for address in CONTRACTS:
        assert alloc[address]["code"].startswith("0x60") and alloc[address]["nonce"] == "0x1"
    assert len(alloc[CONSORTIUM_ADDRESS.lower()]["storage"]) > 10
    assert not (out / "besu").exists() and not (out / "goquorum").exists()
    assert read(out / "static-nodes.json") == [f"enode://{ID}@10.0.0.1:30303"]
    manifest = read(out / "contracts.json")
    assert manifest["contracts"]["PermissionIngress"]["address"] == INGRESS_ADDRESS
    assert manifest["genesis"]["bootstrapSteps"][-1] == "start governance"


def test_ibft2_genesis_for_besu(tmp_path: Path) -> None:
    out = generate(tmp_path, "ibft2", "out")
    genesis = read(out / "besu" / "genesis.json")
    assert genesis["config"]["ibft2"] == {"blockperiodseconds": 2, "epochlength": 100, "requesttimeoutseconds": 6}
    assert genesis["mixHash"] == ISTANBUL_MIX_HASH and genesis["difficulty"] == "0x1"
    assert list(decode_bft_extra_data(genesis["extraData"], "ibft2").validators) == sorted([V1.lower(), V2.lower()])
    toml = (out / "besu" / "permissioning.toml").read_text()
    assert f'permissions-nodes-contract-address="{INGRESS_ADDRESS.lower()}"' in toml
    assert f'permissions-accounts-contract-address="{INGRESS_ADDRESS.lower()}"' in toml
    assert "permissions-nodes-contract-version=2" in toml and "removed it in 2025" in toml
    assert not (out / "goquorum").exists()


def test_qbft_contract_mode_for_besu_and_goquorum(qbft_dir: Path) -> None:
    besu = read(qbft_dir / "besu" / "genesis.json")
    assert besu["config"]["qbft"]["validatorcontractaddress"] == VALIDATOR_SET_ADDRESS.lower()
    assert decode_bft_extra_data(besu["extraData"], "qbft").validators == ()
    goq = read(qbft_dir / "goquorum" / "genesis.json")
    # GoQuorum cannot start --permissioned on contract selection from block 0: the switch is at block 1
    assert "validatorselectionmode" not in goq["config"]["qbft"]
    assert goq["config"]["transitions"] == [
        {"block": 1, "validatorselectionmode": "contract", "validatorcontractaddress": VALIDATOR_SET_ADDRESS.lower()}
    ]
    assert list(decode_bft_extra_data(goq["extraData"], "qbft").validators) == sorted([V1.lower(), V2.lower()])
    assert goq["config"]["isQuorum"] is True and goq["config"]["txnSizeLimit"] == 64
    assert {k: v for k, v in goq["alloc"].items() if k != ADAPTER_ADDRESS.lower()} == besu["alloc"]
    assert ADAPTER_ADDRESS.lower() not in besu["alloc"]


def test_qbft_header_mode_and_a_later_switch_to_the_contract(tmp_path: Path) -> None:
    header = generate(tmp_path, "qbft", "header", selection=ValidatorSelection.HEADER)
    besu = read(header / "besu" / "genesis.json")
    assert "validatorcontractaddress" not in besu["config"]["qbft"] and "transitions" not in besu["config"]
    assert len(decode_bft_extra_data(besu["extraData"], "qbft").validators) == 2
    switch = generate(tmp_path, "qbft", "switch", contract_from_block=500)
    besu = read(switch / "besu" / "genesis.json")
    expected = {"block": 500, "validatorselectionmode": "contract", "validatorcontractaddress": VALIDATOR_SET_ADDRESS.lower()}
    assert besu["config"]["transitions"] == {"qbft": [expected]}
    assert len(decode_bft_extra_data(besu["extraData"], "qbft").validators) == 2
    goq = read(switch / "goquorum" / "genesis.json")
    assert goq["config"]["transitions"] == [expected]
    assert "validatorselectionmode" not in goq["config"]["qbft"]


def test_the_same_inputs_write_the_same_bytes(tmp_path: Path, qbft_dir: Path) -> None:
    again = generate(tmp_path, "qbft", "again")
    for path in sorted(qbft_dir.rglob("*")):
        if path.is_file():
            assert (again / path.relative_to(qbft_dir)).read_bytes() == path.read_bytes(), path.name


def test_fork_blocks_follow_the_evm_version() -> None:
    network = NetworkSpec(chain_id=7, evm_version="istanbul")
    genesis = besu_ibft2_genesis(network, [V1], {})
    assert genesis["config"]["istanbulBlock"] == 0
    assert "berlinBlock" not in genesis["config"] and "baseFeePerGas" not in genesis
    selection = QbftSelection(ValidatorSelection.HEADER)
    assert "londonBlock" not in goquorum_qbft_genesis(network, [V1], {}, selection)["config"]


def test_bft_networks_need_a_block_period(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="block_period of at least 1 second"):
        besu_ibft2_genesis(NetworkSpec(chain_id=7, block_period=0), [V1], {})


def test_funding_a_contract_address_is_refused(tmp_path: Path) -> None:
    loaded = load_consortium_file(write(tmp_path, YAML + f'    "{INGRESS_ADDRESS}": 1 ether\n'))
    assert loaded.network is not None
    with pytest.raises(ConfigError, match="address of a pre-deployed contract"):
        generate_genesis("clique", loaded.spec, loaded.network, tmp_path / "out")


def test_cli_writes_genesis_and_prints_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "genesis", "ibft2", "--consortium", str(write(tmp_path)), "-o", str(tmp_path / "out"), "--json", "--node-keys", "2",
    ])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output[result.output.index("{"):])
    assert shown["contracts"]["ValidatorSet"] == VALIDATOR_SET_ADDRESS
    assert "--permissions-nodes-contract-version=2" in shown["besuOptions"]
    assert len(shown["nodeKeys"]) == 2
    key = (tmp_path / "out" / "keys" / "node1" / "nodekey")
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text()) == 64


def test_cli_errors_are_one_line_with_a_fix(tmp_path: Path) -> None:
    runner = CliRunner()
    no_network = write(tmp_path, YAML.split("network:")[0])
    result = runner.invoke(main, ["genesis", "clique", "--consortium", str(no_network), "-o", str(tmp_path / "o")])
    assert result.exit_code == 3 and "has no network section" in result.output
    result = runner.invoke(main, ["genesis", "qbft", "--consortium", str(write(tmp_path)), "-o", str(tmp_path / "o"),
                                  "--validators-from", "header", "--switch-to-contract-at", "10"])
    assert result.exit_code == 2 and "--switch-to-contract-at starts in header mode" in result.output


def test_node_start_from_a_genesis_needs_its_keys(tmp_path: Path) -> None:
    genesis = tmp_path / "genesis.json"
    genesis.write_text(json.dumps({"config": {"chainId": 1, "clique": {"period": 1}}, "alloc": {}}))
    runner = CliRunner()
    result = runner.invoke(main, ["node", "start", "--genesis", str(genesis), "--data-dir", str(tmp_path / "n")])
    assert result.exit_code == 3 and "--genesis and --keys go together" in result.output
    (tmp_path / "keys").mkdir()
    result = runner.invoke(main, ["node", "start", "--genesis", str(genesis), "--keys", str(tmp_path / "keys"),
                                  "--data-dir", str(tmp_path / "n")])
    assert result.exit_code == 3 and "no node*/nodekey files" in result.output


# ------------------------------------------------------------- GoQuorum: what --permissioned needs

GOQUORUM_PERMISSION_KEYS = {
    # Consensys/quorum v24.4.1 permission/core/types/backend.go, PermissionConfig's JSON tags
    "permissionModel", "upgrdableAddress", "interfaceAddress", "implAddress", "nodeMgrAddress",
    "accountMgrAddress", "roleMgrAddress", "voterMgrAddress", "orgMgrAddress", "nwAdminOrg",
    "nwAdminRole", "orgAdminRole", "accounts", "subOrgDepth", "subOrgBreadth",
}


def test_goquorum_permission_config_names_the_adapter_everywhere_with_goquorums_keys(qbft_dir: Path) -> None:
    permissions = read(qbft_dir / "goquorum" / "permission-config.json")
    assert set(permissions) == GOQUORUM_PERMISSION_KEYS
    assert "upgradableAddress" not in permissions  # GoQuorum reads the misspelt key only
    addresses = {k: v for k, v in permissions.items() if k.endswith("Address")}
    assert len(addresses) == 8 and set(addresses.values()) == {ADAPTER_ADDRESS.lower()}
    assert permissions["permissionModel"] == "v2"
    assert permissions["accounts"] == [ADMIN.lower()]
    # *big.Int fields: JSON numbers, not 0 (GoQuorum refuses to boot on 0)
    assert type(permissions["subOrgBreadth"]) is int and permissions["subOrgBreadth"] > 0
    assert type(permissions["subOrgDepth"]) is int and permissions["subOrgDepth"] > 0
    assert all(isinstance(permissions[k], str) and permissions[k] for k in ("nwAdminOrg", "nwAdminRole", "orgAdminRole"))


def test_goquorum_genesis_predeploys_the_adapter_in_front_of_the_ingress(qbft_dir: Path) -> None:
    goq = read(qbft_dir / "goquorum" / "genesis.json")
    entry = goq["alloc"][ADAPTER_ADDRESS.lower()]
    artifact = load_artifact("GoQuorumPermissionAdapter")
    assert entry["nonce"] == "0x1" and entry["storage"] == {}
    code = bytes.fromhex(entry["code"][2:])
    assert len(code) == artifact.deployed_size
    (references,) = artifact.immutable_references.values()  # the one immutable: the ingress
    for ref in references:
        word = code[ref["start"]:ref["start"] + ref["length"]]
        assert word[-20:] == bytes.fromhex(INGRESS_ADDRESS[2:]) and word[:-20] == bytes(len(word) - 20)
    assert INGRESS_ADDRESS.lower() in goq["alloc"] and CONSORTIUM_ADDRESS.lower() in goq["alloc"]
    manifest = read(qbft_dir / "contracts.json")
    assert manifest["contracts"]["GoQuorumPermissionAdapter"]["address"] == ADAPTER_ADDRESS
    assert manifest["genesis"]["bootstrapSteps"][-1] == "deploy GoQuorumPermissionAdapter"


def test_the_adapter_address_is_documented(qbft_dir: Path) -> None:
    assert ADAPTER_DEPLOYER == Web3.to_checksum_address(bytes(Web3.keccak(text="consortium-evm.genesis.goquorum-adapter"))[-20:])
    assert create_address(ADAPTER_DEPLOYER, 0) == ADAPTER_ADDRESS
    assert ADAPTER_ADDRESS == "0x23E5270Dfabe718d766B7D40e87F85cC2F14359b"


def test_goquorum_genesis_has_no_london_and_free_gas(qbft_dir: Path) -> None:
    goq = read(qbft_dir / "goquorum" / "genesis.json")
    besu = read(qbft_dir / "besu" / "genesis.json")
    assert besu["config"]["londonBlock"] == 0 and "baseFeePerGas" in besu  # the file's evm_version: london
    assert "londonBlock" not in goq["config"] and "baseFeePerGas" not in goq
    assert goq["config"]["berlinBlock"] == 0 and goq["config"]["istanbulBlock"] == 0
    assert "enableGasPriceBlock" not in goq["config"]  # GoQuorum: gas price 0 on every transaction


def test_permissioned_nodes_are_written_beside_static_nodes(qbft_dir: Path, tmp_path: Path) -> None:
    assert read(qbft_dir / "permissioned-nodes.json") == read(qbft_dir / "static-nodes.json") == [
        f"enode://{ID}@10.0.0.1:30303"
    ]
    ibft2 = generate(tmp_path, "ibft2", "ibft2")
    assert not (ibft2 / "permissioned-nodes.json").exists()


def test_goquorum_header_mode_stays_header_mode(tmp_path: Path) -> None:
    header = generate(tmp_path, "qbft", "header", selection=ValidatorSelection.HEADER)
    goq = read(header / "goquorum" / "genesis.json")
    assert "transitions" not in goq["config"] and "validatorselectionmode" not in goq["config"]["qbft"]
    assert len(decode_bft_extra_data(goq["extraData"], "qbft").validators) == 2
    assert ADAPTER_ADDRESS.lower() in goq["alloc"]
    assert read(header / "goquorum" / "permission-config.json")["interfaceAddress"] == ADAPTER_ADDRESS.lower()


def test_goquorum_genesis_caps_the_forks_at_berlin() -> None:
    selection = QbftSelection(ValidatorSelection.HEADER)
    london = goquorum_qbft_genesis(NetworkSpec(chain_id=7, evm_version="london"), [V1], {}, selection)
    assert "londonBlock" not in london["config"] and "baseFeePerGas" not in london
    assert london["config"]["berlinBlock"] == 0
    istanbul = goquorum_qbft_genesis(NetworkSpec(chain_id=7, evm_version="istanbul"), [V1], {}, selection)
    assert "berlinBlock" not in istanbul["config"] and istanbul["config"]["istanbulBlock"] == 0
    contract = QbftSelection(ValidatorSelection.CONTRACT, V2)
    switched = goquorum_qbft_genesis(NetworkSpec(chain_id=7), [V1], {}, contract)
    assert switched["config"]["transitions"][0]["block"] == 1
    assert decode_bft_extra_data(switched["extraData"], "qbft").validators == (V1.lower(),)
