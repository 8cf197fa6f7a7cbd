"""Clef, go-ethereum's external signer (1.13.15 built by ``scripts/install_geth.sh``).

Clef answers on its ``--http`` endpoint (default port 8550) under the ``account_`` namespace:

- ``account_list`` → the addresses it offers;
- ``account_signTransaction(args)`` with Clef's own field names (``from``, ``to``, ``gas``,
  ``gasPrice`` or ``maxFeePerGas``/``maxPriorityFeePerGas``, ``value``, ``nonce``, ``data``,
  ``chainId``, all quantities as hex) → ``{raw, tx}``; Clef refuses a ``chainId`` other than its
  ``--chainid`` ("requested chainid N does not match the configuration of the signer"), and its
  rules or operator may deny a request ("request denied") or change it before signing (which the
  check of the returned bytes catches);
  The optional second parameter is the called method's signature (``castVote(uint256,uint8)``):
  without one Clef looks the selector up in its 4byte database, and refuses data it cannot match
  (unless started with ``--advanced``); this signer passes it for every function of our contracts;
- ``account_signTypedData(address, typedData)`` → the 65-byte EIP-712 signature (v 27/28).

Every request goes through Clef's approval: its JavaScript rules (``--rules``, attested with
``clef attest``, keystore passwords stored with ``clef setpw``) or a person at its console.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3

from consortium_evm.chain.signers.remote import RemoteSigner, raw_bytes, transaction_request
from consortium_evm.chain.signers.selectors import method_signature
from consortium_evm.chain.signers.verify import TransactionFields
from consortium_evm.errors import SignerMismatchError


class ClefSigner(RemoteSigner):
    """Signs for one account through Clef's external API."""

    kind = "clef"
    label = "the Clef signer"

    def _sign_transaction(self, fields: TransactionFields) -> bytes:
        params: list[Any] = [transaction_request(fields, self.address)]
        signature = method_signature(fields.data) if fields.to is not None else None
        if signature is not None:
            params.append(signature)  # Clef checks the data against it instead of refusing an unknown selector
        result = self.call("account_signTransaction", params)
        if not isinstance(result, dict) or "raw" not in result:
            raise SignerMismatchError(
                f"{self.label} at {self.url} answered account_signTransaction for account {self.address} "
                f"without a raw transaction: {str(result)[:80]!r}; nothing was sent", self.url, self.address)
        return raw_bytes(result["raw"], self)

    def _sign_typed(self, full_message: dict[str, Any]) -> Any:
        return self.call("account_signTypedData", [self.address, full_message])

    def accounts(self) -> list[str]:
        result = self.call("account_list", [])
        return [Web3.to_checksum_address(a) for a in result or []]
