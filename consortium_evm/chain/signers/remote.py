"""The part every JSON-RPC remote signer shares: one request, its failures as clear errors, and the
checks of what comes back (:mod:`~consortium_evm.chain.signers.verify`).

A remote signer implements :class:`~consortium_evm.tx.signer.TransactionSigner` (so the transaction
pipeline and the deployment use it like a local key) and
:class:`~consortium_evm.domain.signatures.TypedDataSigner` (so ballots and admin acceptances can be
signed by it). A new kind of signer (a cloud KMS's own API, another remote signer) subclasses
:class:`RemoteSigner` and says how to ask for a transaction and for typed data.
"""

from __future__ import annotations

import itertools
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import requests
from eth_account import Account
from eth_account.messages import encode_typed_data
from hexbytes import HexBytes
from web3 import Web3

from consortium_evm.chain.signers.verify import (
    RemoteSignedTransaction,
    TransactionFields,
    check_signed,
    requested_fields,
)
from consortium_evm.errors import (
    SignerAccountError,
    SignerError,
    SignerMismatchError,
    SignerRefusedError,
    SignerUnreachableError,
)

DEFAULT_SIGNER_TIMEOUT = 30.0
"""Seconds a signing request may take, unless the account's ``signer.timeout`` says otherwise."""

_ids = itertools.count(1)
_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_ORDER = _ORDER // 2


class RemoteSigner(ABC):
    """Signs for one account through a remote signer's JSON-RPC at ``url``."""

    kind = "remote"
    """The signer's name in messages and in networks.yaml (``clef``, ``web3signer``)."""
    label = "the remote signer"

    def __init__(self, url: str, address: str, *, timeout: float = DEFAULT_SIGNER_TIMEOUT,
                 token: str | None = None) -> None:
        """``address`` is the account signed for; ``token`` a bearer token sent as
        ``Authorization: Bearer ...`` (for a signer behind an authenticating proxy)."""
        self.url = url
        self._address = Web3.to_checksum_address(address)
        self.timeout = timeout
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:  # never the token
        return f"{type(self).__name__}(url={self.url!r}, address={self._address!r})"

    @property
    def address(self) -> str:
        """The account's address (EIP-55)."""
        return self._address

    # -- TransactionSigner -----------------------------------------------------------------------

    def sign_transaction(self, transaction_dict: Any) -> RemoteSignedTransaction:
        """The transaction signed by the remote signer, checked to be exactly the one asked for and
        signed by :attr:`address` (a SignerMismatchError otherwise: nothing is broadcast)."""
        asked = requested_fields(transaction_dict, url=self.url, account=self._address)
        raw = self._sign_transaction(asked)
        return check_signed(raw, asked, url=self.url, account=self._address, what=self.label)

    # -- TypedDataSigner -------------------------------------------------------------------------

    def sign_typed_message(self, full_message: Mapping[str, Any]) -> bytes:
        """The account's 65-byte EIP-712 signature (r, s, v with v 27 or 28) of ``full_message``
        (``types``, ``primaryType``, ``domain``, ``message``), checked to recover to :attr:`address`."""
        result = self._sign_typed(_json_safe(dict(full_message)))
        try:
            signature = bytes(HexBytes(result))
        except (TypeError, ValueError):
            signature = b""
        if len(signature) != 65:
            raise SignerMismatchError(
                f"{self.label} at {self.url} answered typed data for account {self._address} with "
                f"{result!r}, not a 65-byte signature", self.url, self._address)
        if signature[64] < 27:  # some signers return v as 0/1; the contracts take 27/28
            signature = signature[:64] + bytes([signature[64] + 27])
        s_value = int.from_bytes(signature[32:64], "big")
        if s_value > _HALF_ORDER:  # the contracts take low-s signatures only (EIP-2): the same signature's other form
            signature = signature[:32] + (_ORDER - s_value).to_bytes(32, "big") + bytes([55 - signature[64]])
        signable = encode_typed_data(full_message=dict(full_message))
        try:
            signer = Account.recover_message(signable, signature=signature)
        except Exception:  # noqa: BLE001 - eth-keys raises several types for a bad signature
            signer = "nobody (an invalid signature)"
        if str(signer).lower() != self._address.lower():
            raise SignerMismatchError(
                f"{self.label} at {self.url} returned a typed-data signature by {signer}, not by account "
                f"{self._address} (it may hash the message differently)", self.url, self._address)
        return signature

    # -- what a kind of signer says --------------------------------------------------------------

    @abstractmethod
    def _sign_transaction(self, fields: TransactionFields) -> bytes:
        """The signer's raw signed transaction for ``fields``."""

    @abstractmethod
    def _sign_typed(self, full_message: dict[str, Any]) -> Any:
        """The signer's answer (a hex signature) for the typed data ``full_message``."""

    @abstractmethod
    def accounts(self) -> list[str]:
        """The accounts the signer offers (checksummed)."""

    def check(self) -> None:
        """Raise SignerUnreachableError when the signer cannot be reached, SignerAccountError when
        it does not offer :attr:`address`."""
        offered = self.accounts()
        if self._address.lower() not in {a.lower() for a in offered}:
            raise SignerAccountError(
                f"{self.label} at {self.url} does not offer account {self._address} "
                f"(it offers: {', '.join(offered) or 'none'})", self.url, self._address)

    # -- the JSON-RPC request --------------------------------------------------------------------

    def call(self, method: str, params: list[Any]) -> Any:
        """The result of one JSON-RPC request; each failure as a SignerError naming the URL and the
        account (unreachable, refused, unknown account)."""
        body = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params}
        try:
            response = requests.post(self.url, data=json.dumps(body), headers=self._headers, timeout=self.timeout)
        except requests.Timeout:
            raise SignerUnreachableError(
                f"{self.label} at {self.url} did not answer {method} for account {self._address} within "
                f"{self.timeout:g} s (raise signer.timeout if it waits for an operator's approval)",
                self.url, self._address) from None
        except requests.RequestException as exc:
            raise SignerUnreachableError(
                f"cannot reach {self.label} at {self.url} (signing for account {self._address}): "
                f"{_reason(exc)}; is it running, and is the url right?", self.url, self._address) from None
        if response.status_code in (401, 403):
            raise SignerRefusedError(
                f"{self.label} at {self.url} refused {method} for account {self._address}: HTTP "
                f"{response.status_code} (check the bearer token in signer.token_env)", self.url, self._address)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or ("result" not in answer and "error" not in answer):
            raise SignerUnreachableError(
                f"{self.label} at {self.url} did not answer {method} as JSON-RPC (HTTP {response.status_code}) "
                f"for account {self._address}: is the url the signer's JSON-RPC endpoint?", self.url, self._address)
        error = answer.get("error")
        if error is not None:
            raise self._rpc_error(method, error)
        return answer["result"]

    def _rpc_error(self, method: str, error: Any) -> SignerError:
        message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
        code = error.get("code") if isinstance(error, dict) else None
        where = f"{self.label} at {self.url}"
        if code == -32601:
            return SignerRefusedError(
                f"{where} does not support {method} (signing for account {self._address}): is it "
                f"{'a ' + self.kind if self.kind != 'remote' else 'the right kind of signer'}?",
                self.url, self._address)
        if self._is_unknown_account(message):
            return SignerAccountError(
                f"{where} does not hold account {self._address} ({message}): add the key to the signer, "
                "or fix the address in networks.yaml", self.url, self._address)
        return SignerRefusedError(f"{where} refused {method} for account {self._address}: {message}",
                                  self.url, self._address)

    def _is_unknown_account(self, message: str) -> bool:
        text = message.lower()
        return "unknown account" in text or "no unlocked account" in text or "account not found" in text


