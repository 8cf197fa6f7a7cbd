"""JSON-RPC 2.0 error objects the gateway answers with, and their codes."""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
UNAUTHORIZED = -32001
"""No valid bearer token where one is required (reads limited to members)."""
SENDER_NOT_AUTHORIZED = -32007
"""Besu's code for a sender the account rules refuse."""
SENDER_NOT_AUTHORIZED_MESSAGE = "Sender account not authorized to send transactions"


def error(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    """A JSON-RPC error response for ``request_id`` (``None`` when the request had none)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": body}


def request_id(request: Any) -> Any:
    """The request's id, ``None`` if it has none or is not an object."""
    return request.get("id") if isinstance(request, dict) else None


def is_notification(request: Any) -> bool:
    """A request without an ``id`` member: JSON-RPC gives it no answer, not even an error."""
    return isinstance(request, dict) and "id" not in request


MEMBERS = frozenset({"jsonrpc", "id", "method", "params", "result", "error"})
"""The members of a JSON-RPC message, as spelled."""


def ambiguous_member(request: dict[str, Any]) -> str | None:
    """A key of ``request`` that a node may read as one of :data:`MEMBERS` although it is not
    spelled so (``"Method"``, ``"ID"``, ``"paramſ"``), or ``None``. geth decodes JSON with Go's
    ``encoding/json``, which matches keys regardless of case (with Unicode's simple folding: ``ſ`` is
    ``s``, the Kelvin sign ``k``) and keeps the last: such a key would make the node run another
    method, with other parameters or another id, than the one the gateway screened."""
    for key in request:
        if key not in MEMBERS and key.casefold() in MEMBERS:
            return key
    return None
