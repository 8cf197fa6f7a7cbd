"""What a node's answer means, decided in one place.

Every node client words its refusals its own way (geth, Besu, GoQuorum, anvil, eth-tester). The
transaction pipeline asks only the questions below; each knows the wordings it accepts.
"""

from __future__ import annotations

from typing import Any

import requests

from consortium_evm.domain.revert import decode_revert, is_revert, revert_data
from consortium_evm.errors import ConsortiumError, RPCError

_RETRY_STATUS = frozenset({408, 429, 502, 503, 504})

_ALREADY_KNOWN = ("already known", "known transaction", "already imported")
_NONCE_TAKEN = ("nonce too low", "nonce is too low", "replacement transaction underpriced", "invalid transaction nonce")


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a fault worth retrying: the node may answer next time (the connection
    dropped, a timeout, HTTP 408, 429 or a 5xx gateway error)."""
    if isinstance(exc, requests.HTTPError):
        response = exc.response
        return response is not None and response.status_code in _RETRY_STATUS
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError))


def already_known(exc: BaseException) -> bool:
    """The node already holds these very bytes (in its pool): the send got through."""
    text = str(exc).lower()
    return any(marker in text for marker in _ALREADY_KNOWN)


def nonce_taken(exc: BaseException) -> bool:
    """The node refused the transaction's nonce as used (mined, or held by another pending
    transaction): ours if the node knows our hash, another program's otherwise."""
    text = str(exc).lower()
    return any(marker in text for marker in _NONCE_TAKEN)


def insufficient_funds(exc: BaseException) -> bool:
    """The sender cannot pay for the transaction's gas and value."""
    return "insufficient funds" in str(exc).lower()


def request_failure(exc: Exception, errors: dict[bytes, dict[str, Any]]) -> Exception:
    """The error to raise for a failed call, estimate or send: a revert decoded into the
    contract's named error (by ``errors``, :func:`consortium_evm.domain.revert.error_table`), one of
    ours unchanged, anything else an RPCError quoting the node."""
    if isinstance(exc, ConsortiumError):  # ours already (a named revert, a fee policy refused, ...)
        return exc
    data = revert_data(exc)
    if data is not None or is_revert(exc):
        return decode_revert(data or b"", errors)
    return RPCError(f"the node refused or failed the request: {exc}")
