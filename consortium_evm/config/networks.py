"""Networks by name: ``networks.yaml`` and the built-in embedded chain ``tester``.

A networks file looks like this (the shipped ``networks.yaml`` is a commented example)::

    networks:
      local:
        url: http://127.0.0.1:8545      # JSON-RPC over HTTP(S)
        chain_id: 1337                  # checked against the node before anything is sent
        consensus: clique               # clique | ibft2 | qbft | dev
        # client: goquorum              # besu | goquorum | geth: GoQuorum votes validators with istanbul_*
        evm_version: london             # default london
        gas_price: auto                 # zero | legacy | eip1559 | auto (default), or a mapping
        confirmations: 1                # see below; default 1
        block_period: 5s                # Clique period / IBFT-QBFT blockperiodseconds; optional
        timeout: 30                     # seconds per JSON-RPC request; default 30
        retries: 4                      # retries of a request after a transient fault; default 4
        accounts:
          deployer: {keystore: keys/deployer.json, password_env: DEPLOYER_PASSWORD}
          ci: {private_key_env: CI_DEPLOYER_KEY}
          dev: {dev_account: 1}         # development mnemonic account 1 (public key: dev only)
          acme: {signer: {kind: clef, url: http://127.0.0.1:8550, address: "0x..."}}  # docs/signers.md

``gas_price`` is a policy name, or a mapping with ``policy:`` and that policy's settings:

- ``zero``: ``gasPrice`` 0, for consortium chains that do not charge for gas (refused, naming the
  base fee, before anything is sent, when the latest block has a base fee above 0);
- ``legacy``: ``gasPrice`` = ``price`` if given, else the node's ``eth_gasPrice``, never above
  ``max_price`` if given;
- ``eip1559``: ``maxPriorityFeePerGas`` = ``priority_fee`` if given, else the
  ``reward_percentile`` (default 50) of the rewards over the last ``history_blocks`` (default 10)
  blocks' fee history (the node's ``eth_maxPriorityFeePerGas`` when that is empty), never above
  ``priority_fee_cap``; ``maxFeePerGas`` = ``base_fee_multiplier`` (default 2) × the latest base fee
  + the priority fee, never above ``max_fee_cap``;
- ``auto`` (the default): ``eip1559`` with its defaults when the latest block has a
  ``baseFeePerGas``, else ``legacy`` with the node's gas price.

Amounts of wei are integers or strings with a unit: ``2 gwei``, ``0.5 gwei``, ``1 ether``.

``confirmations`` is the number of blocks, counting the block that includes a transaction, that
must exist before the transaction counts as done: 1 means as soon as it is mined (its receipt
exists); N means N-1 further blocks on top of the including block. The default is 1 for every
consensus: IBFT 2.0 and QBFT blocks are final as soon as they exist (so more blocks add nothing);
Clique and dev chains can in principle reorganize recent blocks, so raise it there if that
matters to you.

``block_period`` is the chain's block period in seconds (Clique's ``period``, IBFT 2.0's and QBFT's
``blockperiodseconds``): no block follows its parent sooner. The gateway uses it on geth Clique to
take the node's head without asking while no newer block can exist yet; a period longer than the
chain's is unsafe (the gateway turns the window off when it sees a shorter gap). With ``url:
local-node`` it defaults to the local network's own period.

``retries`` is how many times a request that met a transient fault (connection refused or dropped,
timeout, HTTP 429 or 5xx) is tried again, waiting 0.25 s, then twice as long each time. Reads are
retried as such; a transaction is re-sent only as the same signed bytes (never under a new nonce).

Every string may reference the environment: ``${VAR}`` (must be set), ``${VAR:-default}`` (when
unset or empty), ``${VAR-default}`` (when unset); ``$$`` is a literal ``$``. Keystore paths are
relative to the networks file. A plaintext private key in the file is refused.

``dev_account: N`` is account ``N`` of the well-known development mnemonic ("test test ... junk",
``m/44'/60'/0'/0/N``; :mod:`consortium_evm.domain.devkeys`), derived where it is used: it signs on any
network that funds it (the local network of ``consortium-evm node start`` funds 0 to 4, anvil 0 to
9, a genesis whom its ``alloc`` names). Everyone knows these keys: development only.

Any problem is one :class:`~consortium_evm.errors.ConfigError` naming the file, line and key path,
e.g. ``networks.yaml:7: networks.local.chain_id: Input should be a valid integer``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION, EVM_VERSIONS
from consortium_evm.config.accounts import AccountConfig
from consortium_evm.config.fields import AutoGasPrice, Duration, GasPolicy, GasPricePolicy, StrictModel, no_bool
from consortium_evm.config.yamlsource import KeyPath, SourcedDocument, expand_env, load_yaml, validation_error
from consortium_evm.domain.goquorum import GOQUORUM
from consortium_evm.errors import ConfigError

if TYPE_CHECKING:
    from consortium_evm.node.state import NetworkState
from consortium_evm.node.tester import TESTER_CHAIN_ID


DEFAULT_NETWORKS_FILE = "networks.yaml"
"""The networks file looked up in the working directory when none is named."""

TESTER = "tester"
"""The built-in network: the embedded eth-tester chain (:func:`consortium_evm.node.tester.tester_web3`)."""

Consensus = Literal["clique", "ibft2", "qbft", "dev"]
CONSENSUS_KINDS: tuple[str, ...] = ("clique", "ibft2", "qbft", "dev")

POA_CONSENSUS = frozenset({"clique", "ibft2", "qbft"})
"""Consensus kinds whose block ``extraData`` is longer than 32 bytes (needs web3's PoA middleware)."""

DEFAULT_TIMEOUT = 30.0
"""Seconds a JSON-RPC request may take, unless the network sets ``timeout``."""

DEFAULT_RETRIES = 4
"""Retries of a request after a transient fault, unless the network sets ``retries``."""

_DEFAULT_CONFIRMATIONS: dict[str, int] = {"clique": 1, "dev": 1, "ibft2": 1, "qbft": 1}


def default_confirmations(consensus: str) -> int:
    """The ``confirmations`` default for a consensus kind: 1 for all of them.

    1 means a transaction is done once it is mined. IBFT 2.0 and QBFT have immediate finality, so
    waiting longer adds nothing; Clique and dev chains default to 1 too (raise it in the file).
    """
    return _DEFAULT_CONFIRMATIONS[consensus]


# -- accounts -----------------------------------------------------------------------------------


# -- networks -----------------------------------------------------------------------------------


LOCAL_NODE = "local-node"
"""A network ``url`` meaning: the first node of the local network ``consortium-evm node start`` runs
(its port is chosen at start; read from the network's state file)."""


class NetworkModel(StrictModel):
    """One entry of ``networks:``, as written in the file (see the module documentation)."""

    url: str
    chain_id: Annotated[int, BeforeValidator(no_bool), Field(gt=0)]
    consensus: Consensus
    client: Literal["besu", "goquorum", "geth"] | None = None
    evm_version: str = DEFAULT_EVM_VERSION
    gas_price: GasPricePolicy = Field(default_factory=AutoGasPrice)
    confirmations: Annotated[int, BeforeValidator(no_bool), Field(ge=1, le=10_000)] | None = None
    timeout: Annotated[float, BeforeValidator(no_bool), Field(gt=0, le=3600)] = DEFAULT_TIMEOUT
    retries: Annotated[int, BeforeValidator(no_bool), Field(ge=0, le=20)] = DEFAULT_RETRIES
    block_period: Annotated[Duration, BeforeValidator(no_bool), Field(ge=1, le=86_400)] | None = None
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value == LOCAL_NODE:
            return value
        if not re.match(r"https?://[^\s/]+", value):
            raise ValueError(f"expected an http:// or https:// JSON-RPC URL, got {value!r}")
        return value

    @field_validator("evm_version")
    @classmethod
    def _evm(cls, value: str) -> str:
        if value not in EVM_VERSIONS:
            raise ValueError(f"unknown EVM version {value!r}; expected one of: {', '.join(EVM_VERSIONS)}")
        return value

    @model_validator(mode="after")
    def _goquorum(self) -> NetworkModel:
        # GoQuorum 24.4.1 runs geth 1.10.3's EVM and transactions: nothing after berlin (the london
        # artifacts are byte for byte the berlin ones), no type-2 transactions.
        if self.client == GOQUORUM:
            if EVM_VERSIONS.index(self.evm_version) > EVM_VERSIONS.index("london"):
                raise ValueError(
                    f"evm_version {self.evm_version} does not run on GoQuorum (its EVM is berlin-level): "
                    "use london (the shipped artifacts, which have no london-only opcode) or berlin"
                )
            if self.gas_price.policy == "eip1559":
                raise ValueError(
                    "gas_price eip1559 does not work on GoQuorum (it refuses type-2 transactions): use zero, "
                    "the default of a GoQuorum genesis, or legacy"
                )
        return self


class _FileShape(StrictModel):
    """The top level of a networks file; each network is validated on its own."""

    networks: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Network:
    """A network ready to connect to: the validated entry, with its name and where it came from."""

    name: str
    url: str
    chain_id: int
    consensus: str
    evm_version: str = DEFAULT_EVM_VERSION
    gas_price: GasPolicy = field(default_factory=AutoGasPrice)
    client: str | None = None
    """The nodes' client (``besu``, ``goquorum``, ``geth``) where it matters: GoQuorum's IBFT/QBFT
    validator votes are its ``istanbul_*`` methods, Besu's its ``ibft_*``/``qbft_*``."""
    confirmations: int = 1
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    block_period: int | None = None
    """Seconds at least between a block and its parent (Clique ``period``, ``blockperiodseconds``), if known."""
    accounts: Mapping[str, AccountConfig] = field(default_factory=dict)
    source: Path | None = None
    """The networks file (``None`` for the built-in ``tester``)."""
    locations: Mapping[str, str] = field(default_factory=dict)
    """``file:line: key.path`` of each account entry, for messages."""

    @property
    def is_tester(self) -> bool:
        """True for the built-in embedded chain."""
        return self.source is None and self.name == TESTER

    @property
    def needs_poa_middleware(self) -> bool:
        """True for clique, ibft2 and qbft (their extraData does not fit web3's 32-byte check)."""
        return self.consensus in POA_CONSENSUS

    @property
    def base_dir(self) -> Path:
        """The directory relative paths (keystores) are resolved against."""
        return self.source.parent if self.source is not None else Path.cwd()


def tester_network() -> Network:
    """The built-in network ``tester``: the embedded eth-tester chain; its accounts go by index."""
    return Network(
        name=TESTER,
        url="eth-tester://embedded",
        chain_id=TESTER_CHAIN_ID,
        consensus="dev",
        evm_version=DEFAULT_EVM_VERSION,
        gas_price=AutoGasPrice(),
        confirmations=1,
        timeout=DEFAULT_TIMEOUT,
    )


tester_network.__test__ = False  # type: ignore[attr-defined]  # not a test, whatever pytest thinks


# -- loading ------------------------------------------------------------------------------------

_HEX_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_PLAINTEXT_KEYS = frozenset({"private_key", "privatekey"})
_PLAINTEXT_MESSAGE = (
    "a plaintext private key in the configuration file is refused; use a keystore file "
    "(keystore: with password_env:) or an environment variable (private_key_env:)"
)


class NetworksFile:
    """A parsed networks file: its top level is checked; networks are validated when asked for."""

    def __init__(self, doc: SourcedDocument, *, environ: Mapping[str, str] | None = None) -> None:
        self.doc = doc
        self.environ = environ
        if doc.data is None:
            raise ConfigError(f"{doc.display}:1: the file is empty; expected a 'networks:' mapping")
        if not isinstance(doc.data, dict):
            raise doc.error((), "expected a mapping with a 'networks:' key at the top level")
        _refuse_plaintext_keys(doc)
        try:
            shape = _FileShape.model_validate(doc.data)
        except ValidationError as exc:
            raise validation_error(doc, exc) from exc
        self._raw = shape.networks
        for name in self._raw:
            if name == TESTER:
                raise doc.error(
                    ("networks", name),
                    "'tester' is the built-in embedded chain and cannot be redefined; choose another name",
                )

    @property
    def names(self) -> list[str]:
        """The networks of the file, in file order (without ``tester``)."""
        return list(self._raw)

    def network(self, name: str) -> Network:
        """The network ``name``, validated with its ``${VAR}`` references expanded."""
        if name == TESTER:
            return tester_network()
        if name not in self._raw:
            known = ", ".join(sorted([*self._raw, TESTER]))
            raise self.doc.error(("networks",), f"no network named {name!r}; known networks: {known}")
        key_path: KeyPath = ("networks", name)
        raw = expand_env(self.doc, self._raw[name], key_path, self.environ)
        try:
            model = NetworkModel.model_validate(raw)
        except ValidationError as exc:
            raise validation_error(self.doc, exc, key_path) from exc
        return Network(
            name=name,
            url=model.url,
            chain_id=model.chain_id,
            consensus=model.consensus,
            client=model.client,
            evm_version=model.evm_version,
            gas_price=model.gas_price,
            confirmations=model.confirmations or default_confirmations(model.consensus),
            timeout=model.timeout,
            retries=model.retries,
            block_period=model.block_period,
            accounts=dict(model.accounts),
            source=self.doc.path,
            locations={acc: self.doc.where((*key_path, "accounts", acc)) for acc in model.accounts},
        )

    def all(self) -> dict[str, Network]:
        """Every network of the file, plus ``tester``; the first problem anywhere is raised."""
        return {name: self.network(name) for name in [*self._raw, TESTER]}


def resolve_local_node(network: Network) -> Network:
    """``network`` with ``url: local-node`` made the local network's first node, and its block
    period the local network's unless given; any other network as it is."""
    if network.url != LOCAL_NODE:
        return network
    state = _local_network(network.name)
    period = network.block_period if network.block_period is not None else state.period
    return dataclasses.replace(network, url=state.nodes[0].rpc_url, block_period=period)


def local_node_urls(network_name: str) -> list[str]:
    """The RPC URLs of every node of the local network ``consortium-evm node start`` runs (its
    folder: ``$CONSORTIUM_NODES_DIR`` or ``<project root>/.consortium/nodes``), first node first."""
    return [node.rpc_url for node in _local_network(network_name).nodes]


def _local_network(network_name: str) -> NetworkState:
    """The record of the local network ``consortium-evm node start`` runs, read once; a ConfigError
    naming ``network_name`` when none has been started here."""
    from consortium_evm.node.state import default_data_dir, load_state

    state = load_state(default_data_dir())
    if state is None or not state.nodes:
        raise ConfigError(
            f"network {network_name!r} is the local network, and none has been started here: "
            "run `consortium-evm node start`"
        )
    return state


def _refuse_plaintext_keys(doc: SourcedDocument) -> None:
    """Refuse a ``private_key:`` or any 64-hex-digit value in any account entry of any network."""
    networks = doc.data.get("networks") if isinstance(doc.data, dict) else None
    if not isinstance(networks, dict):
        return
    for net_name, net in networks.items():
        if not isinstance(net, dict) or not isinstance(net.get("accounts"), dict):
            continue
        for acc_name, entry in net["accounts"].items():
            found = _find_plaintext(entry, ("networks", net_name, "accounts", acc_name))
            if found is not None:
                raise doc.error(found, _PLAINTEXT_MESSAGE)


def _find_plaintext(value: Any, path: KeyPath) -> KeyPath | None:
    if isinstance(value, str):
        return path if _HEX_KEY.fullmatch(value.strip()) else None
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 160:
        return path  # a key written as a bare 0x... number is read by YAML as an int
    if isinstance(value, dict):
        for key, item in value.items():
            child = (*path, key)
            if isinstance(key, str) and key.replace("-", "_").lower() in _PLAINTEXT_KEYS:
                return child
            hit = _find_plaintext(item, child)
            if hit is not None:
                return hit
    if isinstance(value, list):
        for index, item in enumerate(value):
            hit = _find_plaintext(item, (*path, index))
            if hit is not None:
                return hit
    return None


def _resolve_path(path: str | Path | None) -> tuple[Path, bool]:
    """The file to read and whether it was named explicitly."""
    if path is None:
        return Path(DEFAULT_NETWORKS_FILE), False
    return Path(path), True


def open_networks_file(
    path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> NetworksFile | None:
    """Parse the networks file; ``None`` when no path was given and ``./networks.yaml`` is absent."""
    file, explicit = _resolve_path(path)
    if not explicit and not file.exists():
        return None
    return NetworksFile(load_yaml(path if path is not None else file), environ=environ)


def load_network(
    name: str, path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Network:
    """The network ``name`` from ``path`` (default ``./networks.yaml``); ``tester`` needs no file.

    Only the named network is validated and expanded, so a ``${VAR}`` used by another network
    need not be set. Any problem raises one ConfigError naming the file, line and key path.
    """
    if name == TESTER:
        return tester_network()
    file, explicit = _resolve_path(path)
    if not file.exists():
        hint = "" if explicit else f" (looked for {DEFAULT_NETWORKS_FILE} in {Path.cwd()})"
        raise ConfigError(
            f"{file}: no such file{hint}; it is needed for network {name!r} "
            f"(only the built-in network {TESTER!r} needs no file)"
        )
    networks = open_networks_file(file, environ=environ)
    assert networks is not None
    return networks.network(name)


def load_networks(
    path: str | Path | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, Network]:
    """Every network of the file, fully validated (all ``${VAR}`` must be set), plus ``tester``.

    With no path and no ``./networks.yaml``, just ``tester``.
    """
    networks = open_networks_file(path, environ=environ)
    if networks is None:
        return {TESTER: tester_network()}
    return networks.all()


def network_names(path: str | Path | None = None) -> list[str]:
    """The names of the networks of the file (unvalidated entries), and ``tester``."""
    networks = open_networks_file(path)
    return [*(networks.names if networks is not None else []), TESTER]


__all__ = [
    "CONSENSUS_KINDS",
    "DEFAULT_NETWORKS_FILE",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "GAS_PRICE_POLICIES",
    "GasPolicy",
    "POA_CONSENSUS",
    "TESTER",
    "AccountConfig",
    "AutoGasPrice",
    "Consensus",
    "Eip1559GasPrice",
    "GasPricePolicy",
    "LegacyGasPrice",
    "Network",
    "NetworkModel",
    "NetworksFile",
    "ZeroGasPrice",
    "default_confirmations",
    "load_network",
    "load_networks",
    "resolve_local_node",
    "local_node_urls",
    "network_names",
    "open_networks_file",
    "parse_wei",
    "tester_network",
]
