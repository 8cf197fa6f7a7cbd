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
