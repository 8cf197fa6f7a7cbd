"""JSON-RPC to one node: a bare ``rpc_call`` (no web3, no proxies) and a web3 for a Clique node.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Sequence
from typing import Any

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from consortium_evm.node.errors import NodeError


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Talks to 127.0.0.1 directly, whatever HTTP(S)_PROXY says."""


def rpc_call(url: str, method: str, params: Sequence[Any] = (), timeout: float = 5.0) -> Any:
    """One JSON-RPC call over HTTP; :class:`NodeError` when unreachable or answered with an error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            reply = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise NodeError(f"{url} {method}: {exc}") from None
    if not isinstance(reply, dict):
        raise NodeError(f"{url} {method}: unexpected reply {reply!r}")
    if reply.get("error"):
        raise NodeError(f"{url} {method}: {reply['error']}")
    return reply.get("result")


def rpc_int(url: str, method: str, timeout: float = 5.0) -> int:
    return int(str(rpc_call(url, method, timeout=timeout)), 0)


def clique_web3(rpc_url: str, timeout: float = 10.0) -> Web3:
    """A Web3 for a Clique node: Clique headers carry 97 bytes of extraData (vanity + seal), which
    web3.py refuses unless the proof-of-authority middleware is installed, as it is here."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3
