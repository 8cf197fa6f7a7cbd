"""Named accounts: keystores (password from the environment or a prompt), private keys from the
environment, the tester's accounts by index; every failure is a clear ConfigError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr

from consortium_evm.chain import accounts as accounts_module
from consortium_evm.chain.accounts import AccountLoader, click_password_prompt, decrypt_keystore, stdin_is_tty
from consortium_evm.config.networks import AccountConfig, Network, load_network, tester_network
from consortium_evm.errors import ConfigError
from consortium_evm.node.tester import tester_web3

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ADDRESS = Account.from_key(KEY).address
PASSWORD = "correct horse battery staple"


def make_keystore(path: Path, key: str = KEY, password: str = PASSWORD) -> Path:
    """An eth-account keystore, with a cheap KDF so the tests stay fast."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(Account.encrypt(HexStr(key), password, kdf="pbkdf2", iterations=1000)))
    return path


def networks_file(tmp_path: Path, accounts: str) -> Path:
    path = tmp_path / "conf" / "networks.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "networks:\n"
        "  local:\n"
        "    url: http://127.0.0.1:8545\n"
        "    chain_id: 1337\n"
        "    consensus: clique\n"
        "    accounts:\n" + accounts
    )
    return path


def loader(path: Path, env: dict[str, str], **kwargs: Any) -> AccountLoader:
    return AccountLoader(load_network("local", path, environ=env), environ=env, **kwargs)


def never_prompt(text: str) -> str:
    raise AssertionError(f"unexpected prompt: {text}")


# -- keystores ----------------------------------------------------------------------------------


def test_keystore_with_password_from_env_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keystore = make_keystore(tmp_path / "conf" / "keys" / "deployer.json")
    path = networks_file(tmp_path, "      deployer:\n        keystore: keys/deployer.json\n        password_env: DEPLOYER_PASSWORD\n")
    monkeypatch.chdir(tmp_path)  # not the file's directory: the path is relative to the file
    accounts = loader(path, {"DEPLOYER_PASSWORD": PASSWORD}, prompt=never_prompt)
    account = accounts.get("deployer")
    assert isinstance(account, LocalAccount)
    assert account.address == ADDRESS
    assert accounts.address("deployer") == ADDRESS
    assert accounts.local_account("deployer") is account  # loaded once
    assert keystore.exists()


def test_wrong_keystore_password(tmp_path: Path) -> None:
    keystore = make_keystore(tmp_path / "conf" / "deployer.json")
    path = networks_file(tmp_path, "      deployer: {keystore: deployer.json, password_env: DEPLOYER_PASSWORD}\n")
    with pytest.raises(ConfigError) as info:
        loader(path, {"DEPLOYER_PASSWORD": "wrong"}).get("deployer")
    message = str(info.value)
    assert message.endswith(f"wrong password for keystore {keystore}")
    assert message.startswith(f"{path}:7: networks.local.accounts.deployer: ")
    with pytest.raises(ConfigError, match=r"^wrong password for keystore "):
        decrypt_keystore(keystore, "wrong")


def test_missing_password_variable_without_a_terminal(tmp_path: Path) -> None:
    keystore = make_keystore(tmp_path / "conf" / "deployer.json")
    path = networks_file(tmp_path, "      deployer: {keystore: deployer.json, password_env: DEPLOYER_PASSWORD}\n")
    with pytest.raises(ConfigError) as info:
        loader(path, {}, prompt=never_prompt, interactive=False).get("deployer")
    message = str(info.value)
    assert "environment variable DEPLOYER_PASSWORD is not set" in message
    assert str(keystore) in message
    assert "stdin is not a terminal" in message


def test_missing_password_variable_under_pytest_is_not_a_terminal(tmp_path: Path) -> None:
    make_keystore(tmp_path / "conf" / "deployer.json")
    path = networks_file(tmp_path, "      deployer: {keystore: deployer.json, password_env: DEPLOYER_PASSWORD}\n")
    assert not stdin_is_tty()  # pytest captures stdin
    with pytest.raises(ConfigError, match="DEPLOYER_PASSWORD is not set"):
        loader(path, {}, prompt=never_prompt).get("deployer")


