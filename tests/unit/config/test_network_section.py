"""consortium.yaml's ``network`` section (what a genesis needs) and the ValidatorSet the deployment
adds when the consortium lists validators."""

from __future__ import annotations

from pathlib import Path

import pytest

from consortium_evm.config.consortium_file import load_consortium, load_consortium_file
from consortium_evm.deploy.suite import contract_at, deploy_suite
from consortium_evm.errors import ConfigError
from consortium_evm.node.tester import tester_web3

ADMIN = "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"
V1 = "0x1111111111111111111111111111111111111111"
V2 = "0x2222222222222222222222222222222222222222"
FUNDED = "0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69"
ID = "ab" * 64

BASE = f"""\
members:
  - name: Acme
    weight: 10
    accounts:
      - address: "{ADMIN}"
        roles: [admin, transact]
    nodes:
      - enode: "enode://{ID}@10.0.0.1:30303"
network:
  chain_id: 4242
  block_period: 2s
  request_timeout: 4
  gas_limit: 20000000
  evm_version: berlin
  validators:
    - "{V1}"
    - "{V2}"
  alloc:
    "{FUNDED}": 1000 ether
    "{ADMIN}": "0x10"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "consortium.yaml"
    path.write_text(text)
    return path


def test_the_network_section_is_read_with_units_and_defaults(tmp_path: Path) -> None:
    loaded = load_consortium_file(write(tmp_path, BASE))
    net = loaded.network
    assert net is not None
    assert (net.chain_id, net.block_period, net.request_timeout, net.gas_limit) == (4242, 2, 4, 20_000_000)
    assert (net.epoch, net.evm_version, net.timestamp) == (30_000, "berlin", 0)
    assert dict(net.alloc) == {FUNDED: 1000 * 10**18, ADMIN: 16}
    assert loaded.spec.validators == (V1, V2)


def test_a_file_without_network_section_has_no_validators_and_no_network(tmp_path: Path) -> None:
    text = BASE.split("network:")[0]
    loaded = load_consortium_file(write(tmp_path, text))
    assert loaded.network is None and loaded.spec.validators == ()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace(f'    - "{V2}"', '    - "0x12345"'), r"consortium.yaml:17: network.validators\[1\]: .*not an Ethereum address"),
        (lambda t: t.replace(f'    - "{V2}"', f'    - "{V1.upper().replace("0X", "0x")}"'), r"consortium.yaml:17: network.validators\[1\]: validator 0x1111111111111111111111111111111111111111 is listed twice \(\[0\] and \[1\]\)"),
        (lambda t: t.replace(f'    - "{V1}"\n    - "{V2}"\n', ""), r"consortium.yaml:15: network.validators: at least one validator is needed"),
        (lambda t: t.replace(f'  validators:\n    - "{V1}"\n    - "{V2}"\n', ""), r"consortium.yaml:9: network.validators: at least one validator is needed"),
        (lambda t: t.replace(f'    - "{V1}"', '    - "0x0000000000000000000000000000000000000000"'), r"consortium.yaml:16: network.validators\[0\]: validator is the zero address"),
        (lambda t: t.replace("weight: 10", "weight: 0"), r"consortium.yaml:3: members\[0\].weight: Input should be greater than or equal to 1"),
        (lambda t: t.replace("1000 ether", "lots"), r"consortium.yaml:19: network.alloc.0x6813.*'lots' is not an amount"),
        (lambda t: t.replace(f'"{FUNDED}"', '"0xnope"'), r"consortium.yaml:19: network.alloc.0xnope: funded account '0xnope' is not an Ethereum address"),
        (lambda t: t.replace("berlin", "cancun"), r"consortium.yaml:14: network.evm_version: 'cancun' is not an EVM version a genesis can target"),
        (lambda t: t.replace("chain_id: 4242", "chain_id: 0"), r"consortium.yaml:10: network.chain_id"),
        (lambda t: t.replace("block_period: 2s", "block_period: soon"), r"consortium.yaml:11: network.block_period: 'soon' is not a duration"),
        (lambda t: t.replace("  chain_id: 4242\n", ""), r"consortium.yaml:9: network.chain_id: required key is missing"),
    ],
)
def test_network_mistakes_are_named_with_file_and_line(tmp_path: Path, change: object, expected: str) -> None:
    path = write(tmp_path, change(BASE))  # type: ignore[operator]
    with pytest.raises(ConfigError, match=expected):
        load_consortium(path)


def test_deploying_a_consortium_with_validators_adds_a_governed_validator_set(tmp_path: Path) -> None:
    spec, _ = load_consortium(write(tmp_path, BASE))
    w3 = tester_web3()
    journal = tmp_path / "journal.json"
    deployment = deploy_suite(w3, w3.eth.accounts[0], spec, journal_path=journal)
    assert deployment.validator_set is not None
    assert [s.name for s in deployment.steps][:3] == ["deploy Consortium", "deploy PermissionIngress", "deploy ValidatorSet"]
    manifest = deployment.manifest()
    assert manifest["contracts"]["ValidatorSet"]["address"] == deployment.validator_set
    assert manifest["contracts"]["ValidatorSet"]["codeHash"].startswith("0x")
    vs = contract_at(w3, "ValidatorSet", deployment.validator_set)
    assert vs.functions.getValidators().call() == [V1, V2]
    assert vs.functions.governance().call() == deployment.consortium
    again = deploy_suite(w3, w3.eth.accounts[0], spec, journal_path=journal)
    assert all(step.resumed for step in again.steps) and again.validator_set == deployment.validator_set


def test_without_validators_the_deployment_is_the_two_contract_suite(tmp_path: Path) -> None:
    spec, _ = load_consortium(write(tmp_path, BASE.split("network:")[0]))
    w3 = tester_web3()
    deployment = deploy_suite(w3, w3.eth.accounts[0], spec)
    assert deployment.validator_set is None
    assert "ValidatorSet" not in deployment.manifest()["contracts"]
    assert not any("ValidatorSet" in step.name for step in deployment.steps)


def test_the_example_network_section_loads_once_uncommented(tmp_path: Path) -> None:
    example = (Path(__file__).resolve().parents[3] / "consortium.example.yaml").read_text()
    head, _, section = example.partition("# network:")
    uncommented = "network:" + "\n".join(line[2:] if line.startswith("# ") else line for line in section.split("\n"))
    loaded = load_consortium_file(write(tmp_path, head + uncommented))
    assert loaded.network is not None and loaded.network.chain_id == 2024 and loaded.network.block_period == 5
    assert len(loaded.spec.validators) == 3 and len(loaded.network.alloc) == 2
