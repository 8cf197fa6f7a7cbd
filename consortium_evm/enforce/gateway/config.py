"""The gateway's settings, and how they are built from a named network of ``networks.yaml`` and
its deployment manifest (the PermissionIngress's address)."""

from __future__ import annotations

import dataclasses
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from consortium_evm.enforce.gateway.blocktime import DEFAULT_MARGIN
from consortium_evm.errors import ConfigError

MIB = 1024 * 1024
DEFAULT_MAX_BODY = MIB
DEFAULT_REFUSED_PREFIXES: tuple[str, ...] = (
    "admin_", "personal_", "debug_", "miner_", "clique_", "txpool_", "istanbul_", "qbft_", "ibft_", "engine_",
    # development nodes' own admin namespaces (impersonation, balances, mining): never a member's business
    "anvil_", "hardhat_", "evm_",
)
"""Method prefixes refused by default: the node's administration, its keys and its consensus."""
DEFAULT_REFUSED_METHODS: tuple[str, ...] = (
    "eth_sendTransaction", "eth_sign", "eth_signTransaction", "eth_signTypedData", "eth_signTypedData_v3",
    "eth_signTypedData_v4",
)
"""Methods refused by default: they use the node's unlocked accounts, which are not the caller's."""
SECRET_ENV = "CONSORTIUM_GATEWAY_SECRET"
"""The environment variable holding the HMAC key of the bearer tokens (any string, at least 32
characters); without it a random key is drawn at start, and tokens end with the process."""


@dataclass(frozen=True)
class AuthConfig:
    """Reads limited to member accounts, authenticated with Sign-In with Ethereum (EIP-4361)."""

    secret: bytes
    domain: str
    """The ``domain`` (RFC 3986 authority) the messages must name: the gateway's public host[:port]."""
    token_ttl: float = 3600.0
    nonce_ttl: float = 300.0
    max_nonces: int = 10_000
    clock_skew: float = 60.0
    ws_recheck: float = 2.0
    """Seconds between re-checks of an authenticated WebSocket's account (subscriptions keep
    flowing without requests)."""

    @staticmethod
    def secret_from_env(environ: dict[str, str] | None = None) -> bytes:
        """The key from :data:`SECRET_ENV`, or a fresh random one."""
        value = (environ if environ is not None else dict(os.environ)).get(SECRET_ENV, "")
        if not value:
            return secrets.token_bytes(32)
        if len(value) < 32:
            raise ConfigError(f"{SECRET_ENV} must hold at least 32 characters (it is the tokens' HMAC key)")
        return value.encode()


