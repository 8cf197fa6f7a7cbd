"""``consortium-evm accounts new|import|list`` (issue 17 item 1): keystores made, imported and listed;
the entry printed is one networks.yaml loads; passwords and keys never echoed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from consortium_evm.chain.accounts import AccountLoader
from consortium_evm.chain.keystores import import_keystore, list_keystores, networks_entry, new_keystore
from consortium_evm.cli import main
from consortium_evm.config.networks import load_network
from consortium_evm.errors import ConfigError

PASSWORD = "correct horse battery"
KEY = "0x" + "4c" * 32


def test_a_new_keystore_is_scrypt_mode_0600_and_decrypts_to_its_address(tmp_path: Path) -> None:
    made = new_keystore(tmp_path / "keys" / "deployer.json", PASSWORD)
    data = json.loads(made.path.read_text())
    assert data["crypto"]["kdf"] == "scrypt"
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert Account.from_key(Account.decrypt(data, PASSWORD)).address == made.address
    with pytest.raises(ConfigError, match="exists already"):
        new_keystore(made.path, PASSWORD)
    assert Account.from_key(Account.decrypt(json.loads(made.path.read_text()), PASSWORD)).address == made.address


def test_import_keeps_the_key_and_refuses_bad_keys_and_short_passwords(tmp_path: Path) -> None:
    made = import_keystore(tmp_path / "ops.json", KEY, PASSWORD)
    assert made.address == Account.from_key(KEY).address
    for bad in ("0x1234", "zz" * 32):
        with pytest.raises(ConfigError, match="not 64 hex digits"):
            import_keystore(tmp_path / "bad.json", bad, PASSWORD)
    with pytest.raises(ConfigError, match="shorter than 8"):
        import_keystore(tmp_path / "short.json", KEY, "1234")
    assert not (tmp_path / "bad.json").exists() and not (tmp_path / "short.json").exists()


def test_the_printed_entry_is_one_networks_yaml_loads(tmp_path: Path) -> None:
    made = import_keystore(tmp_path / "keys" / "ops.json", KEY, PASSWORD)
    entry = networks_entry("ops", made.path, "OPS_PASSWORD", tmp_path)
    networks = tmp_path / "networks.yaml"
    networks.write_text("networks:\n  local:\n    url: http://127.0.0.1:8545\n    chain_id: 1337\n"
                        "    consensus: clique\n    accounts:\n" + "".join(f"      {line}\n" for line in entry.splitlines()))
    env = {"OPS_PASSWORD": PASSWORD}
    loaded = AccountLoader(load_network("local", networks, environ=env), environ=env).get("ops")
    assert getattr(loaded, "address") == made.address


def test_list_reads_addresses_without_decrypting(tmp_path: Path) -> None:
    a = import_keystore(tmp_path / "b.json", KEY, PASSWORD)
    b = new_keystore(tmp_path / "a.json", PASSWORD)
    (tmp_path / "notes.json").write_text("{}")
    assert [(k.path.name, k.address) for k in list_keystores(tmp_path)] == [("a.json", b.address), ("b.json", a.address)]
    assert list_keystores(tmp_path / "missing") == []


def test_the_commands_never_echo_the_key_or_the_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONSORTIUM_KEYSTORE_PASSWORD", PASSWORD)
    monkeypatch.setenv("OPS_KEY", KEY)
    runner = CliRunner()
    made = runner.invoke(main, ["accounts", "new", "--name", "deployer"])
    assert made.exit_code == 0, made.output
    assert "keystore: keys/deployer.json" in made.output and "password_env: CONSORTIUM_KEYSTORE_PASSWORD" in made.output
    imported = runner.invoke(main, ["accounts", "import", "--name", "ops", "--key-env", "OPS_KEY", "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["address"] == Account.from_key(KEY).address
    listed = runner.invoke(main, ["accounts", "list", "--json"])
    assert [k["path"] for k in json.loads(listed.output)] == ["keys/deployer.json", "keys/ops.json"]
    for result in (made, imported, listed):
        assert KEY.removeprefix("0x") not in result.output and PASSWORD not in result.output
    again = runner.invoke(main, ["accounts", "new", "--name", "deployer"])
    assert again.exit_code == 3 and "exists already" in again.output and "Traceback" not in again.output


def test_without_a_password_and_a_terminal_the_variable_to_set_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONSORTIUM_KEYSTORE_PASSWORD", raising=False)
    result = CliRunner().invoke(main, ["accounts", "new", "--name", "x"])
    assert result.exit_code == 3 and "set CONSORTIUM_KEYSTORE_PASSWORD" in result.output
    result = CliRunner().invoke(main, ["accounts", "import", "--name", "x", "--password-env", "P"], env={"P": PASSWORD})
    assert result.exit_code == 3 and "--key-env" in result.output
