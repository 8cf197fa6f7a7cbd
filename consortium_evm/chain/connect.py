"""Connecting to a network by name: a checked Web3, its fee policy and its named accounts.

:func:`connect` builds a Web3 over HTTP with the network's request timeout, adds web3's
proof-of-authority extra-data middleware for Clique, IBFT 2.0 and QBFT (their ``extraData`` is
longer than the 32 bytes web3 otherwise insists on), and then, before anything else is sent, asks
the node for its chain id: a node that cannot be reached raises
:class:`~consortium_evm.errors.RPCError` naming the URL; one on another chain raises
:class:`~consortium_evm.errors.ChainMismatchError`. ``connect("tester")`` returns the embedded chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST, ExceptionRetryConfiguration
from web3.types import RPCEndpoint

from consortium_evm.chain.accounts import AccountLoader, PasswordPrompt
from consortium_evm.config.fields import GasPolicy
from consortium_evm.config.networks import Network, load_network, resolve_local_node
from consortium_evm.domain.spec import parse_address
from consortium_evm.errors import ChainMismatchError, RPCError
from consortium_evm.node.tester import tester_web3
from consortium_evm.tx.fees import transaction_fees
from consortium_evm.tx.signer import Sender
from consortium_evm.tx.transactions import DEFAULT_BACKOFF, Transactor

POA_MIDDLEWARE_NAME = "extradata_to_poa"
"""The name the PoA extra-data middleware is injected under (``w3.middleware_onion``)."""

_NOT_RETRIED = frozenset({"eth_sendRawTransaction", "eth_sendTransaction", "eth_sign", "eth_signTypedData"})
READ_RETRY_METHODS: tuple[str, ...] = tuple(m for m in REQUEST_RETRY_ALLOWLIST if m not in _NOT_RETRIED)
"""The JSON-RPC methods (or namespaces) the HTTP provider retries after a transient fault: web3's
allow-list without the sends (retried by the Transactor, which can tell its own transaction from
another's) and the signing calls."""


@dataclass
class Connection:
    """A connected, chain-checked network."""

    w3: Web3
    network: Network
    fee_policy: GasPolicy
    accounts: AccountLoader

    @property
    def name(self) -> str:
        """The network's name."""
        return self.network.name

    @property
    def chain_id(self) -> int:
        """The chain id (checked against the node when connecting)."""
        return self.network.chain_id

    @property
    def confirmations(self) -> int:
        """Blocks, counting the including block, before a transaction counts as done (1 = mined)."""
        return self.network.confirmations

    def fees(self) -> dict[str, int]:
        """The fee fields for the next transaction under the network's gas price policy."""
        return transaction_fees(self.w3, self.fee_policy)

    def account(self, name: str | int) -> Sender:
        """The named account (a LocalAccount; an unlocked address, by index, on ``tester``)."""
        return self.accounts.get(name)

    def transactor(self, account: str | int | Sender, abis: Any = ()) -> Transactor:
        """A :class:`~consortium_evm.tx.transactions.Transactor` for ``account`` (a name of the network,
        or a signer) with the network's fee policy, confirmations, timeout and retries."""
        sender: Sender
        if isinstance(account, int) or (isinstance(account, str) and not _looks_like_address(account, self.network)):
            sender = self.account(account)
        elif isinstance(account, str):
            sender = parse_address(account, "account")  # an address the node unlocks
        else:
            sender = account
        return Transactor(
            self.w3,
            sender,
            abis,
            fees=self.fees,
            confirmations=self.network.confirmations,
            timeout=max(120.0, self.network.timeout),
            retries=self.network.retries,
            poll_interval=0.1 if self.network.is_tester else 0.25,
        )

    def is_confirmed(self, block_number: int) -> bool:
        """Whether a transaction included in ``block_number`` has its confirmations."""
        latest = int(self.w3.eth.block_number)
        return latest - int(block_number) + 1 >= self.network.confirmations


def _looks_like_address(value: str, network: Network) -> bool:
    """Whether ``value`` is meant as an address rather than an account name of the network (it is
    then parsed as one: a mistyped checksum is refused, not taken for a name)."""
    return value.startswith("0x") and value not in network.accounts


def redact_url(url: str) -> str:
    """``url`` without a password in it (``https://user:***@host/``), for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def http_web3(network: Network) -> Web3:
    """A Web3 for ``network`` over HTTP, with its request timeout, its retries of reads after a
    transient fault (connection error, timeout, HTTP error; backoff 0.25 s doubling), the chain id
    asked once (cached by the provider) and, for PoA consensus, the extra-data middleware at layer
    0. Nothing is sent.

    Only reads are retried here: web3's own allow-list also has ``eth_sendRawTransaction``, which
    is taken out (:data:`READ_RETRY_METHODS`). A send whose answer was lost is retried by the
    :class:`~consortium_evm.tx.transactions.Transactor`, as the same bytes, knowing that a "nonce too
    low" or "already known" answer may then mean its own earlier attempt got through; repeated
    silently by the transport, that answer would look like another program's transaction."""
    retry = (
        ExceptionRetryConfiguration(
            errors=(requests.ConnectionError, requests.Timeout, requests.HTTPError),
            retries=network.retries + 1,
            backoff_factor=DEFAULT_BACKOFF,
            method_allowlist=READ_RETRY_METHODS,
        )
        if network.retries > 0
        else None
    )
    provider = HTTPProvider(
        network.url,
        # A 4xx answer (but 408 and 429) is raised at once as HTTPStatusError: web3 would retry
        # every HTTP error, and an unauthorized request stays unauthorized.
        request_kwargs={"timeout": network.timeout, "hooks": {"response": [_refuse_permanent_http_errors]}},
        exception_retry_configuration=retry,
        # web3's validation asks eth_chainId before every eth_call, eth_estimateGas and send: one
        # request more each time. The chain id of an endpoint does not change: ask once per thread.
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
        request_cache_validation_threshold=None,
    )
    w3 = Web3(provider)
    if network.needs_poa_middleware:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, name=POA_MIDDLEWARE_NAME, layer=0)
    return w3


