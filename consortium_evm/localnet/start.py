"""Creating a local network (a new one, or one from a given genesis and keys) and starting it, or
resuming a stopped one with its chain; :func:`local_network` for a ``with`` block.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_keys.datatypes import PrivateKey

from consortium_evm.errors import ConfigError
from consortium_evm.genesis.clique import DEFAULT_EPOCH, clique_genesis, clique_signers_from_extra_data, sorted_signers
from consortium_evm.localnet.launch import DEFAULT_START_TIMEOUT, launch
from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.anvil import anvil_accounts
from consortium_evm.node.errors import NetworkStartError, NodeError
from consortium_evm.node.geth import GethBinary, find_geth
from consortium_evm.node.processes import Log, is_our_geth, pid_alive, recorded_pids, stderr_log
from consortium_evm.node.state import (
    DEV_KEYS_FILE,
    GENESIS_FILE,
    PASSWORD_FILE,
    STATE_FILE,
    NetworkState,
    NodeInfo,
    load_state,
    network_root,
    remove_network,
    save_state,
)
from consortium_evm.util.atomic import write_text_atomic as _write_atomic


DEFAULT_CHAIN_ID = 1337

DEFAULT_SIGNERS = 1

DEFAULT_PERIOD = 1

MAX_SIGNERS = 16

DEV_ACCOUNT_COUNT = 5


DEV_BALANCE = 1_000_000 * 10**18
"""Each dev account starts with one million ether."""


SIGNER_BALANCE = 1_000 * 10**18


KEYSTORE_SCRYPT_N = 4096
"""A light scrypt work factor (geth's own "light" setting): these are throw-away dev keystores,
and the standard 2^18 would make every start and unlock take seconds."""


def start_network(
    root_dir: Path | str | None = None,
    *,
    signers: int | None = None,
    chain_id: int | None = None,
    period: int | None = None,
    evm_version: str = "london",
    reset: bool = False,
    timeout: float = DEFAULT_START_TIMEOUT,
    log: Log | None = stderr_log,
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
    root = network_root(root_dir)
    geth = find_geth()
    state = load_state(root)

    if state is not None:
        running = [
            (n.name, pid)
            for n in state.nodes
            for pid in recorded_pids(n)
            if pid_alive(pid) and is_our_geth(pid, n.data_dir)
        ]
        if running:
            raise NodeError(
                f"a local network is already running in {root} "
                f"({', '.join(f'{name} pid {pid}' for name, pid in running)}): "
                "run `consortium-evm node stop` first (or `node status` to see it)"
            )
        if reset:
            remove_network(root, state)
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
        remove_network(root, None)

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

    return launch(state, geth, timeout=timeout, say=say)


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
    save_state(state)
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
    save_state(state)
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
