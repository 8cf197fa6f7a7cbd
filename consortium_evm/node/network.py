"""A real local Clique network: one geth 1.13 signer process per node, on 127.0.0.1 only.

Layout of a network folder (default ``<project root>/.consortium/nodes/``)::

    network.json        the state file (ports, PIDs, chain id, signers, dev accounts, ``local`` entry)
    genesis.json        the Clique genesis (consortium_evm.node.clique)
    password.txt        the generated keystore password (mode 600) geth unlocks the signers with
    dev-accounts.json   the funded development accounts with their private keys (mode 600)
    node1/              geth --datadir: keystore/, geth/ (chain, nodekey), config.toml,
                        geth.log, geth.pid
    node2/ ...

:func:`start_network` creates a network (or resumes a stopped one, keeping its chain), starts the
processes and waits until blocks are sealed and, with several signers, every node is peered with
every other. :func:`network_status` reads the processes and asks each node over JSON-RPC.
:func:`stop_network` ends exactly the recorded processes (SIGTERM, then SIGKILL), and is harmless
when nothing runs.

Network traffic stays on the loopback: HTTP RPC and the engine API listen on 127.0.0.1, the P2P
listener is bound to 127.0.0.1 as well, discovery is off (``--nodiscover``), peers are static
127.0.0.1 enodes and ``--netrestrict 127.0.0.0/8 --nat none`` refuse anything else.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_keys.datatypes import PrivateKey
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from consortium_evm.errors import ConfigError
from consortium_evm.journal import write_text_atomic as _write_atomic
from consortium_evm.node.anvil import anvil_accounts
from consortium_evm.node.clique import DEFAULT_EPOCH, clique_genesis, clique_signers_from_extra_data, sorted_signers
from consortium_evm.node.errors import NetworkStartError, NodeError
from consortium_evm.node.geth import GethBinary, find_geth, project_roots

STATE_FILE = "network.json"
GENESIS_FILE = "genesis.json"
PASSWORD_FILE = "password.txt"
DEV_KEYS_FILE = "dev-accounts.json"
CONFIG_FILE = "config.toml"
LOG_FILE = "geth.log"
PID_FILE = "geth.pid"
STATE_VERSION = 1

DEFAULT_CHAIN_ID = 1337
DEFAULT_SIGNERS = 1
DEFAULT_PERIOD = 1
MAX_SIGNERS = 16
DEV_ACCOUNT_COUNT = 5
DEV_BALANCE = 1_000_000 * 10**18
"""Each dev account starts with one million ether."""
SIGNER_BALANCE = 1_000 * 10**18
HTTP_APIS = "eth,net,web3,clique,txpool,admin,miner"
KEYSTORE_SCRYPT_N = 4096
"""A light scrypt work factor (geth's own "light" setting): these are throw-away dev keystores,
and the standard 2^18 would make every start and unlock take seconds."""
DEFAULT_START_TIMEOUT = 60.0
DEFAULT_STOP_TIMEOUT = 15.0

Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# State


@dataclass(frozen=True)
class DevAccount:
    """A funded development account of a local network. Its key is in plain text: dev only."""

    address: str
    private_key: str


@dataclass(frozen=True)
class NodeInfo:
    """One geth process of a local network, as recorded in the state file."""

    name: str
    signer: str
    data_dir: Path
    http_port: int
    p2p_port: int
    authrpc_port: int
    node_id: str
    """The node's public key as 128 hex digits (the enode id)."""
    pid: int | None

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def enode(self) -> str:
        return f"enode://{self.node_id}@127.0.0.1:{self.p2p_port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE

    @property
    def pid_file(self) -> Path:
        return self.data_dir / PID_FILE

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "signer": self.signer,
            "dataDir": str(self.data_dir),
            "rpcUrl": self.rpc_url,
            "httpPort": self.http_port,
            "p2pPort": self.p2p_port,
            "authrpcPort": self.authrpc_port,
            "nodeId": self.node_id,
            "enode": self.enode,
            "pid": self.pid,
            "logFile": str(self.log_file),
            "pidFile": str(self.pid_file),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeInfo:
        return cls(
            name=str(data["name"]),
            signer=str(data["signer"]),
            data_dir=Path(data["dataDir"]),
            http_port=int(data["httpPort"]),
            p2p_port=int(data["p2pPort"]),
            authrpc_port=int(data["authrpcPort"]),
            node_id=str(data["nodeId"]),
            pid=None if data.get("pid") is None else int(data["pid"]),
        )


@dataclass(frozen=True)
class NetworkState:
    """What the state file ``network.json`` of a local network holds."""

    root_dir: Path
    chain_id: int
    period: int
    epoch: int
    evm_version: str
    signers: tuple[str, ...]
    """The genesis signers, in geth's order (ascending)."""
    dev_accounts: tuple[str, ...]
    """Addresses of the funded dev accounts; their keys are in :attr:`dev_keys_file`."""
    nodes: tuple[NodeInfo, ...]
    geth_path: str
    geth_version: str
    created_at: float
    started_at: float | None = None
    stopped_at: float | None = None
    from_genesis: bool = False
    """Made from a given genesis (``start_network(genesis=...)``): its nodes start sealing only once
    they are all peered, since the genesis time may be long past (see :func:`_launch`)."""

    @property
    def rpc_url(self) -> str:
        """The RPC URL of the first node: where tools point by default."""
        return self.nodes[0].rpc_url

    @property
    def state_file(self) -> Path:
        return self.root_dir / STATE_FILE

    @property
    def dev_keys_file(self) -> Path:
        return self.root_dir / DEV_KEYS_FILE

    def local_entry(self) -> dict[str, Any]:
        """The ``local`` network entry other commands (the deployer) read."""
        return {
            "rpcUrl": self.rpc_url,
            "rpcUrls": [n.rpc_url for n in self.nodes],
            "chainId": self.chain_id,
            "running": all(n.pid is not None for n in self.nodes),
            "description": (
                f"local Clique network: {len(self.nodes)} geth {self.geth_version} signer(s) on "
                f"127.0.0.1, period {self.period} s, chain id {self.chain_id} "
                "(consortium-evm node start)"
            ),
            "devKeysFile": str(self.dev_keys_file),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "local": self.local_entry(),
            "chainId": self.chain_id,
            "networkId": self.chain_id,
            "clique": {"period": self.period, "epoch": self.epoch},
            "evmVersion": self.evm_version,
            "signers": list(self.signers),
            "devAccounts": list(self.dev_accounts),
            "devKeysFile": str(self.dev_keys_file),
            "geth": {"path": self.geth_path, "version": self.geth_version},
            "createdAt": self.created_at,
            "startedAt": self.started_at,
            "stoppedAt": self.stopped_at,
            "fromGenesis": self.from_genesis,
            "nodes": [n.to_json() for n in self.nodes],
        }

    @classmethod
    def from_json(cls, root_dir: Path, data: dict[str, Any]) -> NetworkState:
        if data.get("version") != STATE_VERSION:
            raise ConfigError(
                f"{root_dir / STATE_FILE} has state version {data.get('version')!r}, expected "
                f"{STATE_VERSION}: remove the folder or start with --reset"
            )
        return cls(
            root_dir=root_dir,
            chain_id=int(data["chainId"]),
            period=int(data["clique"]["period"]),
            epoch=int(data["clique"]["epoch"]),
            evm_version=str(data["evmVersion"]),
            signers=tuple(str(s) for s in data["signers"]),
            dev_accounts=tuple(str(a) for a in data["devAccounts"]),
            nodes=tuple(NodeInfo.from_json(n) for n in data["nodes"]),
            geth_path=str(data["geth"]["path"]),
            geth_version=str(data["geth"]["version"]),
            created_at=float(data["createdAt"]),
            started_at=None if data.get("startedAt") is None else float(data["startedAt"]),
            stopped_at=None if data.get("stoppedAt") is None else float(data["stoppedAt"]),
            from_genesis=bool(data.get("fromGenesis", False)),
        )

    def with_nodes(self, nodes: Sequence[NodeInfo], **changes: Any) -> NetworkState:
        values = {**self.__dict__, "nodes": tuple(nodes), **changes}
        return NetworkState(**values)


NODES_DIR_ENV = "CONSORTIUM_NODES_DIR"
"""Overrides the local network's folder (default ``<project root>/.consortium/nodes``)."""


def default_data_dir() -> Path:
    """``$CONSORTIUM_NODES_DIR``, else ``<project root>/.consortium/nodes`` (the current directory
    when outside a project)."""
    explicit = os.environ.get(NODES_DIR_ENV)
    if explicit:
        return Path(explicit)
    roots = project_roots()
    return (roots[0] if roots else Path.cwd()) / ".consortium" / "nodes"


def _root(root_dir: Path | str | None) -> Path:
    return (Path(root_dir).expanduser() if root_dir is not None else default_data_dir()).resolve()


def load_state(root_dir: Path | str | None = None) -> NetworkState | None:
    """The recorded state of the network in ``root_dir``, or None when there is none."""
    root = _root(root_dir)
    path = root / STATE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return NetworkState.from_json(root, data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the network state file {path}: {exc}") from None


def load_dev_accounts(root_dir: Path | str | None = None) -> list[DevAccount]:
    """The funded dev accounts (address and private key) of the network in ``root_dir``."""
    path = _root(root_dir) / DEV_KEYS_FILE
    try:
        data = json.loads(path.read_text())
        return [DevAccount(str(a["address"]), str(a["privateKey"])) for a in data["accounts"]]
    except FileNotFoundError:
        raise ConfigError(f"no dev accounts at {path}: start a network first") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the dev accounts file {path}: {exc}") from None


def _save_state(state: NetworkState) -> None:
    _write_atomic(state.state_file, json.dumps(state.to_json(), indent=2) + "\n")


# --------------------------------------------------------------------------------------------
# Processes


_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""geth processes started by this Python process, so that stopping them also reaps them."""


def _proc_state(pid: int) -> str | None:
    """The one-letter state from /proc/<pid>/stat (``Z`` for a zombie), or None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else None


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _CHILDREN[pid]
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError:
        pass


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _proc_state(pid) != "Z"


def _is_our_geth(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` runs geth with ``data_dir`` (guards against a PID reused by another
    program). Where /proc is not available the recorded PID is trusted."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return not Path("/proc/self").exists()
    except OSError:
        return False
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    return str(data_dir) in args


def _read_pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _recorded_pids(node: NodeInfo) -> list[int]:
    """The PIDs recorded for ``node``: in the state file and in its PID file."""
    pids = {node.pid, _read_pid_file(node.pid_file)}
    return sorted(p for p in pids if p is not None)


def _free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:]) or "    (empty log)"


# --------------------------------------------------------------------------------------------
# JSON-RPC


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


def _rpc_int(url: str, method: str, timeout: float = 5.0) -> int:
    return int(str(rpc_call(url, method, timeout=timeout)), 0)


def clique_web3(rpc_url: str, timeout: float = 10.0) -> Web3:
    """A Web3 for a Clique node: Clique headers carry 97 bytes of extraData (vanity + seal), which
    web3.py refuses unless the proof-of-authority middleware is installed, as it is here."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


# --------------------------------------------------------------------------------------------
# Start


def start_network(
    root_dir: Path | str | None = None,
    *,
    signers: int | None = None,
    chain_id: int | None = None,
    period: int | None = None,
    evm_version: str = "london",
    reset: bool = False,
    timeout: float = DEFAULT_START_TIMEOUT,
    log: Log | None = _stderr,
    genesis: Mapping[str, Any] | None = None,
    keys: Sequence[str] | None = None,
) -> NetworkState:
    """Start a local Clique network of ``signers`` geth signers in ``root_dir`` and wait until it
    seals blocks (and, with two or more signers, until every node is peered with every other).

    With ``genesis`` (a geth Clique genesis, e.g. from ``consortium-evm genesis clique``) and
    ``keys`` (one private key per node, hex), a new network runs that genesis instead of making
    one: one node per key, each key being both the node's P2P key (so its enode id is the one the
    consortium registered) and its signer account; the signers are those of the genesis extra
    data, and a key that is not one of them runs a node that follows the chain until the signers
    vote it in. Chain id, period and epoch come from the genesis; no dev accounts are made (the
    genesis ``alloc`` funds whom it funds). A stopped network in ``root_dir`` is resumed only if it
    runs the same genesis; another one needs ``reset=True``.

    A new network gets fresh signer keys, :data:`DEV_ACCOUNT_COUNT` funded dev accounts (their
    private keys in ``dev-accounts.json``: development only), a Clique genesis and ``geth init``
    per node. When ``root_dir`` holds a stopped network it is resumed with its chain, keys and,
    when they are still free, its ports (arguments left as None take its values; different ones
    need ``reset=True``, which deletes it first). Raises :class:`NodeError` when a network is already running there,
    :class:`NetworkStartError` (after stopping what it started) when a node dies or does not get
    ready within ``timeout`` seconds.
    """
    say = log or (lambda _line: None)
    root = _root(root_dir)
    geth = find_geth()
    state = load_state(root)

    if state is not None:
        running = [
            (n.name, pid)
            for n in state.nodes
            for pid in _recorded_pids(n)
            if pid_alive(pid) and _is_our_geth(pid, n.data_dir)
        ]
        if running:
            raise NodeError(
                f"a local network is already running in {root} "
                f"({', '.join(f'{name} pid {pid}' for name, pid in running)}): "
                "run `consortium-evm node stop` first (or `node status` to see it)"
            )
        if reset:
            _remove_network(root, state)
            state = None
        elif genesis is not None and not _same_genesis(root, genesis):
            raise ConfigError(
                f"{root} holds a stopped network with another genesis: pass --reset to delete it and start "
                "the given genesis (or --data-dir for another folder)"
            )
        else:
            asked = {"signers": signers, "chain id": chain_id, "period": period}
            have = {"signers": len(state.nodes), "chain id": state.chain_id, "period": state.period}
            differ = [f"{k} {asked[k]} (it has {have[k]})" for k in asked if asked[k] not in (None, have[k])]
            if differ:
                raise ConfigError(
                    f"{root} holds a stopped network with other settings: asked for "
                    f"{', '.join(differ)}; resume it without those options, or pass --reset "
                    "to delete it and create a new one"
                )
    elif reset:
        _remove_network(root, None)

    if state is None and genesis is not None:
        state = _create_from_genesis(root, geth, genesis=genesis, keys=keys or (), evm_version=evm_version, say=say)
    elif state is None:
        state = _create_network(
            root,
            geth,
            signers=DEFAULT_SIGNERS if signers is None else signers,
            chain_id=DEFAULT_CHAIN_ID if chain_id is None else chain_id,
            period=DEFAULT_PERIOD if period is None else period,
            evm_version=evm_version,
            say=say,
        )
    else:
        say(f"resuming the stopped network in {root} (chain id {state.chain_id}, {len(state.nodes)} signer(s))")

    return _launch(state, geth, timeout=timeout, say=say)


def _same_genesis(root: Path, genesis: Mapping[str, Any]) -> bool:
    """Whether the network in ``root`` runs ``genesis``."""
    try:
        stored = json.loads((root / GENESIS_FILE).read_text())
    except (OSError, ValueError):
        return False
    return bool(stored == json.loads(json.dumps(genesis)))


def _create_network(
    root: Path,
    geth: GethBinary,
    *,
    signers: int,
    chain_id: int,
    period: int,
    evm_version: str,
    say: Log,
) -> NetworkState:
    if isinstance(signers, bool) or not isinstance(signers, int) or not 1 <= signers <= MAX_SIGNERS:
        raise ConfigError(f"signers must be from 1 to {MAX_SIGNERS}, got {signers!r}")
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ConfigError(
            f"the local network needs a Clique period of at least 1 s (blocks on a timer), got {period!r}"
        )
    leftovers = [p for p in (root / f"node{i + 1}" for i in range(signers)) if p.exists()]
    if leftovers:
        raise ConfigError(
            f"{root} has {', '.join(p.name for p in leftovers)} but no {STATE_FILE}: not a network "
            "this tool can resume; remove those folders or choose another --data-dir"
        )

    signer_accounts = [Account.create() for _ in range(signers)]
    # The well-known development mnemonic's accounts (anvil's and Hardhat's), so that example files
    # can name them; they are public knowledge: development only.
    dev_accounts = anvil_accounts(DEV_ACCOUNT_COUNT)
    alloc: dict[str, int] = {a.address: DEV_BALANCE for a in dev_accounts}
    alloc.update({a.address: SIGNER_BALANCE for a in signer_accounts})
    genesis = clique_genesis(
        chain_id=chain_id,
        signers=[a.address for a in signer_accounts],
        alloc=alloc,
        period=period,
        epoch=DEFAULT_EPOCH,
        evm_version=evm_version,
        timestamp=_genesis_time(signers),
    )

    root.mkdir(parents=True, exist_ok=True)
    say(f"creating a {signers}-signer Clique network in {root} (chain id {chain_id}, period {period} s)")
    password = secrets.token_hex(24)
    _write_atomic(root / PASSWORD_FILE, password + "\n", mode=0o600)
    _write_atomic(root / GENESIS_FILE, json.dumps(genesis, indent=2) + "\n")
    _write_atomic(
        root / DEV_KEYS_FILE,
        json.dumps(
            {
                "warning": "DEVELOPMENT KEYS of a local test network, stored in plain text. Never "
                "use them, or send anything of value to them, on any other network.",
                "chainId": chain_id,
                "accounts": [
                    {"address": a.address, "privateKey": "0x" + bytes(a.key).hex()} for a in dev_accounts
                ],
            },
            indent=2,
        )
        + "\n",
        mode=0o600,
    )

    nodes = [
        _init_node(geth, root, index, account.key, PrivateKey(secrets.token_bytes(32)).to_bytes(), password)
        for index, account in enumerate(signer_accounts)
    ]

    state = NetworkState(
        root_dir=root,
        chain_id=chain_id,
        period=period,
        epoch=DEFAULT_EPOCH,
        evm_version=evm_version,
        signers=tuple(sorted_signers([a.address for a in signer_accounts])),
        dev_accounts=tuple(a.address for a in dev_accounts),
        nodes=tuple(nodes),
        geth_path=str(geth.path),
        geth_version=geth.version,
        created_at=time.time(),
    )
    _save_state(state)
    say(
        f"warning: the {DEV_ACCOUNT_COUNT} funded dev accounts' private keys are in plain text in "
        f"{root / DEV_KEYS_FILE}: development keys only, never use them on another network"
    )
    return state


def _init_node(geth: GethBinary, root: Path, index: int, signer_key: bytes, node_key: bytes, password: str) -> NodeInfo:
    """``root/node<index+1>``: the signer's keystore, the P2P node key, and ``geth init``."""
    account = Account.from_key(signer_key)
    data_dir = root / f"node{index + 1}"
    (data_dir / "keystore").mkdir(parents=True, exist_ok=True)
    (data_dir / "geth").mkdir(parents=True, exist_ok=True)
    keystore = Account.encrypt(account.key, password, kdf="scrypt", iterations=KEYSTORE_SCRYPT_N)
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
    _write_atomic(
        data_dir / "keystore" / f"UTC--{stamp}.000000000Z--{account.address[2:].lower()}",
        json.dumps(keystore),
        mode=0o600,
    )
    p2p_key = PrivateKey(node_key)
    _write_atomic(data_dir / "geth" / "nodekey", p2p_key.to_bytes().hex(), mode=0o600)
    _geth_init(geth, data_dir, root / GENESIS_FILE)
    return NodeInfo(
        name=data_dir.name,
        signer=account.address,
        data_dir=data_dir,
        http_port=0,
        p2p_port=0,
        authrpc_port=0,
        node_id=p2p_key.public_key.to_bytes().hex(),
        pid=None,
    )


def _create_from_genesis(
    root: Path,
    geth: GethBinary,
    *,
    genesis: Mapping[str, Any],
    keys: Sequence[str],
    evm_version: str,
    say: Log,
) -> NetworkState:
    config = genesis.get("config") if isinstance(genesis, Mapping) else None
    if not isinstance(config, Mapping) or not isinstance(config.get("clique"), Mapping):
        raise ConfigError("the given genesis is not a geth Clique genesis (config.clique is missing)")
    if not 1 <= len(keys) <= MAX_SIGNERS:
        raise ConfigError(f"give 1 to {MAX_SIGNERS} node keys for a network from a genesis, got {len(keys)}")
    try:
        raw_keys = [bytes.fromhex(str(k).removeprefix("0x").strip()) for k in keys]
        addresses = [Account.from_key(k).address for k in raw_keys]
    except ValueError as exc:
        raise ConfigError(f"a node key is not a private key (64 hex digits): {exc}") from None
    signers = clique_signers_from_extra_data(str(genesis.get("extraData", "")))
    missing = [s for s in signers if s.lower() not in {a.lower() for a in addresses}]
    if missing:
        raise ConfigError(
            f"the genesis signers {', '.join(missing)} have no key among the given ones: the network could "
            "not seal without them (give every signer's node key)"
        )
    chain_id = int(config["chainId"])
    clique = config["clique"]
    period, epoch = int(clique.get("period", DEFAULT_PERIOD)), int(clique.get("epoch", DEFAULT_EPOCH))
    if period < 1:
        raise ConfigError(f"the local network needs a Clique period of at least 1 s, the genesis has {period}")
    leftovers = [p for p in (root / f"node{i + 1}" for i in range(len(keys))) if p.exists()]
    if leftovers:
        raise ConfigError(f"{root} has {', '.join(p.name for p in leftovers)} but no {STATE_FILE}: choose another folder")
    root.mkdir(parents=True, exist_ok=True)
    say(f"creating a {len(keys)}-node Clique network from the given genesis in {root} (chain id {chain_id})")
    password = secrets.token_hex(24)
    _write_atomic(root / PASSWORD_FILE, password + "\n", mode=0o600)
    _write_atomic(root / GENESIS_FILE, json.dumps(genesis, indent=2) + "\n")
    _write_atomic(root / DEV_KEYS_FILE, json.dumps({"chainId": chain_id, "accounts": []}, indent=2) + "\n", mode=0o600)
    nodes = [_init_node(geth, root, index, key, key, password) for index, key in enumerate(raw_keys)]
    state = NetworkState(
        root_dir=root,
        chain_id=chain_id,
        period=period,
        epoch=epoch,
        evm_version=evm_version,
        signers=tuple(sorted_signers(signers)),
        dev_accounts=(),
        nodes=tuple(nodes),
        geth_path=str(geth.path),
        geth_version=geth.version,
        created_at=time.time(),
        from_genesis=True,
    )
    _save_state(state)
    return state


def _genesis_time(signers: int) -> int:
    """The genesis timestamp: now for one signer; with several, a few seconds ahead.

    Clique seals block 1 no earlier than genesis time + period. If every signer may seal block 1
    as soon as its process is up, each seals its own before the peers connect; the nodes then sit
    on competing blocks until geth's forced sync (every 10 s) settles it. A genesis time after the
    expected start-up (``geth init`` and start of every node, then peering) lets the in-turn
    signer's block 1 reach the others first.
    """
    now = int(time.time())
    if signers == 1:
        return now
    return now + int(1 + 0.4 * signers) + 1


def _geth_init(geth: GethBinary, data_dir: Path, genesis: Path) -> None:
    try:
        proc = subprocess.run(
            [str(geth.path), "init", "--datadir", str(data_dir), str(genesis)],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise NetworkStartError(f"`geth init` for {data_dir} could not run: {exc}") from None
    if proc.returncode != 0:
        output = "\n".join("    " + line for line in (proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise NetworkStartError(f"`geth init` for {data_dir} failed (exit {proc.returncode}):\n{output}")


def _config_toml(node: NodeInfo, peers: Sequence[NodeInfo]) -> str:
    static = ", ".join(json.dumps(p.enode) for p in peers)
    return (
        "# Written by consortium-evm node start; rewritten at every start (ports may change).\n"
        "[Node.P2P]\n"
        f'ListenAddr = "127.0.0.1:{node.p2p_port}"\n'
        "NoDiscovery = true\n"
        f"MaxPeers = {max(len(peers) + 5, 10)}\n"
        f"StaticNodes = [{static}]\n"
    )


def geth_command(geth: GethBinary, state: NetworkState, node: NodeInfo) -> list[str]:
    """The command line of one signer (P2P listen address and static peers are in its config.toml)."""
    return [
        str(geth.path),
        "--datadir", str(node.data_dir),
        "--config", str(node.data_dir / CONFIG_FILE),
        "--networkid", str(state.chain_id),
        "--syncmode", "full",
        "--nodiscover",
        "--netrestrict", "127.0.0.0/8",
        "--nat", "none",
        "--http",
        "--http.addr", "127.0.0.1",
        "--http.port", str(node.http_port),
        "--http.api", HTTP_APIS,
        "--authrpc.addr", "127.0.0.1",
        "--authrpc.port", str(node.authrpc_port),
        "--ipcdisable",
        "--cache", "128",
        *(() if state.from_genesis else ("--mine",)),
        "--miner.etherbase", node.signer,
        "--unlock", node.signer,
        "--password", str(state.root_dir / PASSWORD_FILE),
        "--allow-insecure-unlock",
        "--verbosity", "3",
    ]


def _ports_free(ports: Sequence[int]) -> bool:
    """Whether every one of ``ports`` can be listened on at 127.0.0.1 now (SO_REUSEADDR, as geth's
    Go listeners set it: connections of a stopped node in TIME_WAIT do not count)."""
    with ExitStack() as stack:
        for port in ports:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
                sock.listen(1)
            except OSError:
                return False
    return True


def _launch(state: NetworkState, geth: GethBinary, *, timeout: float, say: Log) -> NetworkState:
    # A resumed network keeps its ports (so the RPC URLs written in configurations stay right)
    # when they are still free; otherwise, and for a new network, it gets fresh free ports.
    previous = [p for n in state.nodes for p in (n.http_port, n.p2p_port, n.authrpc_port)]
    if all(previous) and len(set(previous)) == len(previous) and _ports_free(previous):
        ports = previous
    else:
        if any(previous):
            say("  the network's previous ports are taken: it gets new ones (new RPC URLs)")
        ports = _free_ports(3 * len(state.nodes))
    nodes = [
        NodeInfo(
            name=n.name,
            signer=n.signer,
            data_dir=n.data_dir,
            http_port=ports[3 * i],
            p2p_port=ports[3 * i + 1],
            authrpc_port=ports[3 * i + 2],
            node_id=n.node_id,
            pid=None,
        )
        for i, n in enumerate(state.nodes)
    ]
    for node in nodes:
        _write_atomic(node.data_dir / CONFIG_FILE, _config_toml(node, [p for p in nodes if p is not node]))
    state = state.with_nodes(nodes, geth_path=str(geth.path), geth_version=geth.version, stopped_at=None)
    _save_state(state)

    started: list[NodeInfo] = []
    try:
        for node in nodes:
            started.append(_spawn(geth, state, node))
            state = state.with_nodes(started + nodes[len(started):])
            _save_state(state)
            say(f"  {node.name}: geth pid {started[-1].pid}, rpc {node.rpc_url}, p2p 127.0.0.1:{node.p2p_port}")
        state = state.with_nodes(started, started_at=time.time())
        _save_state(state)
        if state.from_genesis:
            state = _start_sealing_in_turn(state, geth, timeout)
        _wait_ready(state, timeout)
    except BaseException:
        stop_network(state.root_dir, log=None)
        raise
    return state


def _replace_pid(node: NodeInfo, pid: int | None) -> NodeInfo:
    return NodeInfo(**{**node.__dict__, "pid": pid})


def _wait_ready(state: NetworkState, timeout: float) -> None:
    """Until every node answers, has sealed/imported a block and (N >= 2) has N-1 peers."""
    deadline = time.monotonic() + timeout
    want_peers = len(state.nodes) - 1
    waiting_for = "the nodes to answer"
    while True:
        for node in state.nodes:
            assert node.pid is not None
            if not pid_alive(node.pid):
                raise NetworkStartError(
                    f"{node.name} (geth pid {node.pid}) exited while starting; the end of "
                    f"{node.log_file}:\n{_log_tail(node.log_file)}"
                )
        try:
            pending = []
            heads = []
            for node in state.nodes:
                block = _rpc_int(node.rpc_url, "eth_blockNumber", timeout=2.0)
                peers = _rpc_int(node.rpc_url, "net_peerCount", timeout=2.0)
                heads.append(block)
                if block < 1:
                    pending.append(f"{node.name} to seal or import a block")
                if peers < want_peers:
                    pending.append(f"{node.name} to peer ({peers}/{want_peers})")
            if not pending and want_peers and not _same_chain(state.nodes, min(heads)):
                pending.append("the nodes to agree on one chain")
            if not pending:
                return
            waiting_for = ", ".join(pending)
        except NodeError as exc:
            waiting_for = f"the nodes to answer ({exc})"
        if time.monotonic() > deadline:
            tails = "\n".join(f"  {n.name} ({n.log_file}):\n{_log_tail(n.log_file, 8)}" for n in state.nodes)
            raise NetworkStartError(
                f"the local network did not get ready within {timeout:.0f} s: still waiting for "
                f"{waiting_for}\n{tails}"
            )
        time.sleep(0.25)


def _spawn(geth: GethBinary, state: NetworkState, node: NodeInfo) -> NodeInfo:
    """Start ``node``'s geth process (its PID recorded in its PID file); returns it with the PID."""
    with open(node.log_file, "ab") as log_handle:
        log_handle.write(f"\n==> {time.strftime('%Y-%m-%d %H:%M:%S')} starting geth\n".encode())
        log_handle.flush()
        child = subprocess.Popen(
            geth_command(geth, state, node),
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    _CHILDREN[child.pid] = child
    _write_atomic(node.pid_file, f"{child.pid}\n")
    return _replace_pid(node, child.pid)


def _until(deadline: float, what: str, check: Callable[[], bool]) -> None:
    while True:
        try:
            if check():
                return
        except NodeError:
            pass
        if time.monotonic() > deadline:
            raise NetworkStartError(f"the local network did not get ready: still waiting for {what}")
        time.sleep(0.1)


def _start_sealing_in_turn(state: NetworkState, geth: GethBinary, timeout: float) -> NetworkState:
    """Start sealing on a network from a given genesis (its nodes run without ``--mine``).

    Its genesis time may be long past, so every signer could seal its own next block at once, and
    a geth whose head is old counts itself as syncing and drops the blocks its peers propagate; it
    only follows a peer it knows, from the handshake, to be ahead. So: the in-turn signer of the
    next block seals it alone; the other nodes are then restarted, learn at the handshake that it
    is ahead, and fetch the block (geth's chain sync runs at least every 10 s); from then on they
    take part normally and start sealing too.
    """
    deadline = time.monotonic() + timeout
    first = state.nodes[0]
    _until(deadline, "the nodes to answer", lambda: all(
        _rpc_int(n.rpc_url, "eth_blockNumber", timeout=2.0) >= 0 for n in state.nodes
    ))
    head = _rpc_int(first.rpc_url, "eth_blockNumber", timeout=5.0)
    signers = sorted(str(a).lower() for a in rpc_call(first.rpc_url, "clique_getSigners", [], timeout=5.0) or [])
    in_turn = signers[(head + 1) % len(signers)] if signers else ""
    leader = next((n for n in state.nodes if n.signer.lower() == in_turn), None)
    if leader is None:
        raise NetworkStartError(f"no node of this network holds the key of the in-turn signer {in_turn}")
    followers = [n for n in state.nodes if n is not leader]
    for node in followers:
        _stop_one(node)
    # geth unlocks the signer only once it is up: sealing before that fails for good
    _until(deadline, f"{leader.name} to unlock its signer", _unlocked(leader))
    rpc_call(leader.rpc_url, "miner_start", [], timeout=5.0)
    _until(deadline, f"{leader.name} to seal block {head + 1}",
           lambda: _rpc_int(leader.rpc_url, "eth_blockNumber", timeout=2.0) > head)
    restarted = {node.name: _spawn(geth, state, node) for node in followers}
    state = state.with_nodes([restarted.get(n.name, n) for n in state.nodes])
    _save_state(state)
    _until(deadline, f"every node to import block {head + 1}", lambda: min(
        _rpc_int(n.rpc_url, "eth_blockNumber", timeout=2.0) for n in state.nodes
    ) > head and _same_chain(state.nodes, head + 1))
    for node in state.nodes:
        if node.name in restarted:
            _until(deadline, f"{node.name} to unlock its signer", _unlocked(node))
            rpc_call(node.rpc_url, "miner_start", [], timeout=5.0)
    return state


def _unlocked(node: NodeInfo) -> Callable[[], bool]:
    return lambda: rpc_call(node.rpc_url, "eth_sign", [node.signer, "0x00"], timeout=2.0) is not None


def _stop_one(node: NodeInfo, timeout: float = 10.0) -> None:
    """End ``node``'s process (SIGTERM, then SIGKILL) and wait until it is gone."""
    if node.pid is None or not pid_alive(node.pid):
        return
    os.kill(node.pid, signal.SIGTERM)
    _wait_gone(node.pid, timeout)
    if pid_alive(node.pid):
        os.kill(node.pid, signal.SIGKILL)
        _wait_gone(node.pid, 5.0)
    _CHILDREN.pop(node.pid, None)


def _same_chain(nodes: Sequence[NodeInfo], number: int) -> bool:
    """Whether every node has the same block ``number`` (no competing forks left)."""
    hashes = set()
    for node in nodes:
        block = rpc_call(node.rpc_url, "eth_getBlockByNumber", [hex(number), False], timeout=2.0)
        hashes.add(block.get("hash") if isinstance(block, dict) else None)
    return len(hashes) == 1 and None not in hashes


# --------------------------------------------------------------------------------------------
# Status


@dataclass(frozen=True)
class NodeStatus:
    """One node as seen now: its process and what it answers over JSON-RPC."""

    name: str
    rpc_url: str
    pid: int | None
    alive: bool
    signer: str
    block_number: int | None = None
    peer_count: int | None = None
    signers: tuple[str, ...] | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rpcUrl": self.rpc_url,
            "pid": self.pid,
            "alive": self.alive,
            "signer": self.signer,
            "blockNumber": self.block_number,
            "peerCount": self.peer_count,
            "signers": list(self.signers) if self.signers is not None else None,
            "error": self.error,
        }


@dataclass(frozen=True)
class NetworkStatus:
    """A local network's recorded state and each node's live status."""

    state: NetworkState
    nodes: tuple[NodeStatus, ...] = field(default_factory=tuple)

    @property
    def running(self) -> bool:
        """Every node's process is alive."""
        return bool(self.nodes) and all(n.alive for n in self.nodes)

    @property
    def any_alive(self) -> bool:
        return any(n.alive for n in self.nodes)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataDir": str(self.state.root_dir),
            "stateFile": str(self.state.state_file),
            "running": self.running,
            "chainId": self.state.chain_id,
            "period": self.state.period,
            "genesisSigners": list(self.state.signers),
            "devAccounts": list(self.state.dev_accounts),
            "devKeysFile": str(self.state.dev_keys_file),
            "local": self.state.local_entry(),
            "nodes": [n.to_json() for n in self.nodes],
        }


def network_status(root_dir: Path | str | None = None, *, rpc_timeout: float = 3.0) -> NetworkStatus | None:
    """Each recorded node's URL, PID, whether it runs, block number, peer count and the signers it
    knows (``clique_getSigners``); None when ``root_dir`` holds no network."""
    state = load_state(root_dir)
    if state is None:
        return None
    statuses = []
    for node in state.nodes:
        pid = node.pid if node.pid is not None else _read_pid_file(node.pid_file)
        alive = pid is not None and pid_alive(pid) and _is_our_geth(pid, node.data_dir)
        status = NodeStatus(name=node.name, rpc_url=node.rpc_url, pid=pid, alive=alive, signer=node.signer)
        if alive:
            try:
                block = _rpc_int(node.rpc_url, "eth_blockNumber", rpc_timeout)
                peers = _rpc_int(node.rpc_url, "net_peerCount", rpc_timeout)
                signers = rpc_call(node.rpc_url, "clique_getSigners", [], rpc_timeout)
                status = NodeStatus(
                    **{
                        **status.__dict__,
                        "block_number": block,
                        "peer_count": peers,
                        "signers": tuple(str(s).lower() for s in signers or ()),
                    }
                )
            except NodeError as exc:
                status = NodeStatus(**{**status.__dict__, "error": str(exc)})
        statuses.append(status)
    return NetworkStatus(state=state, nodes=tuple(statuses))


# --------------------------------------------------------------------------------------------
# Stop


@dataclass(frozen=True)
class StoppedNode:
    """What :func:`stop_network` did to one node's process."""

    name: str
    pid: int | None
    outcome: str
    """``terminated`` (SIGTERM), ``killed`` (SIGKILL after the timeout), ``not running``, or
    ``not ours`` (the PID now belongs to another program: left alone)."""


def stop_network(
    root_dir: Path | str | None = None,
    *,
    timeout: float = DEFAULT_STOP_TIMEOUT,
    log: Log | None = None,
) -> list[StoppedNode]:
    """End the geth processes of the network in ``root_dir``: exactly the recorded PIDs (state
    file and PID files), SIGTERM first and SIGKILL for any still there after ``timeout`` seconds;
    then remove the PID files. Harmless when nothing runs or no network exists (returns [])."""
    say = log or (lambda _line: None)
    root = _root(root_dir)
    state = load_state(root)
    if state is None:
        nodes_dirs = sorted(p for p in root.glob("node*") if (p / PID_FILE).is_file()) if root.is_dir() else []
        targets = [(p.name, p, _read_pid_file(p / PID_FILE)) for p in nodes_dirs]
    else:
        targets = []
        for node in state.nodes:
            pids = _recorded_pids(node)
            if not pids:
                targets.append((node.name, node.data_dir, None))
            for recorded in pids:
                targets.append((node.name, node.data_dir, recorded))

    results: list[StoppedNode] = []
    signalled: list[tuple[str, int]] = []
    for name, data_dir, pid in targets:
        if pid is None or not pid_alive(pid):
            results.append(StoppedNode(name, pid, "not running"))
        elif not _is_our_geth(pid, data_dir):
            results.append(StoppedNode(name, pid, "not ours"))
            say(f"  {name}: pid {pid} is no longer geth for {data_dir}: left alone")
        else:
            try:
                os.kill(pid, signal.SIGTERM)
                signalled.append((name, pid))
            except ProcessLookupError:
                results.append(StoppedNode(name, pid, "not running"))

    deadline = time.monotonic() + timeout
    remaining = list(signalled)
    while remaining and time.monotonic() < deadline:
        remaining = [(n, p) for n, p in remaining if pid_alive(p)]
        if remaining:
            time.sleep(0.1)
    for name, pid in signalled:
        if (name, pid) in remaining:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _wait_gone(pid, 5.0)
            results.append(StoppedNode(name, pid, "killed"))
            say(f"  {name}: geth pid {pid} did not stop within {timeout:.0f} s: killed")
        else:
            results.append(StoppedNode(name, pid, "terminated"))
            say(f"  {name}: geth pid {pid} stopped")
        _CHILDREN.pop(pid, None)

    for _name, data_dir, _pid in targets:
        (data_dir / PID_FILE).unlink(missing_ok=True)
    if state is not None:
        stopped = [_replace_pid(n, None) for n in state.nodes]
        _save_state(state.with_nodes(stopped, stopped_at=time.time() if signalled else state.stopped_at))
    return results


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _remove_network(root: Path, state: NetworkState | None) -> None:
    """Delete what a network of this tool put in ``root`` (only those files and folders)."""
    node_dirs = [n.data_dir for n in state.nodes] if state is not None else []
    node_dirs += [p for p in root.glob("node*") if p.is_dir() and (p / "geth").is_dir()]
    for path in node_dirs:
        if path.parent == root:
            shutil.rmtree(path, ignore_errors=True)
    for name in (STATE_FILE, GENESIS_FILE, PASSWORD_FILE, DEV_KEYS_FILE):
        (root / name).unlink(missing_ok=True)


@contextmanager
def local_network(
    root_dir: Path | str,
    *,
    signers: int = DEFAULT_SIGNERS,
    chain_id: int = DEFAULT_CHAIN_ID,
    period: int = DEFAULT_PERIOD,
    timeout: float = DEFAULT_START_TIMEOUT,
    log: Log | None = None,
) -> Iterator[NetworkState]:
    """A fresh network in ``root_dir`` for the duration of a ``with`` block; always stopped after."""
    try:
        yield start_network(
            root_dir, signers=signers, chain_id=chain_id, period=period, reset=True, timeout=timeout, log=log
        )
    finally:
        stop_network(root_dir)
