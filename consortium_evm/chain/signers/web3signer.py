"""Web3Signer (Consensys), in its ``eth1`` mode, which keeps keys in a file, HashiCorp Vault, Azure
Key Vault, AWS KMS or an HSM and signs with them.

Its JSON-RPC is served at the root path of its HTTP port (default 9000), as documented in
"Web3Signer JSON-RPC API":

- ``eth_accounts`` → the addresses it signs for;
- ``eth_signTransaction(tx)`` with ``from``, ``to``, ``gas``, ``gasPrice`` or
  ``maxFeePerGas``/``maxPriorityFeePerGas``, ``nonce`` (required), ``value``, ``data`` as hex →
  the signed transaction's RLP as hex. It signs with the chain id it was started with
  (``eth1 --chain-id``), whatever the request says: a different one is caught by the check of the
  returned bytes. "No unlocked account matches the Sender" (-32000) when it has no such key;
- ``eth_signTypedData(address, typedDataJson)`` → the EIP-712 signature (the typed data passed as
  a JSON string);
- ``GET /upcheck`` → ``OK`` when it is up.

It forwards every other method to its downstream node; this signer sends it only these.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

import requests
from web3 import Web3

from consortium_evm.chain.signers.remote import RemoteSigner, raw_bytes, transaction_request
from consortium_evm.chain.signers.verify import TransactionFields
from consortium_evm.errors import SignerUnreachableError


class Web3Signer(RemoteSigner):
    """Signs for one account through Web3Signer's eth1 JSON-RPC."""

    kind = "web3signer"
    label = "the Web3Signer"

    def _sign_transaction(self, fields: TransactionFields) -> bytes:
        return raw_bytes(self.call("eth_signTransaction", [transaction_request(fields, self.address)]), self)

    def _sign_typed(self, full_message: dict[str, Any]) -> Any:
        return self.call("eth_signTypedData", [self.address, json.dumps(full_message)])

    def accounts(self) -> list[str]:
        result = self.call("eth_accounts", [])
        return [Web3.to_checksum_address(a) for a in result or []]

    def upcheck(self) -> None:
        """Raise SignerUnreachableError unless ``GET /upcheck`` answers 200."""
        url = urljoin(self.url if self.url.endswith("/") else self.url + "/", "upcheck")
        try:
            response = requests.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SignerUnreachableError(
                f"cannot reach {self.label} at {self.url} (account {self.address}): {exc}",
                self.url, self.address) from None
        if response.status_code != 200:
            raise SignerUnreachableError(
                f"{self.label} at {self.url} is not up: GET /upcheck answered HTTP {response.status_code} "
                f"(account {self.address})", self.url, self.address)

    def check(self) -> None:
        self.upcheck()
        super().check()
