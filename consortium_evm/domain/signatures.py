"""What a key signs for the consortium, as EIP-712 typed data: one domain (the Consortium's: name
"Consortium", version "1", the chain id and the Consortium's address) and three types, each
mirroring a typehash of the contracts (``TypedSignatures``, ``MemberRegistry``,
``GovernanceVoteSignatures``):

- ``Ballot``: an admin account's vote, with its member and the member's ballot nonce;
- ``AdminAcceptance``: an account accepting its admin registration, with its consent nonce;
- ``NodeConsent``: a node key consenting to be registered for a member.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast, runtime_checkable

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

TYPES: dict[str, list[dict[str, str]]] = {
    "Ballot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "memberId", "type": "uint32"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ],
    "AdminAcceptance": [
        {"name": "account", "type": "address"},
        {"name": "memberId", "type": "uint32"},
        {"name": "nonce", "type": "uint256"},
    ],
    "NodeConsent": [
        {"name": "nodeKey", "type": "bytes32"},
        {"name": "memberId", "type": "uint32"},
    ],
}
"""The primary types, field for field as the contracts hash them."""


@runtime_checkable
class TypedDataSigner(Protocol):
    """Anything that signs EIP-712 typed data for one account without giving out its key: a remote
    signer (Clef's ``account_signTypedData``, Web3Signer's ``eth_signTypedData``). It returns the
    65-byte signature (r, s, v with v 27 or 28) and raises a ConsortiumError when it does not sign."""

    @property
    def address(self) -> str:
        """The account's address (EIP-55)."""
        ...

    def sign_typed_message(self, full_message: Mapping[str, Any]) -> bytes:
        """The signature of ``full_message`` (``types``, ``primaryType``, ``domain``, ``message``)."""
        ...


TypedSigner = LocalAccount | TypedDataSigner
"""Who can sign a ballot or an admin acceptance: a local key or a typed-data signer."""


def typed_message(primary: str, message: dict[str, Any], chain_id: int, consortium: str) -> dict[str, Any]:
    """The full EIP-712 message of type ``primary`` for the Consortium at ``consortium`` on ``chain_id``."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, primary: TYPES[primary]},
        "primaryType": primary,
        "domain": {"name": "Consortium", "version": "1", "chainId": chain_id, "verifyingContract": consortium},
        "message": message,
    }


def sign_typed(signer: TypedSigner, primary: str, message: dict[str, Any], chain_id: int, consortium: str) -> bytes:
    """``signer``'s 65-byte signature (r, s, v) of the typed message: the one path for local keys
    and remote signers alike."""
    full = typed_message(primary, message, chain_id, consortium)
    if isinstance(signer, LocalAccount):
        return bytes(signer.sign_message(encode_typed_data(full_message=cast(Any, full))).signature)
    return signer.sign_typed_message(full)


def node_address(public_key: bytes) -> str:
    """The address of a node key: the last 20 bytes of keccak-256 of its 64-byte public key."""
    return "0x" + bytes(keccak(public_key))[12:].hex()


def sign_node_consent(node_private_key: bytes | str, member_id: int, chain_id: int, consortium: str) -> bytes:
    """A node key's consent to be registered for ``member_id`` (the ``signature`` of a ``NodeSpec``).

    ``node_private_key`` is the node's secp256k1 key (geth's ``nodekey`` file holds it as hex)."""
    account: LocalAccount = Account.from_key(node_private_key)
    public_key = bytes(account._key_obj.public_key.to_bytes())
    message = {"nodeKey": bytes(keccak(public_key)), "memberId": member_id}
    return sign_typed(account, "NodeConsent", message, chain_id, consortium)


def sign_admin_acceptance(signer: TypedSigner, member_id: int, nonce: int, chain_id: int, consortium: str) -> bytes:
    """``signer``'s acceptance of its admin registration for ``member_id`` (``acceptAdminBySig``)."""
    message = {"account": signer.address, "memberId": member_id, "nonce": nonce}
    return sign_typed(signer, "AdminAcceptance", message, chain_id, consortium)
