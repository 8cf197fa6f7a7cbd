"""Remote signers (Web3Signer through a double of its documented JSON-RPC; Clef's real binary is in
tests/integration/test_clef.py): signing through the pipeline, every failure as a clear
SignerError naming the URL and the account, and what comes back checked before anything is sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from consortium_evm.chain.accounts import AccountLoader
from consortium_evm.chain.signers import ClefSigner, Web3Signer
from consortium_evm.chain.signers.verify import decode_signed
from consortium_evm.cli import accounts as accounts_cli
from consortium_evm.config.networks import load_network
from consortium_evm.domain.devkeys import dev_account
from consortium_evm.domain.signatures import sign_typed
from consortium_evm.errors import (
    AccountRequiredError,
    ConfigError,
    SignerAccountError,
    SignerError,
    SignerMismatchError,
    SignerRefusedError,
    SignerUnreachableError,
)
from consortium_evm.node.tester import TESTER_CHAIN_ID
from tests.support.client import keys, make_client
from tests.support.consortium import Env
from tests.support.rpc_stub import free_port
from tests.support.web3signer_double import Web3SignerDouble

KEY = dev_account(3)
OTHER = dev_account(4)
TX: dict[str, Any] = {"nonce": 7, "gas": 50_000, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9,
                      "chainId": 1337, "to": OTHER.address, "value": 0, "data": "0x1234"}


@pytest.fixture
def double() -> Any:
    with Web3SignerDouble([KEY], chain_id=1337) as signer:
        yield signer


def test_web3signer_signs_exactly_the_transaction_asked_for(double: Web3SignerDouble) -> None:
    signer = Web3Signer(double.url, KEY.address, timeout=5)
    for tx in (TX, {k: v for k, v in TX.items() if not k.startswith("max")} | {"gasPrice": 5}):
        signed = signer.sign_transaction(tx)
        assert signed.raw_transaction == KEY.sign_transaction(tx).raw_transaction  # deterministic (RFC 6979)
        assert signed.hash == keccak(signed.raw_transaction)
        assert decode_signed(signed.raw_transaction)[1] == KEY.address
    method, params = double.requests[0]
    assert method == "eth_signTransaction"
    assert params[0] == {"from": KEY.address, "gas": "0xc350", "value": "0x0", "nonce": "0x7", "data": "0x1234",
                         "chainId": "0x539", "to": OTHER.address, "maxFeePerGas": "0xb2d05e00",
                         "maxPriorityFeePerGas": "0x3b9aca00"}


@pytest.mark.parametrize(("tamper", "differs"), [
    (lambda tx: {**tx, "nonce": tx["nonce"] + 1}, "nonce (asked 7, signed 8)"),
    (lambda tx: {**tx, "to": dev_account(5).address}, "to (asked"),
    (lambda tx: {**tx, "value": 1}, "value (asked 0, signed 1)"),
    (lambda tx: {**tx, "data": "0x12345678"}, "data (asked"),
    (lambda tx: {**tx, "maxFeePerGas": tx["maxFeePerGas"] * 10}, "max_fee_per_gas"),
])
def test_a_changed_transaction_is_refused(double: Web3SignerDouble, tamper: Any, differs: str) -> None:
    double.tamper = tamper
    with pytest.raises(SignerMismatchError, match="signed another transaction") as caught:
        Web3Signer(double.url, KEY.address).sign_transaction(TX)
    assert differs in str(caught.value) and double.url in str(caught.value) and KEY.address in str(caught.value)
    assert "nothing was sent" in str(caught.value)


def test_another_chain_id_names_the_fix(double: Web3SignerDouble) -> None:
    double.chain_id = 1  # Web3Signer signs with the chain id it was started with, whatever the request says
    with pytest.raises(SignerMismatchError, match="chain_id .asked 1337, signed 1.*configure the signer for chain id 1337"):
        Web3Signer(double.url, KEY.address).sign_transaction(TX)


def test_another_signer_is_refused(double: Web3SignerDouble) -> None:
    double.sign_with = OTHER
    with pytest.raises(SignerMismatchError, match=f"signed by {OTHER.address}, not by account {KEY.address}"):
        Web3Signer(double.url, KEY.address).sign_transaction(TX)


def test_unknown_account_unreachable_refused_and_incomplete(double: Web3SignerDouble) -> None:
    with pytest.raises(SignerAccountError, match=f"does not hold account {OTHER.address}.*No unlocked account") as caught:
        Web3Signer(double.url, OTHER.address).sign_transaction(TX)
    assert (caught.value.url, caught.value.account) == (double.url, OTHER.address)
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SignerUnreachableError, match=f"cannot reach the Web3Signer at {nowhere} .signing for account "
                                                     f"{KEY.address}.: connection refused"):
        Web3Signer(nowhere, KEY.address).sign_transaction(TX)
    double.token = "s3cret"
    with pytest.raises(SignerRefusedError, match="HTTP 401 .check the bearer token"):
        Web3Signer(double.url, KEY.address).sign_transaction(TX)
    assert Web3Signer(double.url, KEY.address, token="s3cret").sign_transaction(TX).sender == KEY.address
    with pytest.raises(SignerError, match="lacks nonce"):
        Web3Signer(double.url, KEY.address, token="s3cret").sign_transaction({k: v for k, v in TX.items() if k != "nonce"})
    assert "s3cret" not in repr(Web3Signer(double.url, KEY.address, token="s3cret"))


def test_a_signer_that_does_not_know_the_method(double: Web3SignerDouble) -> None:
    # Clef's method names at a Web3Signer: -32601, said as such
    with pytest.raises(SignerRefusedError, match="does not support account_signTransaction.*a clef"):
        ClefSigner(double.url, KEY.address).sign_transaction(TX)


def test_check_and_upcheck(double: Web3SignerDouble) -> None:
    Web3Signer(double.url, KEY.address).check()
    with pytest.raises(SignerAccountError, match=f"does not offer account {OTHER.address}"):
        Web3Signer(double.url, OTHER.address).check()
    double.up = False
    with pytest.raises(SignerUnreachableError, match="is not up: GET /upcheck answered HTTP 503"):
        Web3Signer(double.url, KEY.address).check()


def test_typed_data_is_signed_by_the_signer_and_checked(double: Web3SignerDouble) -> None:
    message = {"proposalId": 2**255 + 12345, "support": 1, "memberId": 2, "voter": KEY.address, "nonce": 0}
    consortium = OTHER.address
    remote = sign_typed(Web3Signer(double.url, KEY.address), "Ballot", message, 1337, consortium)
    assert remote == sign_typed(KEY, "Ballot", message, 1337, consortium)
    double.high_s = True  # the same signature in its other (high-s) form, which the contracts refuse
    assert sign_typed(Web3Signer(double.url, KEY.address), "Ballot", message, 1337, consortium) == remote
    double.high_s = False
    double.sign_with = OTHER
    with pytest.raises(SignerMismatchError, match="typed-data signature by .*not by account"):
        sign_typed(Web3Signer(double.url, KEY.address), "Ballot", message, 1337, consortium)


# -- through the client, on the embedded chain ----------------------------------------------------


def test_a_member_votes_and_signs_ballots_through_web3signer(env: Env) -> None:
    admin: LocalAccount = keys(env)[env.founders[1].admin]
    with Web3SignerDouble([admin], chain_id=TESTER_CHAIN_ID) as double:
        remote = make_client(env, Web3Signer(double.url, admin.address))
        creator = make_client(env, env.founders[0].admin)
        proposed = creator.proposals.create(creator.actions.suspend_member(3), "suspend 3 (signers)")
        signed_vote = remote.proposals.sign_vote(proposed.proposal_id, "for")
        assert signed_vote.voter == admin.address
        voted = creator.proposals.submit_vote(signed_vote)  # relayed by another account
        assert voted.member_id == 2
        second = creator.proposals.create(creator.actions.suspend_member(3), "suspend 3 again (signers)")
        sent = remote.proposals.vote(second.proposal_id, "against")
        assert env.w3.eth.get_transaction(sent.sent.tx_hash)["from"] == admin.address
        assert [m for m, _ in double.requests].count("eth_signTransaction") == 1
        assert [m for m, _ in double.requests].count("eth_signTypedData") == 1


class _TransactionsOnly:
    """A TransactionSigner that cannot sign typed data (an open interface: any signer fits)."""

    def __init__(self, key: LocalAccount) -> None:
        self.key = key
        self.address = key.address

    def sign_transaction(self, tx: Any) -> Any:
        return self.key.sign_transaction(tx)


def test_a_transactions_only_signer_sends_but_cannot_sign_ballots(env: Env) -> None:
    admin = keys(env)[env.founders[2].admin]
    client = make_client(env, _TransactionsOnly(admin))  # type: ignore[arg-type]
    proposed = client.proposals.create(client.actions.suspend_member(1), "signers: transactions only")
    with pytest.raises(AccountRequiredError, match="needs EIP-712 typed-data signing.*_TransactionsOnly"):
        client.proposals.sign_vote(proposed.proposal_id, "for")


# -- networks.yaml ----------------------------------------------------------------------------------


def networks(tmp_path: Path, accounts: str) -> Path:
    path = tmp_path / "networks.yaml"
    path.write_text("networks:\n  net:\n    url: http://127.0.0.1:8545\n    chain_id: 1337\n    consensus: clique\n"
                    "    accounts:\n" + accounts)
    return path


def test_networks_yaml_signer_entries(tmp_path: Path, double: Web3SignerDouble) -> None:
    clef = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    path = networks(tmp_path,
                    f"      ops: {{signer: {{kind: web3signer, url: '{double.url}', address: '{KEY.address.lower()}',"
                    " token_env: W3S_TOKEN, timeout: 5}}\n"
                    f"      hsm: {{signer: {{kind: clef, url: '{clef}', address: '{OTHER.address}'}}}}\n"
                    "      dev: {dev_account: 1}\n")
    network = load_network("net", path)
    assert network.accounts["ops"].signer is not None and network.accounts["ops"].signer.address == KEY.address
    loader = AccountLoader(network, environ={"W3S_TOKEN": "t0k"})
    ops = loader.get("ops")
    assert isinstance(ops, Web3Signer) and ops.address == KEY.address and ops.timeout == 5 and loader.get("ops") is ops
    assert isinstance(loader.get("hsm"), ClefSigner) and loader.address("hsm") == OTHER.address
    assert loader.describe("hsm") == ("clef", OTHER.address, clef)
    with pytest.raises(ConfigError, match=f"signs through the clef signer at {clef}; it has no local key"):
        loader.local_account("hsm")
    with pytest.raises(ConfigError, match="networks.yaml:7.*W3S_TOKEN .signer.token_env. is not set"):
        AccountLoader(network, environ={}).get("ops")
    double.token = "t0k"
    runner = CliRunner()
    result = runner.invoke(accounts_cli.accounts_group, ["list", "--network", "net", "--networks", str(path), "--check"],
                           env={"W3S_TOKEN": "wrong"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split()[:3] == ["ops", "web3signer", KEY.address] for line in lines)
    assert any(line.split()[:3] == ["dev", "dev_account", dev_account(1).address] for line in lines)
    assert "HTTP 401" in result.output and f"cannot reach the Clef signer at {clef}" in result.output


@pytest.mark.parametrize(("entry", "message"), [
    ("{signer: {kind: vault, url: 'http://x:1', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'}}",
     r"networks.yaml:7: networks.net.accounts.bad.signer.kind: Input should be 'clef' or 'web3signer'"),
    ("{signer: {kind: clef, url: 'ftp://x', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'}}",
     r"networks.yaml:7: networks.net.accounts.bad.signer.url: .*http:// or https://"),
    ("{signer: {kind: clef, url: 'http://x:1', address: '0x1234'}}",
     r"networks.yaml:7: networks.net.accounts.bad.signer.address: .*is not an Ethereum address"),
    ("{signer: {kind: clef, url: 'http://x:1', address: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8}}",
     r"networks.yaml:7: .*write the address in quotes"),
    ("{signer: {kind: clef, url: 'http://x:1', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', password: x}}",
     r"networks.yaml:7: networks.net.accounts.bad.signer.password: unknown key"),
    ("{dev_account: 1, signer: {kind: clef, url: 'http://x:1', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'}}",
     r"exactly one of keystore .with password_env., private_key_env, dev_account or signer"),
    ("{address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', signer: {kind: clef, url: 'http://x:1', "
     "address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'}}", r"address goes in signer.address"),
])
def test_bad_signer_entries_name_file_line_and_key(tmp_path: Path, entry: str, message: str) -> None:
    path = networks(tmp_path, f"      bad: {entry}\n")
    with pytest.raises(ConfigError, match=message):
        load_network("net", path)
