"""A real local Clique network of geth 1.13 signers, started and stopped by the library and the CLI.

The tests marked ``integration`` need geth 1.13 (``bash scripts/install_geth.sh``, run by ./dev) and
are skipped with the reason without it. Networks use 1 s blocks and are stopped in teardown.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3

from consortium_evm.cli.node import node_group
from consortium_evm.localnet.start import start_network
from consortium_evm.localnet.status import network_status
from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.errors import GethNotFoundError, GethVersionError, NetworkStartError, NodeError
from consortium_evm.node.geth import GethBinary, find_geth
from consortium_evm.node.processes import pid_alive
from consortium_evm.node.rpc import clique_web3, rpc_call
from consortium_evm.node.state import NetworkState, load_dev_accounts, load_state

from tests.support.localnet import TEST_CHAIN_ID, StartNetwork


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


def _w3(url: str) -> Web3:
    return clique_web3(url)


def _transfer(w3: Web3, private_key: str, to: str, value: int, chain_id: int) -> HexBytes:
    sender = Account.from_key(private_key)
    tx = {
        "type": 2,
        "chainId": chain_id,
        "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
        "to": to,
        "value": value,
        "gas": 21_000,
        "maxPriorityFeePerGas": Web3.to_wei(1, "gwei"),
        "maxFeePerGas": Web3.to_wei(5, "gwei"),
    }
    signed = sender.sign_transaction(tx)
    return w3.eth.send_raw_transaction(signed.raw_transaction)


# ----------------------------------------------------------------------------------------------
# Finding geth (no geth needed)


def test_geth_binary_pointing_nowhere_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GETH_BINARY", str(tmp_path / "nope"))
    with pytest.raises(GethNotFoundError, match=r"does not exist.*bash scripts/install_geth\.sh.*GETH_BINARY"):
        find_geth()


def test_geth_of_another_series_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "geth"
    fake.write_text("#!/bin/sh\necho Geth\necho 'Version: 1.14.11-stable'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GETH_BINARY", str(fake))
    with pytest.raises(GethVersionError, match=rf"{fake} \(from GETH_BINARY\) is geth 1\.14\.11-stable"):
        find_geth()


def test_a_program_that_is_not_geth_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "geth"
    fake.write_text("#!/bin/sh\necho hello\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GETH_BINARY", str(fake))
    with pytest.raises(NodeError, match="does not look like geth"):
        find_geth()


def test_status_and_stop_of_a_folder_without_a_network(tmp_path: Path) -> None:
    assert network_status(tmp_path) is None
    assert stop_network(tmp_path) == []
    result = CliRunner().invoke(node_group, ["status", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "no local network" in result.output
    result = CliRunner().invoke(node_group, ["stop", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "no local network running" in result.output


def _fake_geth(tmp_path: Path, behaviour: str) -> Path:
    """A script that answers `version` like geth 1.13.15 and `init` with success, then does
    ``behaviour`` when started as a node."""
    fake = tmp_path / "fake-geth"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then echo Geth; echo "Version: 1.13.15-stable"; exit 0; fi\n'
        'if [ "$1" = init ]; then exit 0; fi\n'
        f"{behaviour}\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


def test_a_node_that_dies_fails_the_start_with_its_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GETH_BINARY", str(_fake_geth(tmp_path, 'echo "Fatal: boom at start" >&2; exit 1')))
    with pytest.raises(NetworkStartError, match=r"(?s)node1 \(geth pid \d+\) exited while starting.*Fatal: boom"):
        start_network(tmp_path / "net", signers=2, timeout=20, log=None)
    state = load_state(tmp_path / "net")
    assert state is not None and all(n.pid is None and not n.pid_file.exists() for n in state.nodes)


def test_a_node_that_never_answers_is_stopped_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GETH_BINARY", str(_fake_geth(tmp_path, "while true; do sleep 0.1; done")))
    started = time.monotonic()
    with pytest.raises(NetworkStartError, match="did not get ready within 2 s: still waiting for the nodes to answer"):
        start_network(tmp_path / "net", signers=1, timeout=2, log=None)
    assert time.monotonic() - started < 15
    state = load_state(tmp_path / "net")
    assert state is not None and state.nodes[0].pid is None
    assert not any(p.name == "geth.pid" for p in (tmp_path / "net").rglob("*"))
    # The fake node's process is gone: no shell runs with that data folder any more.
    data_dir = str(state.nodes[0].data_dir)
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        assert data_dir.encode() not in args, f"pid {proc.name} still runs with {data_dir}"


# ----------------------------------------------------------------------------------------------
# One signer


@pytest.mark.integration
def test_one_signer_seals_blocks_and_mines_a_transfer(one_signer: NetworkState, geth: GethBinary) -> None:
    w3 = _w3(one_signer.rpc_url)
    assert w3.eth.chain_id == TEST_CHAIN_ID
    assert one_signer.geth_version.startswith("1.13.")
    start = w3.eth.block_number
    _wait(lambda: w3.eth.block_number >= start + 2, 10, "two more sealed blocks")
    block = w3.eth.get_block("latest")
    assert block["difficulty"] in (1, 2)  # Clique: 2 in turn, 1 out of turn
    assert [s.lower() for s in rpc_call(one_signer.rpc_url, "clique_getSigners")] == list(one_signer.signers)

    dev = load_dev_accounts(one_signer.root_dir)
    assert [a.address for a in dev] == list(one_signer.dev_accounts) and len(dev) == 5
    recipient = Account.create().address
    tx_hash = _transfer(w3, dev[0].private_key, recipient, 12_345, one_signer.chain_id)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.2)
    assert receipt["status"] == 1
    assert receipt["gasUsed"] == 21_000
    assert w3.eth.get_balance(recipient) == 12_345


@pytest.mark.integration
def test_one_signer_state_file_and_status(one_signer: NetworkState) -> None:
    data = json.loads(one_signer.state_file.read_text())
    assert data["local"]["rpcUrl"] == one_signer.rpc_url == one_signer.nodes[0].rpc_url
    assert data["local"]["chainId"] == TEST_CHAIN_ID and data["local"]["running"] is True
    assert data["chainId"] == TEST_CHAIN_ID and data["signers"] == list(one_signer.signers)
    node = data["nodes"][0]
    assert node["rpcUrl"].startswith("http://127.0.0.1:") and node["pid"] == one_signer.nodes[0].pid
    assert Path(node["pidFile"]).read_text().strip() == str(node["pid"])
    assert os.stat(one_signer.dev_keys_file).st_mode & 0o077 == 0  # keys readable by the owner only

    status = network_status(one_signer.root_dir)
    assert status is not None and status.running
    (only,) = status.nodes
    assert only.alive and only.block_number is not None and only.block_number > 0
    assert only.peer_count == 0 and only.signers == one_signer.signers

    # Everything listens on the loopback only.
    listening = _listening_ports(one_signer.nodes[0].pid)
    if listening is not None:
        assert listening, "geth listens on nothing?"
        assert all(host == "127.0.0.1" for host, _port in listening), listening
        ports = {port for _host, port in listening}
        n = one_signer.nodes[0]
        assert {n.http_port, n.p2p_port, n.authrpc_port} <= ports

    with pytest.raises(NodeError, match="already running"):
        start_network(one_signer.root_dir, log=None)


@pytest.mark.integration
def test_node_status_cli(one_signer: NetworkState) -> None:
    runner = CliRunner()
    result = runner.invoke(node_group, ["status", "--data-dir", str(one_signer.root_dir)])
    assert result.exit_code == 0, result.output
    assert "running" in result.output and one_signer.rpc_url in result.output
    assert f"pid {one_signer.nodes[0].pid}" in result.output and "block " in result.output
    assert one_signer.signers[0] in result.output

    result = runner.invoke(node_group, ["status", "--json", "--data-dir", str(one_signer.root_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["running"] is True and data["chainId"] == TEST_CHAIN_ID
    assert data["nodes"][0]["alive"] is True and data["nodes"][0]["blockNumber"] > 0
    assert data["nodes"][0]["signers"] == list(one_signer.signers)


# ----------------------------------------------------------------------------------------------
# Two signers


@pytest.mark.integration
def test_two_signers_peer_seal_and_share_transactions(two_signers: NetworkState) -> None:
    node1, node2 = two_signers.nodes
    w1, w2 = _w3(node1.rpc_url), _w3(node2.rpc_url)
    assert w1.net.peer_count == 1 and w2.net.peer_count == 1
    expected = sorted(n.signer.lower() for n in two_signers.nodes)
    for url in (node1.rpc_url, node2.rpc_url):
        assert [s.lower() for s in rpc_call(url, "clique_getSigners")] == expected

    b1, b2 = w1.eth.block_number, w2.eth.block_number
    _wait(lambda: w1.eth.block_number >= b1 + 3 and w2.eth.block_number >= b2 + 3, 20, "blocks on both nodes")
    # Both signers take turns: blocks sealed by each of them are on the common chain.
    head = w1.eth.block_number
    sealers = {rpc_call(node1.rpc_url, "clique_getSigner", [hex(n)]).lower() for n in range(max(1, head - 5), head + 1)}
    assert sealers == set(expected)

    dev = load_dev_accounts(two_signers.root_dir)
    recipient = Account.create().address
    tx_hash = _transfer(w2, dev[1].private_key, recipient, 777, two_signers.chain_id)
    receipt = w2.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.2)
    assert receipt["status"] == 1

    def seen_on_node1() -> bool:
        try:
            return bool(w1.eth.get_transaction_receipt(tx_hash)["status"] == 1)
        except Exception:  # TransactionNotFound until node 1 imports the block
            return False

    _wait(seen_on_node1, 15, "the transaction on node 1")
    _wait(lambda: w1.eth.get_balance(recipient) == 777, 10, "the balance on node 1")
    # The same chain on both: the block holding the transfer has the same hash on each node.
    _wait(
        lambda: w1.eth.get_transaction_receipt(tx_hash)["blockHash"]
        == w2.eth.get_transaction_receipt(tx_hash)["blockHash"],
        10,
        "both nodes to agree on the block",
    )

    status = network_status(two_signers.root_dir)
    assert status is not None and status.running
    assert [n.peer_count for n in status.nodes] == [1, 1]
    assert all(n.signers == tuple(expected) for n in status.nodes)


# ----------------------------------------------------------------------------------------------
# Stop, resume and the CLI end to end


@pytest.mark.integration
def test_cli_start_stop_resume(geth: GethBinary, tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "net"
    try:
        result = runner.invoke(
            node_group,
            ["start", "--signers", "1", "--chain-id", "4242", "--period", "1", "--data-dir", str(data_dir)],
        )
        assert result.exit_code == 0, result.output
        assert "local Clique network running" in result.output and "development keys" in result.output
        state = load_state(data_dir)
        assert state is not None and state.chain_id == 4242
        pids = [n.pid for n in state.nodes]
        assert all(p is not None and pid_alive(p) for p in pids)
        head = _w3(state.rpc_url).eth.block_number

        result = runner.invoke(node_group, ["stop", "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        assert "stopped 1 geth process" in result.output
        assert not any(p is not None and pid_alive(p) for p in pids), "the geth processes are gone"
        assert not any(n.pid_file.exists() for n in state.nodes)
        stopped = load_state(data_dir)
        assert stopped is not None and all(n.pid is None for n in stopped.nodes)
        assert json.loads(stopped.state_file.read_text())["local"]["running"] is False

        # A second stop is harmless.
        result = runner.invoke(node_group, ["stop", "--data-dir", str(data_dir)])
        assert result.exit_code == 0 and "no local network running" in result.output
        status = runner.invoke(node_group, ["status", "--data-dir", str(data_dir)])
        assert status.exit_code == 0 and "stopped" in status.output and "not running" in status.output

        # Other settings for a stopped network need --reset; without options it resumes its chain.
        result = runner.invoke(node_group, ["start", "--chain-id", "5", "--data-dir", str(data_dir)])
        assert result.exit_code == 3 and "--reset" in result.output
        result = runner.invoke(node_group, ["start", "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        resumed = load_state(data_dir)
        assert resumed is not None and resumed.signers == state.signers
        assert resumed.rpc_url == state.rpc_url, "a resumed network keeps its free ports"
        assert _w3(resumed.rpc_url).eth.block_number >= head
    finally:
        stop_network(data_dir)


@pytest.mark.integration
def test_stop_ends_the_processes_and_is_harmless_twice(network_factory: StartNetwork) -> None:
    state = network_factory(signers=2)
    pids = [n.pid for n in state.nodes]
    assert all(p is not None and pid_alive(p) for p in pids)
    first = stop_network(state.root_dir)
    assert sorted(r.outcome for r in first) == ["terminated", "terminated"]
    assert not any(p is not None and pid_alive(p) for p in pids)
    assert all(r.outcome == "not running" for r in stop_network(state.root_dir))
    status = network_status(state.root_dir)
    assert status is not None and not status.any_alive


def _listening_ports(pid: int | None) -> list[tuple[str, int]] | None:
    """(host, port) of the TCP sockets process ``pid`` listens on, from /proc; None off Linux."""
    if pid is None or not Path(f"/proc/{pid}/fd").is_dir():
        return None
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A = LISTEN
                continue
            host_hex, port_hex = fields[1].split(":")
            if len(host_hex) == 8:
                host = ".".join(str(b) for b in reversed(bytes.fromhex(host_hex)))
            else:
                host = "ipv6:" + host_hex
            found.append((host, int(port_hex, 16)))
    return found
