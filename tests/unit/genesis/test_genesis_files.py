"""The genesis files for each client family: their shapes, the pre-deployed contracts in ``alloc``,
the permissioning configuration beside them, and that the same inputs write the same bytes.
(Each generation runs the real bootstrap on anvil, from the project's npm install.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from consortium_evm.cli import main
from consortium_evm.config.consortium_file import load_consortium_file
from consortium_evm.domain.spec import NetworkSpec
from consortium_evm.errors import ConfigError
from consortium_evm.genesis.besu import besu_ibft2_genesis
from consortium_evm.genesis.bft import ISTANBUL_MIX_HASH, QbftSelection, ValidatorSelection
from consortium_evm.genesis.build import Consensus, generate_genesis
from consortium_evm.genesis.extradata import clique_signers_from_extra_data, decode_bft_extra_data
from consortium_evm.genesis.goquorum import goquorum_qbft_genesis
from consortium_evm.genesis.predeploy import (
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
    qbft = goq["config"]["qbft"]
    assert qbft["validatorselectionmode"] == "contract" and qbft["validatorcontractaddress"] == VALIDATOR_SET_ADDRESS.lower()
    assert goq["config"]["isQuorum"] is True and goq["config"]["txnSizeLimit"] == 64
    assert goq["alloc"] == besu["alloc"] and goq["extraData"] == besu["extraData"]
    permissions = read(qbft_dir / "goquorum" / "permission-config.json")
    assert permissions["permissionModel"] == "v2"
    assert permissions["interfaceAddress"] == INGRESS_ADDRESS.lower()
    assert permissions["accounts"] == [ADMIN.lower()]


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
