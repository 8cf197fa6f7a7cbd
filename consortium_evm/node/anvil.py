"""Anvil (Foundry's dev node, from the npm package ``@foundry-rs/anvil-linux-amd64``), started on
127.0.0.1 on a free port, for integration tests and quick local runs.

Its ten dev accounts come from the well-known test mnemonic: :func:`anvil_accounts` gives them as
signing accounts. Never fund anything real with these keys.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from consortium_evm.compiler import find_project_root
from consortium_evm.domain.devkeys import DEV_MNEMONIC, dev_accounts
from consortium_evm.node.errors import NodeError
from consortium_evm.node.geth import project_roots

ANVIL_CHAIN_ID = 31337
TEST_MNEMONIC = DEV_MNEMONIC
"""Anvil's default mnemonic: public knowledge, for development only."""


def find_anvil() -> Path:
    """``ANVIL_BINARY``, the npm anvil of the project above the current directory or of the project
    this package is installed from (an editable install), then ``anvil`` on PATH."""
    explicit = os.environ.get("ANVIL_BINARY")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise NodeError(f"ANVIL_BINARY={explicit} does not exist")
        return path
    roots = list(project_roots())
    try:
        roots.insert(0, find_project_root())
    except Exception:  # noqa: BLE001 - not inside the project
        pass
    for root in roots:
        local = root / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
        if local.is_file():
            return local
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise NodeError("anvil not found: run `npm ci` in the project (it installs @foundry-rs/anvil-linux-amd64)")


def anvil_accounts(count: int = 10) -> list[LocalAccount]:
    """Anvil's dev accounts (funded with 10,000 ether each on a fresh anvil): the development
    mnemonic's first ``count`` (:mod:`consortium_evm.domain.devkeys`)."""
    return dev_accounts(count)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AnvilNode:
    """A running anvil process."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    chain_id: int

    def stop(self) -> None:
        """End the process (by its PID), waiting for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_anvil(
    *,
    hardfork: str = "london",
    chain_id: int = ANVIL_CHAIN_ID,
    block_time: float | None = None,
    no_mining: bool = False,
    extra_args: tuple[str, ...] = (),
    log: Path | None = None,
) -> AnvilNode:
    """Start anvil on 127.0.0.1 on a free port and wait until it answers."""
    port = _free_port()
    args = [str(find_anvil()), "--host", "127.0.0.1", "--port", str(port), "--hardfork", hardfork,
            "--chain-id", str(chain_id), *extra_args]
    if block_time is not None:
        args += ["--block-time", str(block_time)]
    if no_mining:
        args += ["--no-mining"]
    out = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - owned by the process
    process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    node = AnvilNode(process, f"http://127.0.0.1:{port}", port, chain_id)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NodeError(f"anvil exited at start with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return node
        except OSError:
            time.sleep(0.05)
    node.stop()
    raise NodeError(f"anvil did not answer on port {port} within 20 s")