def test_prompt_on_a_terminal_when_the_variable_is_unset(tmp_path: Path) -> None:
    keystore = make_keystore(tmp_path / "conf" / "deployer.json")
    path = networks_file(tmp_path, "      deployer: {keystore: deployer.json, password_env: DEPLOYER_PASSWORD}\n")
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return PASSWORD

    accounts = loader(path, {}, prompt=prompt, interactive=True)
    account = accounts.get("deployer")
    assert not isinstance(account, str) and account.address == ADDRESS
    accounts.get("deployer")
    assert asked == [f"Password for keystore {keystore}"]  # asked once


def test_keystore_without_password_env_prompts_or_explains(tmp_path: Path) -> None:
    make_keystore(tmp_path / "conf" / "deployer.json")
    path = networks_file(tmp_path, "      deployer: {keystore: deployer.json}\n")
    assert loader(path, {}, prompt=lambda _t: PASSWORD, interactive=True).address("deployer") == ADDRESS
    with pytest.raises(ConfigError, match="configure password_env"):
        loader(path, {}, interactive=False).get("deployer")


def test_the_default_prompt_hides_the_input(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_prompt(text: str, **kwargs: Any) -> str:
        seen.update(kwargs, text=text)
        return "secret"

    monkeypatch.setattr(click, "prompt", fake_prompt)
    assert click_password_prompt("Password for keystore k.json") == "secret"
    assert seen == {"text": "Password for keystore k.json", "hide_input": True}
    assert accounts_module.click_password_prompt is click_password_prompt


def test_missing_or_malformed_keystore_file(tmp_path: Path) -> None:
    path = networks_file(tmp_path, "      deployer: {keystore: nowhere.json, password_env: P}\n")
    with pytest.raises(ConfigError) as info:
        loader(path, {"P": PASSWORD}).get("deployer")
    assert f"keystore file {tmp_path / 'conf' / 'nowhere.json'} does not exist" in str(info.value)
    (tmp_path / "conf" / "nowhere.json").write_text("{not json")
    with pytest.raises(ConfigError, match="is not JSON"):
        loader(path, {"P": PASSWORD}).get("deployer")
    (tmp_path / "conf" / "nowhere.json").write_text('{"address": "00"}')
    with pytest.raises(ConfigError, match="not an eth-account JSON keystore"):
        loader(path, {"P": PASSWORD}).get("deployer")


# -- private keys from the environment ---------------------------------------------------------


@pytest.mark.parametrize("value", [KEY, KEY.removeprefix("0x"), f"  {KEY}\n"])
def test_private_key_from_env(tmp_path: Path, value: str) -> None:
    path = networks_file(tmp_path, "      ci: {private_key_env: CI_KEY}\n")
    account = loader(path, {"CI_KEY": value}).get("ci")
    assert isinstance(account, LocalAccount)
    assert account.address == ADDRESS


def test_private_key_variable_missing_or_malformed(tmp_path: Path) -> None:
    path = networks_file(tmp_path, "      ci: {private_key_env: CI_KEY}\n")
    with pytest.raises(ConfigError) as info:
        loader(path, {}).get("ci")
    assert str(info.value) == f"{path}:7: networks.local.accounts.ci: environment variable CI_KEY (private_key_env) is not set"
    with pytest.raises(ConfigError) as info:
        loader(path, {"CI_KEY": "0x1234deadbeef"}).get("ci")
    assert "does not hold a private key" in str(info.value)
    assert "deadbeef" not in str(info.value)  # secrets are never shown
    with pytest.raises(ConfigError, match="does not hold a valid private key"):
        loader(path, {"CI_KEY": "00" * 32}).get("ci")


def test_configured_address_is_checked(tmp_path: Path) -> None:
    path = networks_file(tmp_path, f"      ci: {{private_key_env: CI_KEY, address: '{ADDRESS.lower()}'}}\n")
    assert loader(path, {"CI_KEY": KEY}).address("ci") == ADDRESS
    other = Account.from_key("0x" + "11" * 32).address
    with pytest.raises(ConfigError, match=f"the key is for {other}, but the configured address is {ADDRESS}"):  # checksummed when read
        loader(path, {"CI_KEY": "0x" + "11" * 32}).get("ci")


def test_unknown_account_name_lists_the_known_ones(tmp_path: Path) -> None:
    path = networks_file(tmp_path, "      ci: {private_key_env: CI_KEY}\n      ops: {private_key_env: OPS_KEY}\n")
    accounts = loader(path, {})
    assert accounts.names() == ["ci", "ops"]
    with pytest.raises(ConfigError, match="network 'local' has no account named 'deployer'; its accounts: ci, ops"):
        accounts.get("deployer")


# -- development accounts -----------------------------------------------------------------------

DEV_ACCOUNTS = {  # the "test test ... junk" mnemonic's accounts, as anvil and Hardhat list them
    0: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    1: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    4: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    9: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
    10: "0xBcd4042DE499D14e55001CcbB24a551F3b954096",
}


def test_dev_account_is_the_mnemonic_account_without_any_local_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no network was started: there is no dev-accounts.json anywhere (a network from a given genesis
    # writes none with keys either), and the accounts still sign
    monkeypatch.setenv("CONSORTIUM_NODES_DIR", str(tmp_path / "no-network-here"))
    path = networks_file(tmp_path, "".join(f"      dev{n}: {{dev_account: {n}}}\n" for n in DEV_ACCOUNTS))
    accounts = loader(path, {})
    for n, address in DEV_ACCOUNTS.items():
        assert accounts.address(f"dev{n}") == address
    assert not (tmp_path / "no-network-here").exists()


def test_dev_account_with_its_address_checked(tmp_path: Path) -> None:
    path = networks_file(tmp_path, f'      acme: {{dev_account: 1, address: "{DEV_ACCOUNTS[0]}"}}\n')
    with pytest.raises(ConfigError, match=rf"networks.yaml:7: networks.local.accounts.acme: the key is for {DEV_ACCOUNTS[1]}"):
        loader(path, {}).get("acme")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "greater than or equal to 0"),
        (str(2**31), "less than or equal to 2147483647"),
        ("true", "not a boolean"),
        ("one", "valid integer"),
    ],
)
def test_a_bad_dev_account_index_is_refused_with_the_file_and_line(tmp_path: Path, value: str, message: str) -> None:
    path = networks_file(tmp_path, f"      acme: {{dev_account: {value}}}\n")
    with pytest.raises(ConfigError, match=rf"networks.yaml:7: networks.local.accounts.acme.dev_account: .*{message}"):
        loader(path, {}).get("acme")


