"""scripts/client_overhead.py keeps working: run with tiny counts, it starts anvil, deploys, times
every path and prints (and writes) the figures; anvil is gone afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "client_overhead.py"


def test_the_overhead_script_runs_with_small_counts(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--reads", "8", "--transactions", "3", "--json", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reads (8 per path)" in result.stdout and "transactions (3 per path)" in result.stdout
    assert "client overhead" in result.stdout
    figures = json.loads(out.read_text())
    for group, n in (("reads", 8), ("transactions", 3)):
        entry = figures["groups"][group]
        assert set(entry) == {"client", "raw", "raw-same-provider"}
        for path in entry.values():
            assert path["seconds"] > 0 and path["requests_per_op"] >= 1
        assert "client_overhead_pct" in entry["raw"] and "client_overhead_ms_per_op" in entry["raw-same-provider"]
    reads = figures["groups"]["reads"]
    # connect's Web3 asks the chain id once; web3.py's default asks it around every eth_call.
    assert reads["client"]["requests_per_op"] == reads["raw-same-provider"]["requests_per_op"]
    assert reads["client"]["requests_per_op"] * 2 < reads["raw"]["requests_per_op"]
    assert {k: v["n"] for k, v in figures["kinds"].items()} == {
        "members page": 2, "member by account": 2, "transactionAllowed": 2, "proposal state": 2, "add account": 3,
    }
    url = result.stdout.split("anvil at ", 1)[1].split(" ", 1)[0]
    port = int(url.rsplit(":", 1)[1])
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # anvil was stopped


def test_the_overhead_script_refuses_counts_too_small() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--reads", "2"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "at least 4 reads" in result.stderr
