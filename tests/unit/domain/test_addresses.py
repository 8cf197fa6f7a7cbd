"""Issue 14, item 11: a mistyped address (mixed case, wrong EIP-55 checksum) is refused wherever a
person gives one, by the package's one address parser (:func:`consortium_evm.domain.spec.parse_address`);
all-lowercase and all-uppercase hex (no checksum) are still accepted."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from consortium_evm.chain.connect import connect
from consortium_evm.chain.validators import onchain_validators
from consortium_evm.cli import main
from consortium_evm.client import ConsortiumClient
from consortium_evm.config.consortium_file import load_consortium, load_consortium_file
from consortium_evm.config.networks import load_network
from consortium_evm.domain.spec import AccountSpec, Role, checked_validators, parse_address
from consortium_evm.errors import ConfigError, DeploymentError
from consortium_evm.node.tester import tester_web3

PACKAGE = Path(__file__).resolve().parents[3] / "consortium_evm"
GOOD = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # development account 1, checksummed
SLIP = "0x70997970C51812dc3A010C7d01b50e0d17dc79c8"  # the same with its last letter's case slipped
LOWER = GOOD.lower()
UPPER = "0x" + GOOD[2:].upper()
OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
ID = "ab" * 64


# -- the parser -----------------------------------------------------------------------------------


def test_the_slip_is_what_eth_utils_now_accepts() -> None:
    from eth_utils.address import is_address

    assert is_address(SLIP)  # the reason for the parser: this is no longer caught by eth-utils


@pytest.mark.parametrize("given", [GOOD, LOWER, UPPER])
def test_checksummed_lowercase_and_uppercase_addresses_are_accepted(given: str) -> None:
    assert parse_address(given) == GOOD


def test_a_wrong_checksum_is_refused_naming_what_and_why() -> None:
    with pytest.raises(ConfigError) as info:
        parse_address(SLIP, "account")
    message = str(info.value)
    assert message.startswith(f"account {SLIP} has a wrong EIP-55 checksum")
    assert "mistyped" in message
    assert GOOD not in message  # the "corrected" form of a typo is not offered: it is someone else's account


@pytest.mark.parametrize("given", ["0x1234", "70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x" + "g" * 40, 12, None])
def test_what_is_not_an_address_is_refused(given: object) -> None:
    with pytest.raises(ConfigError, match="validator .* is not an Ethereum address"):
        parse_address(given, "validator")


def test_the_package_has_one_address_parser() -> None:
    """Nothing in the package but spec.parse_address decides whether a string is an address."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
            if name in ("is_address", "is_checksum_address"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_the_spec_types_use_it() -> None:
    with pytest.raises(ConfigError, match="wrong EIP-55 checksum"):
        AccountSpec(SLIP, Role.ADMIN)
    with pytest.raises(ConfigError, match="wrong EIP-55 checksum"):
        checked_validators([SLIP])
    assert AccountSpec(LOWER, Role.ADMIN).address == GOOD


# -- files ----------------------------------------------------------------------------------------


def consortium_text(admin: str, validator: str = GOOD, funded: str = GOOD) -> str:
    return f"""\
members:
  - name: Acme
    weight: 10
    accounts:
      - address: "{admin}"
        roles: [admin, transact]
    nodes:
      - enode: "enode://{ID}@10.0.0.1:30303"
network:
  chain_id: 2024
  validators:
    - "{validator}"
  alloc:
    "{funded}": 1000 ether
"""


def test_the_consortium_file_refuses_a_wrong_checksum_with_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "consortium.yaml"
    path.write_text(consortium_text(SLIP))
    with pytest.raises(ConfigError) as info:
        load_consortium(path)
    assert str(info.value).startswith(f"{path}:5: members[0].accounts[0].address: account {SLIP} has a wrong EIP-55 checksum")
    path.write_text(consortium_text(GOOD, validator=SLIP))
    with pytest.raises(ConfigError, match=rf"consortium.yaml:12: network.validators\[0\]: validator {SLIP} has a wrong"):
        load_consortium_file(path)
    path.write_text(consortium_text(GOOD, funded=SLIP))
    with pytest.raises(ConfigError, match=rf"consortium.yaml:14: network.alloc.{SLIP}: funded account {SLIP} has a wrong"):
        load_consortium_file(path)


@pytest.mark.parametrize("given", [LOWER, UPPER])
def test_the_consortium_file_accepts_addresses_without_a_checksum(tmp_path: Path, given: str) -> None:
    path = tmp_path / "consortium.yaml"
    path.write_text(consortium_text(given, validator=given, funded=given))
    loaded = load_consortium_file(path)
    assert loaded.spec.members[0].accounts[0].address == GOOD
    assert loaded.spec.validators == (GOOD,)
    assert loaded.network is not None and loaded.network.alloc[0][0] == GOOD


def test_networks_yaml_refuses_a_wrong_checksum_with_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "networks.yaml"
    text = (
        "networks:\n  local:\n    url: http://127.0.0.1:8545\n    chain_id: 1337\n    consensus: clique\n"
        "    accounts:\n      ops:\n        dev_account: 1\n        address: \"{}\"\n"
    )
    path.write_text(text.format(SLIP))
    with pytest.raises(ConfigError) as info:
        load_network("local", path)
    assert str(info.value).startswith(f"{path}:9: networks.local.accounts.ops.address: address {SLIP} has a wrong")
    path.write_text(text.format(LOWER))
    assert load_network("local", path).accounts["ops"].address == GOOD


# -- the command line -----------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["access", "check-account", SLIP, "--deploy"], "SENDER"),
        (["access", "check-account", GOOD, "--to", SLIP], "--to"),
        (["members", "add-account", GOOD, SLIP], "ADDRESSES"),
        (["members", "remove-account", SLIP], "ADDRESSES"),
        (["propose", "add-validator", SLIP], "ADDRESS"),
        (["propose", "call", SLIP, "post(string)", "hi"], "TARGET"),
        (["propose", "add-member", "--name", "N", "--weight", "1", "--member-account", f"{SLIP}=admin"], "--member-account"),
        (["validators", "list", "--validator-set", SLIP], "--validator-set"),
    ],
)
def test_cli_arguments_with_a_wrong_checksum_are_one_line_naming_the_argument(args: list[str], named: str) -> None:
    code, output = run(*args, "--network", "tester")
    assert code == 3, output
    assert output.strip().splitlines() == [f"Error: {named} {SLIP} has a wrong EIP-55 checksum (its upper- and "
                                           "lower-case letters do not match): a character is probably mistyped; copy "
                                           "the address again from its source"]