class HTTPStatusError(Exception):
    """The endpoint answered with an HTTP error that a retry will not change (4xx, except 408
    Request Timeout and 429 Too Many Requests): not retried."""

    def __init__(self, status_code: int, reason: str, url: str) -> None:
        self.status_code = status_code
        super().__init__(f"HTTP {status_code} {reason} from {redact_url(url)}")


def _refuse_permanent_http_errors(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    status = response.status_code
    if 400 <= status < 500 and status not in (408, 429):
        response.close()
        raise HTTPStatusError(status, str(response.reason or ""), str(response.url or ""))
    return response


def has_poa_middleware(w3: Web3) -> bool:
    """Whether web3's PoA extra-data middleware is in ``w3``'s middleware."""
    return any(mw is ExtraDataToPOAMiddleware for mw, _name in w3.middleware_onion.middleware)


def check_chain_id(w3: Web3, network: Network) -> int:
    """Ask the node for its chain id (once, no retries) and compare it with the network's.

    Raises RPCError naming the URL when the node cannot be reached or does not answer, and
    ChainMismatchError when the chain id differs. Returns the chain id.
    """
    url = redact_url(network.url)
    provider: Any = w3.provider
    retries = getattr(provider, "exception_retry_configuration", None)
    if retries is not None:
        provider.exception_retry_configuration = None  # fail at once: this is a reachability probe
    try:
        reported = int(w3.eth.chain_id)
    except requests.Timeout as exc:
        raise RPCError(
            f"cannot reach the JSON-RPC endpoint at {url}: no answer within {network.timeout:g} s "
            f"(network {network.name!r})"
        ) from exc
    except (requests.ConnectionError, OSError) as exc:
        raise RPCError(
            f"cannot reach the JSON-RPC endpoint at {url}: {_reason(exc)} (network {network.name!r})"
        ) from exc
    except Exception as exc:  # noqa: BLE001 - HTTP errors, bad JSON, JSON-RPC faults
        raise RPCError(
            f"the JSON-RPC endpoint at {url} did not answer eth_chainId properly: {exc} "
            f"(network {network.name!r})"
        ) from exc
    finally:
        if retries is not None:
            provider.exception_retry_configuration = retries
    if reported != network.chain_id:
        raise ChainMismatchError(
            f"network {network.name} expects chain id {network.chain_id} but the node at {url} "
            f"reports {reported}"
        )
    return reported


def _reason(exc: BaseException) -> str:
    """The root cause of a connection failure, briefly (``connection refused``, ...)."""
    text = str(exc)
    for marker, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host name"),
        ("nodename nor servname", "unknown host name"),
        ("Temporary failure in name resolution", "host name could not be resolved"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network is unreachable"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate verification failed"),
    ):
        if marker in text:
            return reason
    return text


def connect(
    network: Network | str,
    *,
    networks_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    prompt: PasswordPrompt | None = None,
    interactive: bool | None = None,
) -> Connection:
    """Connect to ``network`` (a Network, or a name looked up in ``networks_file``).

    ``tester`` is the embedded chain (a fresh one each call). Any other network gets a Web3 over
    HTTP whose chain id is checked before anything else is sent. ``environ``, ``prompt`` and
    ``interactive`` go to the :class:`~consortium_evm.chain.accounts.AccountLoader` (and ``environ``
    to the ``${VAR}`` expansion of the file).
    """
    if isinstance(network, str):
        network = load_network(network, networks_file, environ=environ)
    network = resolve_local_node(network)
    if network.is_tester:
        w3 = tester_web3()
    else:
        w3 = http_web3(network)
        check_chain_id(w3, network)
    accounts = AccountLoader(network, w3, environ=environ, prompt=prompt, interactive=interactive)
    return Connection(w3=w3, network=network, fee_policy=network.gas_price, accounts=accounts)


__all__ = [
    "HTTPStatusError",
    "POA_MIDDLEWARE_NAME",
    "READ_RETRY_METHODS",
    "Connection",
    "check_chain_id",
    "connect",
    "has_poa_middleware",
    "http_web3",
    "redact_url",
]