def test_dev_account_out_of_range_in_the_library() -> None:
    from consortium_evm.domain.devkeys import dev_account

    assert dev_account(1).address == DEV_ACCOUNTS[1]
    with pytest.raises(ConfigError, match="there is no development account -1: they are numbered 0 to 2147483647"):
        dev_account(-1)
    net = Network(name="adhoc", url="http://127.0.0.1:1", chain_id=1, consensus="dev",
                  accounts={"x": AccountConfig.model_construct(dev_account=2**31)},
                  locations={"x": "networks.yaml:9: networks.adhoc.accounts.x"})
    with pytest.raises(ConfigError, match=r"^networks.yaml:9: networks.adhoc.accounts.x: there is no development account"):
        AccountLoader(net).get("x")


# -- the tester network -------------------------------------------------------------------------


def test_tester_accounts_by_index() -> None:
    w3 = tester_web3()
    accounts = AccountLoader(tester_network(), w3)
    unlocked = list(w3.eth.accounts)
    assert accounts.names() == [str(i) for i in range(10)]
    assert accounts.get(0) == unlocked[0]
    assert accounts.get("9") == unlocked[9]
    assert accounts.address(1) == unlocked[1]
    with pytest.raises(ConfigError, match="named by index: 0 to 9, not 'deployer'"):
        accounts.get("deployer")
    with pytest.raises(ConfigError, match="not local keys"):
        accounts.local_account("0")
    with pytest.raises(ConfigError, match="need its Web3"):
        AccountLoader(tester_network()).get(0)


def test_loader_without_a_file_network_is_usable_directly() -> None:
    net = Network(name="adhoc", url="http://127.0.0.1:1", chain_id=1, consensus="dev")
    assert AccountLoader(net).names() == []
