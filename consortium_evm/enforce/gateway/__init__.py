"""A JSON-RPC gateway in front of any node: the consortium's account rule enforced on every
``eth_sendRawTransaction`` (the PermissionIngress asked at the node's head exactly as GoQuorum or
Besu ask it), a method allowlist, optional Sign-In with Ethereum for reads, and everything else
forwarded unchanged over HTTP and WebSocket.

Modules: :mod:`.config` (settings), :mod:`.jsonrpc` (error objects), :mod:`.rawtx` (decoding and
sender recovery), :mod:`.rules` (the ingress question and its per-block cache), :mod:`.upstream`
(the node, over aiohttp), :mod:`.auth` (EIP-4361 messages and bearer tokens), :mod:`.metrics`
(Prometheus), :mod:`.heads` (the head from a ``newHeads`` subscription), :mod:`.server` (the aiohttp
application), :mod:`.running` (serving it: the CLI, or a thread for tests).
"""

from typing import Any

from consortium_evm.enforce.gateway.config import AuthConfig, GatewayConfig


def __getattr__(name: str) -> Any:
    # The server (and aiohttp) load only when used: the CLI imports this package at every start.
    if name == "Gateway":
        from consortium_evm.enforce.gateway import server

        return server.Gateway
    if name in ("RunningGateway", "run_in_thread"):
        from consortium_evm.enforce.gateway import running

        return getattr(running, name)
    raise AttributeError(name)


__all__ = ["AuthConfig", "Gateway", "GatewayConfig", "RunningGateway", "run_in_thread"]
