"""networks.yaml: the loader, ${VAR} expansion, and every error as one ConfigError with file,
line and key path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from consortium_evm.config.fields import AutoGasPrice, Eip1559GasPrice, LegacyGasPrice, ZeroGasPrice
from consortium_evm.config.networks import (
    default_confirmations,
    load_network,
    load_networks,
    network_names,
    tester_network,
)
from consortium_evm.errors import ConfigError
from consortium_evm.node.tester import TESTER_CHAIN_ID

SHIPPED = Path(__file__).resolve().parents[3] / "networks.yaml"

BASE = """\
networks:
  local:
    url: http://127.0.0.1:8545
    chain_id: 1337
    consensus: clique
"""


def write(tmp_path: Path, text: str, name: str = "networks.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` containing ``needle``."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def error_of(path: Path, name: str = "local", env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_network(name, path, environ=env or {})
    return str(info.value)


# -- happy paths --------------------------------------------------------------------------------


def test_shipped_file_local_anvil_consortium() -> None:
    env = {"CONSORTIUM_RPC_URL": "https://rpc.consortium.example:8545"}
    networks = load_networks(SHIPPED, environ=env)
    assert list(networks) == ["local", "genesis-local", "anvil", "consortium", "tester"]
    local = networks["local"]
    assert (local.url, local.chain_id, local.consensus, local.evm_version) == ("local-node", 1337, "clique", "london")
    assert local.needs_poa_middleware
    assert local.accounts["deployer"].dev_account == 0
    from_genesis = networks["genesis-local"]
    assert (from_genesis.url, from_genesis.chain_id, from_genesis.consensus) == ("local-node", 1338, "clique")
    assert {name: a.dev_account for name, a in from_genesis.accounts.items()} == {
        "deployer": 0, "acme": 1, "globex": 2, "initech": 3,
        "acme-deployer": 4, "hooli": 5, "acme-new": 6,  # the README's how-tos
    }
    anvil = networks["anvil"]
    assert (anvil.url, anvil.chain_id, anvil.consensus) == ("http://127.0.0.1:8545", 31337, "dev")
    assert not anvil.needs_poa_middleware
    consortium = networks["consortium"]
    assert consortium.url == env["CONSORTIUM_RPC_URL"]
    assert consortium.consensus == "qbft"
    assert isinstance(consortium.gas_price, ZeroGasPrice)
    assert consortium.accounts["deployer"].keystore == "keys/deployer.json"
    assert consortium.accounts["deployer"].password_env == "CONSORTIUM_DEPLOYER_PASSWORD"
    assert consortium.base_dir == SHIPPED.parent


def test_shipped_file_needs_its_variable_only_for_its_network() -> None:
    text = SHIPPED.read_text()
    assert load_network("local", SHIPPED, environ={}).chain_id == 1337
    assert load_network("anvil", SHIPPED, environ={"ANVIL_RPC_URL": "http://10.0.0.5:8545"}).url == "http://10.0.0.5:8545"
    line = line_of(text, "${CONSORTIUM_RPC_URL}")
    message = error_of(SHIPPED, "consortium")
    assert message.startswith(f"{SHIPPED}:{line}: networks.consortium.url: environment variable CONSORTIUM_RPC_URL is not set")
    with pytest.raises(ConfigError, match=re.escape(f"{SHIPPED}:{line}:")):
        load_networks(SHIPPED, environ={})  # every network is checked


def test_defaults(tmp_path: Path) -> None:
    net = load_network("local", write(tmp_path, BASE), environ={})
    assert net.name == "local"
    assert net.evm_version == "london"
    assert isinstance(net.gas_price, AutoGasPrice)
    assert net.confirmations == 1
    assert net.timeout == 30.0
    assert dict(net.accounts) == {}
    assert net.source == tmp_path / "networks.yaml"


@pytest.mark.parametrize("consensus", ["clique", "ibft2", "qbft", "dev"])
def test_confirmations_default_is_one_block(consensus: str) -> None:
    # 1 = done as soon as mined; ibft2/qbft are final at once, clique/dev default to the same
    assert default_confirmations(consensus) == 1


def test_gas_price_policies(tmp_path: Path) -> None:
    text = """\
networks:
  a: {url: "http://a:8545", chain_id: 1, consensus: dev, gas_price: zero}
  b: {url: "http://b:8545", chain_id: 2, consensus: dev, gas_price: {policy: legacy, price: 2 gwei, max_price: 3000000000}}
  c: {url: "http://c:8545", chain_id: 3, consensus: dev, gas_price: legacy}
  d:
    url: https://d.example
    chain_id: 4
    consensus: qbft
    gas_price:
      policy: eip1559
      max_fee_cap: 100 gwei
      priority_fee_cap: 0.5 gwei
      base_fee_multiplier: 1.5
      history_blocks: 20
      reward_percentile: 60
    confirmations: 2
    timeout: 2.5
