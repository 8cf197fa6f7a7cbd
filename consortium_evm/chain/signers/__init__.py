"""Remote signers: accounts whose keys stay in Clef or Web3Signer (and the HSM or KMS behind them).

Each implements :class:`~consortium_evm.tx.signer.TransactionSigner` (the transaction pipeline and
the deployment sign through it) and :class:`~consortium_evm.domain.signatures.TypedDataSigner`
(ballots and admin acceptances), and checks what the signer returns before anything is sent.
A networks.yaml account ``signer: {kind: clef|web3signer, url: ..., address: ...}`` makes one
(:func:`remote_signer`). Another kind subclasses :class:`RemoteSigner`.
"""

from __future__ import annotations

from consortium_evm.chain.signers.clef import ClefSigner
from consortium_evm.chain.signers.remote import DEFAULT_SIGNER_TIMEOUT, RemoteSigner
from consortium_evm.chain.signers.verify import RemoteSignedTransaction, TransactionFields
from consortium_evm.chain.signers.web3signer import Web3Signer

SIGNER_KINDS: dict[str, type[RemoteSigner]] = {"clef": ClefSigner, "web3signer": Web3Signer}
"""The ``signer.kind`` values of networks.yaml and their classes."""


def remote_signer(kind: str, url: str, address: str, *, timeout: float = DEFAULT_SIGNER_TIMEOUT,
                  token: str | None = None) -> RemoteSigner:
    """The signer of ``kind`` (``clef``, ``web3signer``) at ``url`` for ``address``."""
    return SIGNER_KINDS[kind](url, address, timeout=timeout, token=token)


__all__ = [
    "DEFAULT_SIGNER_TIMEOUT",
    "SIGNER_KINDS",
    "ClefSigner",
    "RemoteSignedTransaction",
    "RemoteSigner",
    "TransactionFields",
    "Web3Signer",
    "remote_signer",
]
