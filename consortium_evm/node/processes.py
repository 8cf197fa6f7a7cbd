"""Processes on this machine: is a PID alive and ours, free ports, the log tail, waiting, stopping
one process. The children this process started are kept in :data:`CHILDREN` so that they are
reaped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from consortium_evm.node.errors import NetworkStartError, NodeError
from consortium_evm.node.state import NodeInfo


Log = Callable[[str], None]


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""geth processes started by this Python process, so that stopping them also reaps them."""


def _proc_state(pid: int) -> str | None:
    """The one-letter state from /proc/<pid>/stat (``Z`` for a zombie), or None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else None


def _reap(pid: int) -> None:
    child = CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            del CHILDREN[pid]
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


def is_our_geth(pid: int, data_dir: Path) -> bool:
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


def read_pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def recorded_pids(node: NodeInfo) -> list[int]:
    """The PIDs recorded for ``node``: in the state file and in its PID file."""
    pids = {node.pid, read_pid_file(node.pid_file)}
    return sorted(p for p in pids if p is not None)


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:]) or "    (empty log)"


def ports_free(ports: Sequence[int]) -> bool:
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


def wait_until(deadline: float, what: str, check: Callable[[], bool]) -> None:
    while True:
        try:
            if check():
                return
        except NodeError:
            pass
        if time.monotonic() > deadline:
            raise NetworkStartError(f"the local network did not get ready: still waiting for {what}")
        time.sleep(0.1)


def stop_one(node: NodeInfo, timeout: float = 10.0) -> None:
    """End ``node``'s process (SIGTERM, then SIGKILL) and wait until it is gone."""
    if node.pid is None or not pid_alive(node.pid):
        return
    os.kill(node.pid, signal.SIGTERM)
    wait_gone(node.pid, timeout)
    if pid_alive(node.pid):
        os.kill(node.pid, signal.SIGKILL)
        wait_gone(node.pid, 5.0)
    CHILDREN.pop(node.pid, None)


def wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
