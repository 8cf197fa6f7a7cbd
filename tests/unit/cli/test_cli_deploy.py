"""`consortium-evm deploy` from a user's terminal: each failure is one clear line and exit code 1,
and nothing is written that should not be; the embedded chain deploys end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account
from tests.support.rpc_stub import RpcStub, free_port

from consortium_evm.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "consortium.example.yaml")


def networks_file(tmp_path: Path, url: str, chain_id: int, account: str = "") -> Path:
    path = tmp_path / "networks.yaml"
    path.write_text(
        f"networks:\n  target:\n    url: {url}\n    chain_id: {chain_id}\n    consensus: clique\n"
        f"    gas_price: zero\n{account}"
    )
    return path


def deploy(tmp_path: Path, *args: str) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["deploy", "--out", str(tmp_path / "deployments"), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), output
    assert "Traceback" not in output
    return lines[-1]


def test_deploys_to_the_embedded_chain_with_progress_and_manifest(tmp_path: Path) -> None:
    code, output = deploy(tmp_path, "--network", "tester", "--consortium", EXAMPLE)
    assert code == 0, output
    for step in ("deploy Consortium", "deploy PermissionIngress", "add member Acme Bank", "start governance"):
        assert step in output
    manifest = json.loads((tmp_path / "deployments" / "tester.json").read_text())
    assert manifest["contracts"]["PermissionIngress"]["address"] in output
    assert manifest["inputs"]["consortiumFile"]


def test_json_prints_the_manifest(tmp_path: Path) -> None:
    code, output = deploy(tmp_path, "--network", "tester", "--consortium", EXAMPLE, "--json")
    assert code == 0, output
    manifest = json.loads(output)
    assert set(manifest["contracts"]) == {"Consortium", "PermissionIngress"}
    assert [s["name"] for s in manifest["steps"]][-1] == "start governance"


def test_unknown_network_names_the_known_ones(tmp_path: Path) -> None:
    path = networks_file(tmp_path, "http://127.0.0.1:1", 5)
    code, output = deploy(tmp_path, "--network", "nowhere", "--networks", str(path), "--consortium", EXAMPLE)
    assert code == 3
    line = one_error_line(output)
    assert "nowhere" in line and "target" in line and "tester" in line
    assert not (tmp_path / "deployments").exists()


def test_unreachable_rpc_is_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    path = networks_file(tmp_path, url, 5)
    code, output = deploy(tmp_path, "--network", "target", "--networks", str(path), "--consortium", EXAMPLE)
    assert code == 4
    assert "cannot reach the JSON-RPC endpoint" in one_error_line(output) and url in output
    assert not (tmp_path / "deployments").exists()


def test_chain_id_mismatch_is_named(tmp_path: Path) -> None:
    with RpcStub(chain_id=999) as stub:
        path = networks_file(tmp_path, stub.url, 5)
        code, output = deploy(tmp_path, "--network", "target", "--networks", str(path), "--consortium", EXAMPLE)
        assert stub.calls == ["eth_chainId"]  # nothing else was sent
    assert code == 4
    assert "expects chain id 5 but the node at" in one_error_line(output) and "999" in output


def test_wrong_keystore_password_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keystore = Account.encrypt(Account.create().key, "right")
    (tmp_path / "deployer.json").write_text(json.dumps(keystore))
    monkeypatch.setenv("DEPLOYER_PASSWORD", "wrong")
    account = "    accounts:\n      deployer:\n        keystore: deployer.json\n        password_env: DEPLOYER_PASSWORD\n"
    with RpcStub(chain_id=5) as stub:
        path = networks_file(tmp_path, stub.url, 5, account)
        code, output = deploy(tmp_path, "--network", "target", "--networks", str(path), "--consortium", EXAMPLE)
        assert "eth_sendRawTransaction" not in stub.calls
    assert code == 3
    assert "wrong password" in one_error_line(output) and "deployer.json" in output
    assert not (tmp_path / "deployments").exists()


def test_a_mistake_in_the_consortium_file_is_named_before_connecting(tmp_path: Path) -> None:
    bad = tmp_path / "consortium.yaml"
    bad.write_text(Path(EXAMPLE).read_text().replace("weight: 35", "weight: -1"))
    code, output = deploy(tmp_path, "--network", "tester", "--consortium", str(bad))
    assert code == 3
    assert "consortium.yaml:" in one_error_line(output) and "weight" in output


def test_gas_price_zero_on_a_chain_with_a_base_fee_is_refused_before_sending(tmp_path: Path) -> None:
    """Issue 14, item 14: it waited 120 s for a receipt, the same on every re-run."""
    account = "    accounts:\n      deployer:\n        dev_account: 0\n"
    with RpcStub(chain_id=5, base_fee=7 * 10**9) as stub:
        path = networks_file(tmp_path, stub.url, 5, account)
        code, output = deploy(tmp_path, "--network", "target", "--networks", str(path), "--consortium", EXAMPLE)
        assert not {"eth_sendRawTransaction", "eth_sendTransaction", "eth_estimateGas", "eth_call"} & set(stub.calls)
    assert code == 3
    line = one_error_line(output)
    assert "gas_price policy zero" in line and "base fee of 7 gwei (7000000000 wei)" in line
    assert not (tmp_path / "deployments").exists()


def test_a_reset_chain_is_named_in_one_line_and_fresh_keeps_the_old_files_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14, item 13, through the CLI: a journal whose block 0 is not the chain's (the network
    was started again with the same chain id) is said so in one line; --fresh renames the old
    journal and manifest and deploys anew."""
    from consortium_evm.cli import deploy as cli_deploy
    from consortium_evm.chain.accounts import AccountLoader
    from consortium_evm.chain.connect import Connection
    from consortium_evm.config.fields import AutoGasPrice
    from consortium_evm.config.networks import AccountConfig, Network
    from consortium_evm.node.tester import TESTER_CHAIN_ID, tester_accounts, tester_web3

    w3 = tester_web3(accounts=2)
    network = Network(name="target", url="http://127.0.0.1:1", chain_id=TESTER_CHAIN_ID, consensus="dev",
                      gas_price=AutoGasPrice(), accounts={"deployer": AccountConfig(private_key_env="DEPLOYER_KEY")},
                      source=tmp_path / "networks.yaml")
    loader = AccountLoader(network, w3, environ={"DEPLOYER_KEY": "0x" + bytes(tester_accounts(1)[0].key).hex()})
    monkeypatch.setattr(cli_deploy, "connect", lambda *args, **kwargs: Connection(w3, network, network.gas_price, loader))
    out = tmp_path / "deployments"
    journal, manifest = out / "target.journal.json", out / "target.json"

    code, output = deploy(tmp_path, "--network", "target", "--consortium", EXAMPLE)
    assert code == 0, output
    first = json.loads(manifest.read_text())
    assert first["genesisHash"] == json.loads(journal.read_text())["genesisHash"] == "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()

    data = json.loads(journal.read_text())
    data["genesisHash"] = "0x" + "22" * 32  # the journal of the network before `node start --reset`
    journal.write_text(json.dumps(data))
    code, output = deploy(tmp_path, "--network", "target", "--consortium", EXAMPLE)
    assert code == 3
    line = one_error_line(output)
    assert "was written on another chain: same chain id" in line and "0x" + "22" * 32 in line and "--fresh" in line
    assert "EVM" not in line

    old_journal = journal.read_text()
    code, output = deploy(tmp_path, "--network", "target", "--consortium", EXAMPLE, "--fresh")
    assert code == 0, output
    kept = sorted(p.name for p in out.iterdir() if ".old-" in p.name)
    assert [name.split(".old-")[0] for name in kept] == ["target.journal.json", "target.json"]
    assert f"Kept {journal} aside as {out / kept[0]}" in output
    assert (out / kept[0]).read_text() == old_journal
    assert json.loads((out / kept[1]).read_text()) == first
    second = json.loads(manifest.read_text())
    assert second["contracts"]["Consortium"]["address"] != first["contracts"]["Consortium"]["address"]