def hex_quantity(value: int) -> str:
    """A JSON-RPC quantity: ``0x`` and hex digits without leading zeros."""
    return hex(int(value))


def transaction_request(fields: TransactionFields, sender: str) -> dict[str, Any]:
    """The transaction object of ``eth_signTransaction`` / ``account_signTransaction``."""
    request: dict[str, Any] = {
        "from": sender,
        "gas": hex_quantity(fields.gas),
        "value": hex_quantity(fields.value),
        "nonce": hex_quantity(fields.nonce),
        "data": "0x" + fields.data.hex(),
    }
    if fields.chain_id is not None:
        request["chainId"] = hex_quantity(fields.chain_id)
    if fields.to is not None:
        request["to"] = fields.to
    if fields.max_fee_per_gas is not None:
        request["maxFeePerGas"] = hex_quantity(fields.max_fee_per_gas)
        request["maxPriorityFeePerGas"] = hex_quantity(fields.max_priority_fee_per_gas or 0)
    else:
        request["gasPrice"] = hex_quantity(fields.gas_price or 0)
    if fields.access_list:
        request["accessList"] = [{"address": a, "storageKeys": list(k)} for a, k in fields.access_list]
    return request


def raw_bytes(result: Any, signer: RemoteSigner) -> bytes:
    """A signer's hex answer as bytes; a SignerMismatchError when it is not hex."""
    if isinstance(result, str):
        try:
            return bytes(HexBytes(result))
        except ValueError:
            pass
    raise SignerMismatchError(
        f"{signer.label} at {signer.url} answered with {str(result)[:80]!r}, not a signed transaction, for "
        f"account {signer.address}; nothing was sent", signer.url, signer.address)


def _json_safe(value: Any) -> Any:
    """Typed data as JSON both Clef (Go) and Web3Signer (web3j) read exactly: integers as decimal
    strings (a JSON number above 2**53 loses digits in Go), bytes as 0x-hex."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {k: (v if k in ("types", "primaryType") else _json_safe(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _reason(exc: requests.RequestException) -> str:
    text = str(exc)
    if "Connection refused" in text or "NewConnectionError" in text:
        return "connection refused"
    return text.split(":", 1)[-1].strip()[:200] or type(exc).__name__