"""
    nets = load_networks(write(tmp_path, text), environ={})
    assert nets["a"].gas_price == ZeroGasPrice()
    assert nets["b"].gas_price == LegacyGasPrice(price=2 * 10**9, max_price=3 * 10**9)
    assert nets["c"].gas_price == LegacyGasPrice()
    assert nets["d"].gas_price == Eip1559GasPrice(
        max_fee_cap=100 * 10**9, priority_fee_cap=5 * 10**8, base_fee_multiplier=1.5, history_blocks=20, reward_percentile=60
    )
    assert (nets["d"].confirmations, nets["d"].timeout) == (2, 2.5)


def test_env_expansion_with_defaults(tmp_path: Path) -> None:
    text = """\
networks:
  local:
    url: ${RPC_HOST:-http://127.0.0.1}:${RPC_PORT:-8545}/$${literal}
    chain_id: ${CHAIN_ID}
    consensus: ${CONSENSUS-dev}
    accounts:
      ci: {private_key_env: "${KEY_VAR:-CI_KEY}"}
"""
    path = write(tmp_path, text)
    net = load_network("local", path, environ={"CHAIN_ID": "42", "RPC_PORT": ""})
    assert net.url == "http://127.0.0.1:8545/${literal}"  # unset and empty both take a :- default; $$ is $
    assert net.chain_id == 42
    assert net.consensus == "dev"
    assert net.accounts["ci"].private_key_env == "CI_KEY"
    # ${VAR-default} keeps an empty value: here that makes an invalid consensus
    message = error_of(path, env={"CHAIN_ID": "42", "CONSENSUS": ""})
    assert message.startswith(f"{path}:5: networks.local.consensus: Input should be 'clique', 'ibft2', 'qbft' or 'dev'")
    message = error_of(path, env={"CHAIN_ID": "42", "KEY_VAR": "not a name"})
    assert message == f"{path}:7: networks.local.accounts.ci.private_key_env: 'not a name' is not an environment variable name"


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = """\
networks:
  local: &common
    url: http://127.0.0.1:8545
    chain_id: 1337
    consensus: clique
  other:
    <<: *common
    chain_id: 99
    bogus: 1
"""
    path = write(tmp_path, text)
    assert load_network("local", path, environ={}).chain_id == 1337
    assert error_of(path, "other") == f"{path}:9: networks.other.bogus: unknown key (not allowed here)"


# -- errors, each with file, line and key path ---------------------------------------------------


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = BASE + "    accounts: [unclosed\n  next:\n    url: x\n"
    path = write(tmp_path, text)
    message = error_of(path)
    assert re.match(rf"{re.escape(str(path))}:\d+: invalid YAML", message), message
    line = int(message.split(":")[1])
    assert line in (6, 7, 8)  # the parser notices at the following tokens
    bad_indent = write(tmp_path, "networks:\n  local:\n    url: a\n   chain_id: 1\n", "bad.yaml")
    assert error_of(bad_indent).startswith(f"{bad_indent}:4: invalid YAML")


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "    chain_idd: 5\n")
    assert error_of(path) == f"{path}:6: networks.local.chain_idd: unknown key (not allowed here)"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "defaults:\n  timeout: 3\n")
    assert error_of(path) == f"{path}:6: defaults: unknown key (not allowed here)"


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("chain_id: 1337", "chain_id: abc"))
    assert error_of(path).startswith(f"{path}:4: networks.local.chain_id: Input should be a valid integer")
    path = write(tmp_path, BASE.replace("chain_id: 1337", "chain_id: true"))
    assert error_of(path).startswith(f"{path}:4: networks.local.chain_id: Input should be a valid integer")


def test_wrong_type_in_a_nested_policy(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "    gas_price:\n      policy: legacy\n      price: lots\n")
    assert error_of(path).startswith(f"{path}:8: networks.local.gas_price.price: 'lots' is not an amount of wei")
    path = write(tmp_path, BASE + "    gas_price: cheap\n")
    message = error_of(path)
    assert message.startswith(f"{path}:6: networks.local.gas_price: unknown policy 'cheap'")
    assert "expected one of: zero, legacy, eip1559, auto" in message
    path = write(tmp_path, BASE + "    gas_price: {policy: legacy, price: 5 gwei, max_price: 1 gwei}\n")
    assert error_of(path) == f"{path}:6: networks.local.gas_price: price is above max_price"


def test_missing_required_key_points_at_its_network(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("    consensus: clique\n", ""))
    assert error_of(path) == f"{path}:2: networks.local.consensus: required key is missing"


def test_bad_values(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("http://127.0.0.1:8545", "ws://127.0.0.1:8546"))
    assert error_of(path).startswith(f"{path}:3: networks.local.url: expected an http:// or https:// JSON-RPC URL")
    path = write(tmp_path, BASE + "    evm_version: osaka-next\n")
    assert error_of(path).startswith(f"{path}:6: networks.local.evm_version: unknown EVM version 'osaka-next'")
    path = write(tmp_path, BASE + "    confirmations: 0\n")
    assert error_of(path).startswith(f"{path}:6: networks.local.confirmations: Input should be greater than or equal to 1")
    path = write(tmp_path, BASE + "    consensus: pow\n")
    assert error_of(path).startswith(f"{path}:6: networks.local.consensus: duplicate key (first defined on line 5)")


def test_several_problems_are_one_error_with_one_line_each(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("chain_id: 1337", "chain_id: abc") + "    timeout: -1\n    colour: red\n")
    lines = error_of(path).splitlines()
    assert lines[0].startswith(f"{path}:4: networks.local.chain_id: Input should be a valid integer")
    assert lines[1].startswith(f"{path}:6: networks.local.timeout: Input should be greater than 0")
    assert lines[2] == f"{path}:7: networks.local.colour: unknown key (not allowed here)"


def test_missing_variable(tmp_path: Path) -> None:
    text = BASE + "    accounts:\n      deployer:\n        keystore: ${KEYS_DIR}/deployer.json\n"
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(
        f"{path}:8: networks.local.accounts.deployer.keystore: environment variable KEYS_DIR is not set"
    )
    assert "${KEYS_DIR:-default}" in message
    assert load_network("local", path, environ={"KEYS_DIR": "/k"}).accounts["deployer"].keystore == "/k/deployer.json"


def test_malformed_variable_reference(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("http://127.0.0.1:8545", "${RPC URL}"))
    assert error_of(path).startswith(f"{path}:3: networks.local.url: malformed variable reference ${{RPC URL}}")
    path = write(tmp_path, BASE.replace("http://127.0.0.1:8545", '"${RPC_URL"'))
    assert error_of(path).startswith(f"{path}:3: networks.local.url: unclosed variable reference")


@pytest.mark.parametrize(
    ("entry", "line", "key"),
    [
        ("      deployer:\n        private_key: 0x" + "ab" * 32 + "\n", 8, "deployer.private_key"),
        ("      deployer:\n        private_key: ${DEPLOYER_KEY}\n", 8, "deployer.private_key"),
        ("      deployer:\n        keystore: '" + "ab" * 32 + "'\n", 8, "deployer.keystore"),
        ("      deployer:\n        private_key_env: '0x" + "Cd" * 32 + "'\n", 8, "deployer.private_key_env"),
        ("      deployer: 0x" + "12" * 32 + "\n", 7, "deployer"),
        ("      ci: {private_key_env: CI_KEY}\n      deployer: " + "fe" * 32 + "\n", 8, "deployer"),
    ],
)
def test_plaintext_private_key_is_refused(tmp_path: Path, entry: str, line: int, key: str) -> None:
    path = write(tmp_path, BASE + "    accounts:\n" + entry)
    message = error_of(path)
    assert message.startswith(f"{path}:{line}: networks.local.accounts.{key}: a plaintext private key")
    assert "keystore" in message and "private_key_env" in message


def test_plaintext_key_in_another_network_is_refused_too(tmp_path: Path) -> None:
    text = BASE + "  other:\n    accounts:\n      x:\n        private_key: '" + "11" * 32 + "'\n"
    path = write(tmp_path, text)
    assert error_of(path, "local").startswith(f"{path}:9: networks.other.accounts.x.private_key: a plaintext private key")


def test_account_entry_shape(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "    accounts:\n      a: {keystore: k.json, private_key_env: K}\n")
    assert error_of(path) == (
        f"{path}:7: networks.local.accounts.a: an account needs exactly one of keystore (with password_env), "
        "private_key_env, dev_account or signer"
    )
    path = write(tmp_path, BASE + "    accounts:\n      a: {private_key_env: K, password_env: P}\n")
    assert error_of(path) == f"{path}:7: networks.local.accounts.a: password_env goes with keystore"
    path = write(tmp_path, BASE + "    accounts:\n      a:\n        private_key_env: K\n        address: 0x" + "ab" * 20 + "\n")
    assert error_of(path).startswith(f"{path}:9: networks.local.accounts.a.address: write the address in quotes")


def test_unknown_network_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "  anvil:\n    url: http://127.0.0.1:8545\n    chain_id: 31337\n    consensus: dev\n")
    assert error_of(path, "mainnet") == f"{path}:1: networks: no network named 'mainnet'; known networks: anvil, local, tester"


def test_empty_and_shapeless_files(tmp_path: Path) -> None:
    assert error_of(write(tmp_path, "# nothing\n")).endswith("the file is empty; expected a 'networks:' mapping")
    path = write(tmp_path, "- a\n- b\n")
    assert error_of(path) == f"{path}:1: expected a mapping with a 'networks:' key at the top level"
    path = write(tmp_path, "networks:\n  local: 5\n")
    assert error_of(path) == f"{path}:2: networks.local: Input should be a valid dictionary"


def test_missing_file_for_a_named_network(tmp_path: Path) -> None:
    message = error_of(tmp_path / "nope.yaml")
    assert message.startswith(f"{tmp_path / 'nope.yaml'}: no such file")
    assert "'tester'" in message


# -- the built-in tester network ----------------------------------------------------------------


def test_tester_needs_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    net = load_network("tester")
    assert net == tester_network()
    assert net.is_tester and net.chain_id == TESTER_CHAIN_ID and net.consensus == "dev"
    assert load_network("tester", tmp_path / "absent.yaml").is_tester
    assert list(load_networks()) == ["tester"]
    assert network_names() == ["tester"]


def test_tester_is_also_there_with_a_file_and_cannot_be_redefined(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    assert load_network("tester", path).is_tester
    assert network_names(path) == ["local", "tester"]
    path = write(tmp_path, BASE + "  tester:\n    url: http://x:1\n    chain_id: 1\n    consensus: dev\n")
    assert error_of(path).startswith(f"{path}:6: networks.tester: 'tester' is the built-in embedded chain")


def test_a_goquorum_network_refuses_what_goquorum_cannot_run(tmp_path: Path) -> None:
    goquorum = BASE + "    client: goquorum\n"
    assert load_network("local", write(tmp_path, goquorum), environ={}).client == "goquorum"
    assert load_network("local", write(tmp_path, goquorum + "    evm_version: berlin\n    gas_price: zero\n"),
                        environ={}).evm_version == "berlin"
    path = write(tmp_path, goquorum + "    evm_version: shanghai\n")
    message = error_of(path)
    assert f"{path}:2: networks.local: evm_version" in message and "on GoQuorum (its EVM is berlin-level)" in message
    path = write(tmp_path, goquorum + "    gas_price: eip1559\n")
    assert "does not work on GoQuorum (it refuses type-2 transactions): use zero" in error_of(path)
    # the same settings are fine for another client
    assert load_network("local", write(tmp_path, BASE + "    evm_version: shanghai\n    gas_price: eip1559\n"),
                       environ={}).evm_version == "shanghai"


def test_block_period_is_a_duration_of_at_least_a_second(tmp_path: Path) -> None:
    assert load_network("local", write(tmp_path, BASE), environ={}).block_period is None
    assert load_network("local", write(tmp_path, BASE + "    block_period: 2s\n"), environ={}).block_period == 2
    assert load_network("local", write(tmp_path, BASE + "    block_period: 15\n"), environ={}).block_period == 15
    assert "greater than or equal to 1" in error_of(write(tmp_path, BASE + "    block_period: 0\n"))


def test_a_local_node_network_takes_the_local_networks_url_and_period(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from consortium_evm.config.networks import resolve_local_node
    from consortium_evm.node import state as node_state

    root = tmp_path / "nodes"
    root.mkdir()
    state = node_state.NetworkState(
        root_dir=root, chain_id=1337, period=3, epoch=30000, evm_version="london", signers=(), dev_accounts=(),
        nodes=(node_state.NodeInfo("node1", "0x" + "11" * 20, root / "node1", 18545, 2, 3, "ab" * 64, None),),
        geth_path="/bin/false", geth_version="1.13.15-stable", created_at=0.0,
    )
    (root / node_state.STATE_FILE).write_text(json.dumps(state.to_json()))
    monkeypatch.setenv(node_state.NODES_DIR_ENV, str(root))
    local = BASE.replace("http://127.0.0.1:8545", "local-node")
    network = resolve_local_node(load_network("local", write(tmp_path, local), environ={}))
    assert (network.url, network.block_period) == (state.nodes[0].rpc_url, 3)
    given = resolve_local_node(load_network("local", write(tmp_path, local + "    block_period: 7\n"), environ={}))
    assert given.block_period == 7  # the file's own value stands
    remote = load_network("local", write(tmp_path, BASE), environ={})
    assert resolve_local_node(remote) is remote