# -- the library ----------------------------------------------------------------------------------


def test_the_client_api_refuses_a_wrong_checksum_before_asking_the_chain() -> None:
    w3 = tester_web3(accounts=2)
    with pytest.raises(ConfigError, match="Consortium address .* wrong EIP-55 checksum"):
        ConsortiumClient.from_web3(w3, SLIP, OTHER)
    client = ConsortiumClient.from_web3(w3, GOOD, OTHER, validator_set=OTHER)
    for attempt in (
        lambda: client.access.account_allowed(SLIP, None),
        lambda: client.access.account_allowed(GOOD, SLIP),
        lambda: client.members.account(SLIP),
        lambda: client.members.by_account(SLIP),
        lambda: client.actions.add_validator(SLIP),
        lambda: client.actions.allow_account(SLIP),
        lambda: client.actions.set_rules(SLIP),
        lambda: client.actions.call(SLIP, "post(string)", ["hi"]),
        lambda: client.actions.call(GOOD, "give(address)", [SLIP]),
    ):
        with pytest.raises(ConfigError, match=f"{SLIP} has a wrong EIP-55 checksum"):
            attempt()
    assert client.actions.allow_account(LOWER).target == GOOD


def test_a_manifest_with_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    from consortium_evm.client.core import read_manifest

    path = tmp_path / "net.json"
    path.write_text('{"contracts": {"Consortium": {"address": "%s"}}}' % SLIP)
    with pytest.raises(DeploymentError, match=f"contracts.Consortium.address {SLIP} has a wrong EIP-55 checksum"):
        read_manifest(path, "net")


def test_connect_and_validators_refuse_a_wrong_checksum() -> None:
    connection = connect("tester")
    with pytest.raises(ConfigError, match=f"account {SLIP} has a wrong EIP-55 checksum"):
        connection.transactor(SLIP)
    assert connection.transactor(LOWER).address == GOOD
    with pytest.raises(ConfigError, match=f"ValidatorSet address {SLIP} has a wrong EIP-55 checksum"):
        onchain_validators(connection.w3, SLIP)
