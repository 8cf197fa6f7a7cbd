"""``consortium-evm gateway``: the JSON-RPC gateway in front of a network's node."""

from __future__ import annotations

import json

import click

from consortium_evm.errors import ConfigError
from consortium_evm.enforce.gateway.config import (
    DEFAULT_MAX_BODY,
    DEFAULT_REFUSED_PREFIXES,
    AuthConfig,
    config_for_network,
)


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"--listen {value!r}: expected HOST:PORT (e.g. 127.0.0.1:8645)")
    return host.strip("[]") or "127.0.0.1", int(port)


@click.command("gateway")
@click.option("--network", "network_name", required=True, help="The network of networks.yaml whose node to front.")
@click.option("--listen", default="127.0.0.1:8645", show_default=True, help="HOST:PORT to serve on.")
@click.option("--networks", "networks_file", type=click.Path(dir_okay=False), default=None,
              help="The networks file (default ./networks.yaml).")
@click.option("--deployments", "deployments_dir", type=click.Path(file_okay=False), default="deployments",
              show_default=True, help="Where deployments/<network>.json is (the PermissionIngress's address).")
@click.option("--ingress", default=None, help="The PermissionIngress address (instead of the deployment manifest).")
@click.option("--upstream-ws", default=None, help="The node's WebSocket URL (default: its HTTP URL as ws://).")
@click.option("--http-upstream-only", is_flag=True,
              help="Forward every request over the node's HTTP (default: over its WebSocket when it has one, which "
                   "costs less per request, and HTTP otherwise).")
@click.option("--trust-new-heads", is_flag=True,
              help="Take the node's head from its newHeads subscription without confirming it per request: one "
                   "round trip less, but an answer may serve for the notification's delay into the next block.")
@click.option("--max-body", type=click.IntRange(min=1024), default=DEFAULT_MAX_BODY, show_default=True,
              help="Largest request body, in bytes.")
@click.option("--refuse-prefix", multiple=True,
              help=f"A method prefix to refuse (repeatable; replaces the default {', '.join(DEFAULT_REFUSED_PREFIXES)}).")
@click.option("--allow-method", multiple=True, help="A method let through despite a refused prefix (repeatable).")
@click.option("--only-method", multiple=True,
              help="A strict allowlist: method names, or prefixes ending in _ (repeatable; default: all but refused).")
@click.option("--members-only", is_flag=True,
              help="Serve only member accounts, signed in with Ethereum (EIP-4361) into a bearer token.")
@click.option("--auth-domain", default=None,
              help="The domain sign-in messages must name (default the --listen HOST:PORT).")
@click.option("--token-ttl", type=click.FloatRange(min=1), default=3600.0, show_default=True,
              help="Bearer token lifetime, seconds.")
@click.option("--json", "as_json", is_flag=True,
              help="Print what is served (network, chain id, ingress, URL) as one JSON line on stdout when it starts.")
def gateway_command(
    network_name: str, listen: str, networks_file: str | None, deployments_dir: str, ingress: str | None,
    upstream_ws: str | None, http_upstream_only: bool, trust_new_heads: bool, max_body: int, refuse_prefix: tuple[str, ...], allow_method: tuple[str, ...],
    only_method: tuple[str, ...], members_only: bool, auth_domain: str | None, token_ttl: float, as_json: bool,
) -> None:
    """A JSON-RPC gateway in front of the network's node: every raw transaction's sender is asked
    of the PermissionIngress at the head (refused: error -32007, never forwarded), node-admin
    methods are refused, the rest is forwarded over HTTP and WebSocket. GET /health, GET /metrics.
    With --members-only, the bearer tokens' HMAC key is $CONSORTIUM_GATEWAY_SECRET (else random
    per process)."""
    from consortium_evm.enforce.gateway.running import serve

    host, port = _listen(listen)
    settings: dict[str, object] = {
        "listen_host": host, "listen_port": port, "max_body": max_body, "ws_upstream": upstream_ws,
        "trust_new_heads": trust_new_heads, "forward_over_websocket": not http_upstream_only,
        "allowed_methods": allow_method, "only_methods": only_method,
    }
    if refuse_prefix:
        settings["refused_prefixes"] = refuse_prefix
    if members_only:
        settings["auth"] = AuthConfig(secret=AuthConfig.secret_from_env(), domain=auth_domain or f"{host}:{port}",
                                      token_ttl=token_ttl)
    config = config_for_network(network_name, networks_file=networks_file, deployments_dir=deployments_dir,
                                ingress=ingress, settings=settings)
    if as_json:
        click.echo(json.dumps({"network": network_name, "chainId": config.chain_id, "ingress": config.ingress,
                               "url": f"http://{host}:{port}", "membersOnly": config.auth is not None}))
    click.echo(f"gateway for {network_name} (chain id {config.chain_id}, ingress {config.ingress}) on "
               f"http://{host}:{port} (WebSocket on the same address)"
               + (f"; members only (sign-in domain {config.auth.domain})" if config.auth else ""), err=True)
    serve(config)
