"""Sign-In with Ethereum (EIP-4361) into an HMAC-signed bearer token.

The message is parsed by this module against the EIP-4361 ABNF (one regular expression, line by
line) rather than by the ``siwe`` package: siwe 4.x pins web3 < 8 and eth-account < 0.14, which
the project has left behind. What is checked: the ``domain`` is the gateway's, the address is
EIP-55, ``Version: 1``, the chain id is the network's, the nonce was issued here, is unexpired and
is used once, ``Issued At`` is recent and not in the future, ``Expiration Time`` (if any) is
ahead and ``Not Before`` (if any) is past, and the EIP-191 ``personal_sign`` signature recovers
the address (contract wallets, EIP-1271, are not supported). The token then says who the caller
is, until its expiry; whether that account may still read is asked of the ingress at each request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from eth_account import Account
from eth_account.messages import encode_defunct

from consortium_evm.domain.spec import parse_address
from consortium_evm.errors import ConfigError, ConsortiumError
from consortium_evm.enforce.gateway.config import AuthConfig

MAX_MESSAGE = 4096

_MESSAGE = re.compile(
    r"(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+\-.]*)://)?(?P<domain>[^\s/?#@]+(?::[0-9]+)?)"
    r" wants you to sign in with your Ethereum account:\n"
    r"(?P<address>0x[0-9a-fA-F]{40})\n"
    r"\n"
    r"(?:(?P<statement>[^\n]+)\n)?"
    r"\n"
    r"URI: (?P<uri>[^\s]+)\n"
    r"Version: (?P<version>[^\n]+)\n"
    r"Chain ID: (?P<chain_id>[0-9]+)\n"
    r"Nonce: (?P<nonce>[a-zA-Z0-9]{8,})\n"
    r"Issued At: (?P<issued_at>[^\s]+)"
    r"(?:\nExpiration Time: (?P<expiration_time>[^\s]+))?"
    r"(?:\nNot Before: (?P<not_before>[^\s]+))?"
    r"(?:\nRequest ID: (?P<request_id>[^\n]*))?"
    r"(?:\nResources:(?P<resources>(?:\n- [^\s]+)*))?"
)


class AuthError(ConsortiumError):
    """A sign-in or a token the gateway does not accept (the message says why)."""


@dataclass(frozen=True)
class SiweMessage:
    """The fields of an EIP-4361 message the gateway checks."""

    domain: str
    address: str
    statement: str | None
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: float
    expiration_time: float | None
    not_before: float | None
    request_id: str | None
    resources: tuple[str, ...]


def _timestamp(text: str, field: str) -> float:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise AuthError(f"{field} {text!r} is not an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise AuthError(f"{field} {text!r} has no time zone (RFC 3339 needs one, e.g. Z)")
    return parsed.timestamp()


def _checksummed(address: str) -> bool:
    """EIP-4361 wants the address in its EIP-55 form exactly (all-lower or all-upper case refused)."""
    try:
        return parse_address(address, "address") == address
    except ConfigError:
        return False


def parse_message(text: str) -> SiweMessage:
    """Parse an EIP-4361 message; AuthError naming what is wrong."""
    if len(text) > MAX_MESSAGE:
        raise AuthError(f"the message is longer than {MAX_MESSAGE} characters")
    match = _MESSAGE.fullmatch(text)
    if match is None:
        raise AuthError("the message is not an EIP-4361 (Sign-In with Ethereum) message")
    g = match.groupdict()
    if not _checksummed(g["address"]):
        raise AuthError(f"the address {g['address']} is not in EIP-55 mixed-case checksum form")
    if g["version"] != "1":
        raise AuthError(f"Version {g['version']!r} is not supported (only 1)")
    resources = tuple(line[2:] for line in (g["resources"] or "").split("\n") if line)
    return SiweMessage(
        domain=g["domain"],
        address=g["address"],
        statement=g["statement"],
        uri=g["uri"],
        version=g["version"],
        chain_id=int(g["chain_id"]),
        nonce=g["nonce"],
        issued_at=_timestamp(g["issued_at"], "Issued At"),
        expiration_time=_timestamp(g["expiration_time"], "Expiration Time") if g["expiration_time"] else None,
        not_before=_timestamp(g["not_before"], "Not Before") if g["not_before"] else None,
        request_id=g["request_id"],
        resources=resources,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Token:
    """A verified bearer token: the account and when the token ends."""

    account: str
    expires: float


class Authenticator:
    """Issues nonces, verifies sign-ins, issues and checks tokens."""

    def __init__(self, config: AuthConfig, chain_id: int, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.chain_id = chain_id
        self.clock = clock
        self._nonces: OrderedDict[str, float] = OrderedDict()

    def nonce(self) -> str:
        """A fresh nonce (17 alphanumeric characters), valid once for ``nonce_ttl`` seconds."""
        now = self.clock()
        self._expire(now)
        while len(self._nonces) >= self.config.max_nonces:
            self._nonces.popitem(last=False)
        value = secrets.token_hex(12)
        self._nonces[value] = now + self.config.nonce_ttl
        return value

    def _expire(self, now: float) -> None:
        while self._nonces:
            first, expires = next(iter(self._nonces.items()))
            if expires > now:
                break
            del self._nonces[first]

    def verify(self, message: str, signature: str) -> SiweMessage:
        """The message, if everything in it is right and ``signature`` is its address's."""
        parsed = parse_message(message)
        now = self.clock()
        self._expire(now)
        # The nonce is used up by any attempt that names it, successful or not.
        expires = self._nonces.pop(parsed.nonce, None)
        if expires is None:
            raise AuthError("the nonce was not issued by this gateway, was used already, or expired: ask POST /auth/nonce")
        skew = self.config.clock_skew
        if parsed.domain.lower() != self.config.domain.lower():
            raise AuthError(f"the message is for domain {parsed.domain!r}, this gateway is {self.config.domain!r}")
        if parsed.chain_id != self.chain_id:
            raise AuthError(f"the message is for chain id {parsed.chain_id}, this network's is {self.chain_id}")
        if parsed.issued_at > now + skew:
            raise AuthError("Issued At is in the future")
        if parsed.issued_at < now - self.config.nonce_ttl - skew:
            raise AuthError("Issued At is older than the nonce's lifetime")
        if parsed.expiration_time is not None and parsed.expiration_time <= now:
            raise AuthError("the message has expired (Expiration Time)")
        if parsed.not_before is not None and parsed.not_before > now + skew:
            raise AuthError("the message is not valid yet (Not Before)")
        if not isinstance(signature, str) or not re.fullmatch(r"0x[0-9a-fA-F]{130}", signature):
            raise AuthError("the signature must be 65 bytes of 0x-prefixed hex")
        try:
            signer = Account.recover_message(encode_defunct(text=message), signature=bytes.fromhex(signature[2:]))
        except Exception:  # noqa: BLE001 - a malformed signature is reported in several ways
            raise AuthError("the signature does not recover an address") from None
        if str(signer) != parsed.address:
            raise AuthError(f"the signature is not {parsed.address}'s")
        return parsed

    def issue(self, message: SiweMessage) -> tuple[str, float]:
        """A token for the message's account, and when it expires (the sooner of the token
        lifetime and the message's Expiration Time)."""
        now = self.clock()
        expires = now + self.config.token_ttl
        if message.expiration_time is not None:
            expires = min(expires, message.expiration_time)
        payload = json.dumps(
            {"sub": message.address, "exp": int(expires), "iat": int(now), "cid": self.chain_id}, separators=(",", ":")
        ).encode()
        body = _b64(payload)
        return f"{body}.{_b64(self._mac(body))}", float(int(expires))

    def _mac(self, body: str) -> bytes:
        return hmac.new(self.config.secret, body.encode(), hashlib.sha256).digest()

    def check(self, token: str) -> Token:
        """The account of a valid, unexpired token of this gateway and chain; AuthError otherwise."""
        body, dot, mac = token.partition(".")
        if not dot or len(token) > 1024:
            raise AuthError("the bearer token is malformed")
        try:
            given = _unb64(mac)
            valid = hmac.compare_digest(given, self._mac(body))
        except (ValueError, TypeError):
            valid = False
        if not valid:
            raise AuthError("the bearer token is not this gateway's")
        try:
            payload = json.loads(_unb64(body))
            account, expires, chain = str(payload["sub"]), float(payload["exp"]), int(payload["cid"])
        except (ValueError, KeyError, TypeError):
            raise AuthError("the bearer token is malformed") from None
        if chain != self.chain_id:
            raise AuthError("the bearer token is for another chain")
        if expires <= self.clock():
            raise AuthError("the bearer token has expired: sign in again")
        return Token(account, expires)


def build_message(
    domain: str, address: str, uri: str, chain_id: int, nonce: str, issued_at: str, *,
    statement: str | None = None, expiration_time: str | None = None,
) -> str:
    """An EIP-4361 message (for clients, tests and the README's example)."""
    lines = [f"{domain} wants you to sign in with your Ethereum account:", address, ""]
    if statement:
        lines.append(statement)
    lines += ["", f"URI: {uri}", "Version: 1", f"Chain ID: {chain_id}", f"Nonce: {nonce}", f"Issued At: {issued_at}"]
    if expiration_time:
        lines.append(f"Expiration Time: {expiration_time}")
    return "\n".join(lines)
