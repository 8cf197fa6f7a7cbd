"""Sign-In with Ethereum (EIP-4361) into bearer tokens: the message parser, the checks, the tokens,
and a members-only gateway on the JSON-RPC double."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from tests.support.gateway_double import CHAIN_ID, IngressNode, config, rpc
from consortium_evm.enforce.gateway import AuthConfig, RunningGateway, run_in_thread
from consortium_evm.enforce.gateway.auth import AuthError, Authenticator, build_message, parse_message

DOMAIN = "gateway.example.org"
SECRET = b"k" * 32
NOW = 1_750_000_000.0


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def sign(account: LocalAccount, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(clock: Clock) -> Authenticator:
    return Authenticator(AuthConfig(secret=SECRET, domain=DOMAIN), CHAIN_ID, clock=clock)


def message_for(account: LocalAccount, nonce: str, **changes: Any) -> str:
    fields: dict[str, Any] = {"domain": DOMAIN, "address": account.address, "uri": f"https://{DOMAIN}/",
                              "chain_id": CHAIN_ID, "nonce": nonce, "issued_at": iso(NOW),
                              "statement": "Read the consortium chain."}
    fields.update(changes)
    return build_message(**fields)


def test_the_parser_reads_the_eip_4361_example() -> None:
    text = (
        "service.org wants you to sign in with your Ethereum account:\n"
        "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n\n"
        "I accept the ServiceOrg Terms of Service: https://service.org/tos\n\n"
        "URI: https://service.org/login\nVersion: 1\nChain ID: 1\nNonce: 32891757\n"
        "Issued At: 2021-09-30T16:25:24.000Z\nResources:\n- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/\n"
        "- https://example.com/my-web2-claim.json"
    )
    parsed = parse_message(text)
    assert parsed.domain == "service.org" and parsed.chain_id == 1 and parsed.nonce == "32891757"
    assert parsed.statement.startswith("I accept") if parsed.statement else False
    assert len(parsed.resources) == 2
    assert parse_message(text.replace("I accept the ServiceOrg Terms of Service: https://service.org/tos\n", "")).statement is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m.replace("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"), "EIP-55"),
        (lambda m: m.replace("Version: 1", "Version: 2"), "Version"),
        (lambda m: m.replace("Nonce: 32891757", "Nonce: 123"), "not an EIP-4361"),
        (lambda m: m.replace("2021-09-30T16:25:24.000Z", "yesterday"), "RFC 3339"),
        (lambda m: m.replace("2021-09-30T16:25:24.000Z", "2021-09-30T16:25:24"), "time zone"),
        (lambda m: m + "\nExtra: line", "not an EIP-4361"),
        (lambda m: m.replace(" wants you", " wants  you"), "not an EIP-4361"),
    ],
)
def test_the_parser_refuses_what_the_abnf_does_not_allow(change: Any, words: str) -> None:
    text = (
        "service.org wants you to sign in with your Ethereum account:\n"
        "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n\n\n"
        "URI: https://service.org/login\nVersion: 1\nChain ID: 1\nNonce: 32891757\nIssued At: 2021-09-30T16:25:24.000Z"
    )
    parse_message(text)
    with pytest.raises(AuthError, match=words):
        parse_message(change(text))


def test_a_signed_in_account_gets_a_token_that_says_who_it_is(auth: Authenticator, clock: Clock) -> None:
    member = Account.create()
    message = message_for(member, auth.nonce())
    parsed = auth.verify(message, sign(member, message))
    token, expires = auth.issue(parsed)
    assert expires == NOW + 3600
    assert auth.check(token).account == member.address
    clock.now = expires
    with pytest.raises(AuthError, match="expired"):
        auth.check(token)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"domain": "evil.example.org"}, "domain"),
        ({"chain_id": CHAIN_ID + 1}, "chain id"),
        ({"issued_at": iso(NOW + 600)}, "future"),
        ({"issued_at": iso(NOW - 3600)}, "older"),
        ({"expiration_time": iso(NOW - 1)}, "expired"),
    ],
)
def test_a_sign_in_is_refused_when_a_field_is_wrong(auth: Authenticator, changes: dict[str, Any], words: str) -> None:
    member = Account.create()
    message = message_for(member, auth.nonce(), **changes)
    with pytest.raises(AuthError, match=words):
        auth.verify(message, sign(member, message))


def test_a_nonce_is_used_once_and_must_be_the_gateways(auth: Authenticator, clock: Clock) -> None:
    member = Account.create()
    message = message_for(member, auth.nonce())
    auth.verify(message, sign(member, message))
    with pytest.raises(AuthError, match="nonce"):
        auth.verify(message, sign(member, message))
    made_up = message_for(member, "abcdefgh12345678")
    with pytest.raises(AuthError, match="nonce"):
        auth.verify(made_up, sign(member, made_up))
    late = message_for(member, auth.nonce())
    clock.now += 301
    with pytest.raises(AuthError, match="nonce"):
        auth.verify(late, sign(member, late))


def test_a_signature_by_another_account_is_refused(auth: Authenticator) -> None:
    member, other = Account.create(), Account.create()
    message = message_for(member, auth.nonce())
    with pytest.raises(AuthError, match="not"):
        auth.verify(message, sign(other, message))
    message = message_for(member, auth.nonce())
    with pytest.raises(AuthError, match="65 bytes"):
        auth.verify(message, "0x1234")


def test_a_token_expires_with_the_message_and_cannot_be_forged(auth: Authenticator, clock: Clock) -> None:
    member = Account.create()
    message = message_for(member, auth.nonce(), expiration_time=iso(NOW + 60))
    token, expires = auth.issue(auth.verify(message, sign(member, message)))
    assert expires == NOW + 60
    body, _, mac = token.partition(".")
    other = Authenticator(AuthConfig(secret=b"x" * 32, domain=DOMAIN), CHAIN_ID, clock=clock)
    with pytest.raises(AuthError, match="not this gateway's"):
        other.check(token)
    with pytest.raises(AuthError, match="not this gateway's"):
        auth.check(body + "A." + mac)
    with pytest.raises(AuthError, match="malformed"):
        auth.check("garbage")
    another_chain = Authenticator(AuthConfig(secret=SECRET, domain=DOMAIN), CHAIN_ID + 1, clock=clock)
    with pytest.raises(AuthError, match="another chain"):
        another_chain.check(token)


# -- a members-only gateway ------------------------------------------------------------------------


@pytest.fixture
def node() -> Iterator[IngressNode]:
    with IngressNode() as stub:
        yield stub


@pytest.fixture
def gateway(node: IngressNode) -> Iterator[RunningGateway]:
    with run_in_thread(config(node, auth=AuthConfig(secret=SECRET, domain=DOMAIN))) as running:
        yield running


def sign_in(gateway: RunningGateway, account: LocalAccount) -> requests.Response:
    nonce = requests.post(gateway.url + "/auth/nonce", timeout=10).json()["nonce"]
    message = build_message(DOMAIN, account.address, f"https://{DOMAIN}/", CHAIN_ID, nonce,
                            datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"))
    return requests.post(gateway.url + "/auth/verify", json={"message": message, "signature": sign(account, message)},
                         timeout=10)


def test_reads_need_a_members_token(node: IngressNode, gateway: RunningGateway) -> None:
    read = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
    anonymous = rpc(gateway.url, read)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == -32001
    assert "eth_chainId" not in node.calls
    outsider = sign_in(gateway, Account.create())
    assert outsider.status_code == 403 and "not allowed" in outsider.json()["error"]
    member = Account.create()
    node.allowed.add(member.address)
    signed = sign_in(gateway, member)
    assert signed.status_code == 200 and signed.json()["account"] == member.address
    bearer = {"Authorization": "Bearer " + signed.json()["token"]}
    assert rpc(gateway.url, read, bearer).json()["result"] == hex(CHAIN_ID)
    forged = {"Authorization": "Bearer " + signed.json()["token"][:-2] + "AA"}
    assert rpc(gateway.url, read, forged).status_code == 401
    # The member's account is removed by a proposal: from the next block on, its token reads nothing.
    node.allowed.discard(member.address)
    assert rpc(gateway.url, read, bearer).json()["result"] == hex(CHAIN_ID)  # same block: the cached answer
    node.head += 1
    refused = rpc(gateway.url, read, bearer)
    assert refused.status_code == 403 and "not allowed" in refused.json()["error"]["message"]
    metrics = requests.get(gateway.url + "/metrics", timeout=10).text
    assert 'gateway_refusals_total{reason="unauthenticated"} 1.0' in metrics
    assert 'gateway_refusals_total{reason="account_not_allowed"}' in metrics


def test_sign_in_endpoints_refuse_garbage(gateway: RunningGateway) -> None:
    assert requests.post(gateway.url + "/auth/verify", data=b"{", timeout=10).status_code == 400
    assert requests.post(gateway.url + "/auth/verify", json={"message": "hi", "signature": "0x"}, timeout=10).status_code == 401
    assert requests.post(gateway.url + "/auth/verify", data=b"x" * 20000, timeout=10).status_code == 413


def test_sign_in_is_absent_without_members_only(node: IngressNode) -> None:
    with run_in_thread(config(node)) as gateway:
        assert requests.post(gateway.url + "/auth/nonce", timeout=10).status_code == 404