@dataclass(frozen=True)
class GatewayConfig:
    """Everything the gateway needs; :meth:`method_refusal` applies the method policy."""

    upstream: str
    chain_id: int
    ingress: str
    ws_upstream: str | None = None
    """The node's WebSocket URL (default: the HTTP URL with ws:// or wss://, as anvil serves both)."""
    listen_host: str = "127.0.0.1"
    listen_port: int = 8645
    max_body: int = DEFAULT_MAX_BODY
    refused_prefixes: tuple[str, ...] = DEFAULT_REFUSED_PREFIXES
    refused_methods: tuple[str, ...] = DEFAULT_REFUSED_METHODS
    allowed_methods: tuple[str, ...] = ()
    """Exact names let through even though a refused prefix matches them (``txpool_status``)."""
    only_methods: tuple[str, ...] = ()
    """If given, a strict allowlist: exact names, or prefixes ending in ``_`` (``eth_``)."""
    upstream_timeout: float = 30.0
    forward_over_websocket: bool = True
    """Forward what the node answers with one message over its WebSocket at :attr:`ws_url` (a pool
    of connections, :mod:`.sockets`; cheaper per request than HTTP), HTTP for the rest and while the
    WebSocket cannot be opened. Give the node's WebSocket the same APIs as its HTTP."""
    head_subscription: bool = True
    """Follow the head with a ``newHeads`` subscription on :attr:`ws_url`: the block a question is
    asked at, confirmed by an ``eth_blockNumber`` in the same batch (:mod:`.rules`)."""
    trust_new_heads: bool = False
    """Use the subscription's head unconfirmed: no ``eth_blockNumber`` per screened request, and a
    cached answer may serve for the notification's delay into the next block."""
    block_period: float | None = None
    """The chain's Clique period, seconds (``block_period`` of networks.yaml, or the local network's):
    on geth the subscription's head is then used unconfirmed while no newer block can exist yet
    (:mod:`.blocktime`). ``None``: the head is confirmed with every check."""
    head_margin: float = DEFAULT_MARGIN
    """Seconds of each block period's end in which the head is confirmed even so."""
    auth: AuthConfig | None = None
    network_name: str = ""
    max_metric_methods: int = 200
    ws_max_message: int = field(default=0)
    """Largest WebSocket message accepted at all (0: four times ``max_body``); between
    ``max_body`` and this, a JSON-RPC error; above it the socket is closed (1009)."""

    def __post_init__(self) -> None:
        if self.max_body < 1024:
            raise ConfigError(f"the body limit must be at least 1024 bytes, got {self.max_body}")
        if self.block_period is not None and not self.block_period > 0:
            raise ConfigError(f"the block period must be above 0 s, got {self.block_period}")
        if not 0 <= self.head_margin < 3600:
            raise ConfigError(f"the head margin must be 0 s or more, got {self.head_margin}")
        for name in (*self.refused_prefixes, *self.refused_methods, *self.allowed_methods, *self.only_methods):
            if not name or any(c.isspace() for c in name):
                raise ConfigError(f"{name!r} is not a method name or prefix")

    @property
    def ws_url(self) -> str:
        """The node's WebSocket URL."""
        if self.ws_upstream:
            return self.ws_upstream
        parts = urlsplit(self.upstream)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))

    @property
    def ws_limit(self) -> int:
        """Largest WebSocket message read at all."""
        return self.ws_max_message or 4 * self.max_body

    def method_refusal(self, method: str) -> str | None:
        """Why ``method`` is refused (a sentence), or ``None`` if it may go to the node."""
        if method in self.allowed_methods:
            return None
        if self.only_methods and not any(
            method == name or (name.endswith("_") and method.startswith(name)) for name in self.only_methods
        ):
            return f"the method {method} is not in the gateway's allowlist"
        if method in self.refused_methods:
            if method == "eth_sendTransaction":
                return ("eth_sendTransaction is refused by the gateway (it would sign with the node's unlocked "
                        "accounts): sign the transaction yourself and send it with eth_sendRawTransaction")
            return f"the method {method} is refused by the gateway (it signs with the node's accounts)"
        for prefix in self.refused_prefixes:
            if method.startswith(prefix):
                return f"the method {method} is refused by the gateway (the {prefix} namespace is not served)"
        return None

    def replace(self, **changes: object) -> GatewayConfig:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def config_for_network(
    network_name: str,
    *,
    networks_file: str | Path | None = None,
    deployments_dir: str | Path = "deployments",
    ingress: str | None = None,
    environ: dict[str, str] | None = None,
    settings: dict[str, object] | None = None,
) -> GatewayConfig:
    """The gateway's settings for ``network_name`` of ``networks.yaml``: its URL (``local-node``
    resolved) and chain id, checked against the node (``connect``), and the PermissionIngress of
    ``deployments/<network>.json`` (checked by the client to have code there), unless ``ingress``
    names it. ``settings`` are the other :class:`GatewayConfig` fields."""
    from consortium_evm.client.core import ConsortiumClient
    from consortium_evm.deploy.manifest import manifest_path, read_manifest
    from consortium_evm.chain.connect import connect
    from consortium_evm.domain.spec import parse_address

    connection = connect(network_name, networks_file=networks_file, environ=environ, interactive=False)
    network = connection.network
    if network.is_tester:
        raise ConfigError("the gateway needs a node over HTTP; 'tester' is the embedded chain")
    if ingress is None:
        manifest = read_manifest(manifest_path(deployments_dir, network_name), network_name)
        client = ConsortiumClient.for_deployment(connection, manifest)
        if client.ingress is None:
            raise ConfigError(
                f"the deployment manifest of {network_name} names no PermissionIngress: pass --ingress ADDRESS"
            )
        ingress = str(client.ingress.address)
    else:
        ingress = parse_address(ingress, "--ingress")
    return GatewayConfig(
        upstream=network.url,
        chain_id=network.chain_id,
        ingress=ingress,
        upstream_timeout=network.timeout,
        network_name=network_name,
        **{"block_period": network.block_period if network.consensus == "clique" else None,  # type: ignore[arg-type]
           **(settings or {})},
    )
