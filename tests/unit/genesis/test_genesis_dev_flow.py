"""The README's genesis flow on this machine, without nodes: ``genesis keys --dev`` writes the public
development node keys that ``consortium.genesis.example.yaml`` names, the example's alloc funds the
accounts of the ``genesis-local`` network of ``networks.yaml``, and ``validators sync``'s local-node
options fail with one line that says what to do. (The flow itself runs on geth nodes in
tests/integration/test_readme_genesis.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from web3 import Web3

from consortium_evm.chain.accounts import AccountLoader
from consortium_evm.chain.validators import wait_in_sync
from consortium_evm.cli import main
from consortium_evm.config.consortium_file import load_consortium_file
from consortium_evm.config.networks import load_network
from consortium_evm.domain.devkeys import DEV_KEYS_WARNING, dev_account
from consortium_evm.domain.spec import Role
from consortium_evm.errors import ConfigError, WaitTimeoutError
from consortium_evm.genesis.keys import NodeKey, dev_node_keys

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "consortium.genesis.example.yaml"
NETWORKS = ROOT / "networks.yaml"


def test_dev_keys_are_the_mnemonic_accounts_from_10_on(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["genesis", "keys", "-n", "3", "--dev", "-o", str(tmp_path / "keys")])
    assert result.exit_code == 0, result.output
    assert DEV_KEYS_WARNING in result.output  # on stderr, which the runner mixes in
    keys = dev_node_keys(3)
    assert [k.address for k in keys] == [dev_account(10 + i).address for i in range(3)]
    assert keys[0].address == "0xBcd4042DE499D14e55001CcbB24a551F3b954096"
    for index, key in enumerate(keys):
        folder = tmp_path / "keys" / f"node{index + 1}"
        assert (folder / "nodekey").read_text() == key.private_key
        assert (folder / "nodekey").stat().st_mode & 0o777 == 0o600
        assert f'- "{key.address}"' in result.output
    summary = json.loads((tmp_path / "keys" / "nodes.json").read_text())
    assert summary["warning"] == DEV_KEYS_WARNING
    # the same keys every time, unlike the random ones
    again = CliRunner().invoke(main, ["genesis", "keys", "-n", "1", "--dev", "-o", str(tmp_path / "again")])
    assert again.exit_code == 0 and (tmp_path / "again" / "node1" / "nodekey").read_text() == keys[0].private_key
    random = CliRunner().invoke(main, ["genesis", "keys", "-n", "1", "-o", str(tmp_path / "random")])
    assert random.exit_code == 0 and (tmp_path / "random" / "node1" / "nodekey").read_text() != keys[0].private_key
    assert "production each member generates its node key" in random.output


def test_the_genesis_example_names_the_dev_keys_and_funds_the_networks_accounts() -> None:
    loaded = load_consortium_file(EXAMPLE)
    assert loaded.network is not None
    keys = dev_node_keys(3)
    assert loaded.spec.validators == (keys[0].address, keys[1].address)
    assert [n.enode_id for m in loaded.spec.members for n in m.nodes] == [k.enode_id for k in keys]
    network = load_network("genesis-local", NETWORKS)
    assert network.chain_id == loaded.network.chain_id != load_network("local", NETWORKS).chain_id
    assert loaded.network.block_period == 1
    funded = {address for address, amount in loaded.network.alloc if amount >= 10**21}
    accounts = AccountLoader(network)
    assert {accounts.address(name) for name in ("deployer", "acme", "globex", "initech")} <= funded
    admins = {a.address for m in loaded.spec.members for a in m.accounts if Role.ADMIN in a.roles}
    assert admins == {accounts.address(name) for name in ("acme", "globex", "initech")}
    # a vote ends while a reader watches, and a passed proposal executes at once
    assert loaded.spec.settings.voting_period <= 60 and loaded.spec.settings.execution_delay == 0


def test_the_example_members_match_consortium_example_yaml() -> None:
    genesis = load_consortium_file(EXAMPLE).spec
    plain = load_consortium_file(ROOT / "consortium.example.yaml").spec
    assert [(m.name, m.weight, m.accounts) for m in genesis.members] == [(m.name, m.weight, m.accounts) for m in plain.members]


def _networks(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "networks.yaml"
    path.write_text(f"networks:\n  mine:\n    url: {url}\n    chain_id: 1338\n    consensus: clique\n")
    return path


@pytest.mark.parametrize(
    ("url", "extra", "message"),
    [
        ("http://127.0.0.1:1", [], "--all-local-nodes needs a network with `url: local-node`"),
        ("local-node", ["--rpc-url", "http://127.0.0.1:1"], "--all-local-nodes and --rpc-url exclude each other"),
        ("local-node", [], "none has been started here: run `consortium-evm node start`"),
    ],
)
def test_all_local_nodes_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str,
                                             extra: list[str], message: str) -> None:
    monkeypatch.setenv("CONSORTIUM_NODES_DIR", str(tmp_path / "nodes"))
    result = CliRunner().invoke(main, ["validators", "sync", "--network", "mine", "--networks",
                                       str(_networks(tmp_path, url)), "--all-local-nodes", *extra])
    assert result.exit_code == 3
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_wait_after_a_dry_run_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validators", "sync", "--network", "mine", "--networks",
                                       str(_networks(tmp_path, "http://127.0.0.1:1")), "--dry-run", "--wait", "5"])
    assert result.exit_code == 2 and "--wait after --dry-run" in result.output


def test_wait_in_sync_names_the_node_behind_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = (NodeKey.from_private_key(bytes([n]) * 32).address for n in (1, 2))
    monkeypatch.setattr("consortium_evm.chain.validators.onchain_validators", lambda w3, vs: (a, b))
    signers = {"http://n:1": [a], "http://n:2": [a, b]}  # the votes are in on the second node only
    now = [0.0]

    def rpc(url: str, method: str, params: object) -> object:
        return signers[url] if method == "clique_getSigners" else {}

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(WaitTimeoutError, match=rf"after 5 s the node http://n:1 still reports {a} while the "
                                               rf"ValidatorSet holds {a}, {b}: more than half"):
        wait_in_sync(Web3(), list(signers), "clique", a, 5, rpc=rpc, clock=lambda: now[0], sleep=sleep)
    assert now[0] >= 5
    signers["http://n:1"] = [b, a]
    listings = wait_in_sync(Web3(), list(signers), "clique", a, 5, rpc=rpc, clock=lambda: now[0], sleep=sleep)
    assert [listing.in_sync for listing in listings] == [True, True]


def test_node_start_from_a_genesis_does_not_resume_another_network(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from consortium_evm.localnet import start as start_module
    from consortium_evm.node import state as network_module
    from consortium_evm.node.geth import GethBinary

    monkeypatch.setattr(start_module, "find_geth", lambda: GethBinary(Path("/bin/false"), "1.13.15-stable", "PATH"))
    root = tmp_path / "nodes"
    root.mkdir()
    (root / network_module.GENESIS_FILE).write_text(json.dumps({"config": {"chainId": 1337}}))
    state = network_module.NetworkState(
        root_dir=root, chain_id=1337, period=1, epoch=30000, evm_version="london", signers=(), dev_accounts=(),
        nodes=(network_module.NodeInfo("node1", "0x" + "11" * 20, root / "node1", 1, 2, 3, "ab" * 64, None),),
        geth_path="/bin/false", geth_version="1.13.15-stable", created_at=0.0,
    )
    (root / network_module.STATE_FILE).write_text(json.dumps(state.to_json()))
    with pytest.raises(ConfigError, match="holds a stopped network with another genesis: pass --reset"):
        start_module.start_network(root, genesis={"config": {"chainId": 1338}}, keys=["11" * 32], log=None)
