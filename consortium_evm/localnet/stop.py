"""Stopping a local network: exactly the recorded processes (SIGTERM, then SIGKILL); harmless when
nothing runs.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from consortium_evm.node.processes import CHILDREN, Log, is_our_geth, pid_alive, read_pid_file, recorded_pids, wait_gone
from consortium_evm.node.state import PID_FILE, load_state, network_root, replace_pid, save_state


DEFAULT_STOP_TIMEOUT = 15.0


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
    root = network_root(root_dir)
    state = load_state(root)
    if state is None:
        nodes_dirs = sorted(p for p in root.glob("node*") if (p / PID_FILE).is_file()) if root.is_dir() else []
        targets = [(p.name, p, read_pid_file(p / PID_FILE)) for p in nodes_dirs]
    else:
        targets = []
        for node in state.nodes:
            pids = recorded_pids(node)
            if not pids:
                targets.append((node.name, node.data_dir, None))
            for recorded in pids:
                targets.append((node.name, node.data_dir, recorded))

    results: list[StoppedNode] = []
    signalled: list[tuple[str, int]] = []
    for name, data_dir, pid in targets:
        if pid is None or not pid_alive(pid):
            results.append(StoppedNode(name, pid, "not running"))
        elif not is_our_geth(pid, data_dir):
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
            wait_gone(pid, 5.0)
            results.append(StoppedNode(name, pid, "killed"))
            say(f"  {name}: geth pid {pid} did not stop within {timeout:.0f} s: killed")
        else:
            results.append(StoppedNode(name, pid, "terminated"))
            say(f"  {name}: geth pid {pid} stopped")
        CHILDREN.pop(pid, None)

    for _name, data_dir, _pid in targets:
        (data_dir / PID_FILE).unlink(missing_ok=True)
    if state is not None:
        stopped = [replace_pid(n, None) for n in state.nodes]
        save_state(state.with_nodes(stopped, stopped_at=time.time() if signalled else state.stopped_at))
    return results
