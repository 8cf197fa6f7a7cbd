"""Test support: a real Clef 1.13.15 on 127.0.0.1 (a free port), set up without a person.

What works non-interactively (measured with Clef 1.13.15): every password is read from stdin when
stdin is not a terminal ("Unsupported terminal, password will be echoed"), so

1. ``clef --configdir D --suppress-bootwarn --lightkdf init`` reads the master password twice;
2. ``clef --keystore K --configdir D --suppress-bootwarn --lightkdf setpw ADDRESS`` reads the
   account's keystore password twice, then the master password;
3. ``clef --configdir D --suppress-bootwarn attest SHA256`` reads the master password and records
   the rules file's hash (Clef runs only attested rules);
4. ``clef --keystore K --configdir D --chainid N --http --http.addr 127.0.0.1 --http.port P
   --rules rules.js --nousb --ipcdisable --suppress-bootwarn --lightkdf`` reads the master password
   from stdin at start; from then on the rules approve or reject, and the stored password unlocks
   the key. Clef stops on SIGINT (stopped here by its PID).

``--stdio-ui`` is not needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.support.rpc_stub import free_port

CLEF_VERSION = "1.13.15"
MASTER_PASSWORD = "clef-master-password"  # a test's throw-away Clef configuration
KEYSTORE_PASSWORD = "clef-keystore-password"

APPROVE_ZERO_VALUE = """
// Approve listing accounts and signing typed data; approve a transaction unless it moves ether.
function ApproveListing() { return "Approve" }
function ApproveSignData(request) { return "Approve" }
function ApproveTx(request) {
  if (request.transaction.value !== "0x0") { return "Reject" }
  return "Approve"
}
"""
"""The rules the tests run Clef with: a transaction with a value is refused ("request denied")."""


def find_clef() -> Path | None:
    """``$CLEF_BINARY``, else ``.tools/bin/clef`` (scripts/install_geth.sh builds it), if it reports
    1.13.15; else None."""
    root = Path(__file__).resolve().parents[2]
    candidates = [Path(os.environ["CLEF_BINARY"])] if os.environ.get("CLEF_BINARY") else []
    candidates.append(root / ".tools" / "bin" / "clef")
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
            if CLEF_VERSION in out:
                return path
    return None


@dataclass
class Clef:
    """A running Clef: its URL, the accounts it holds, its process."""

    url: str
    accounts: list[str]
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdin is not None:
            self.process.stdin.close()


def _run(binary: Path, args: list[str], stdin: str, cwd: Path) -> None:
    done = subprocess.run([str(binary), *args], input=stdin.encode(), capture_output=True, cwd=cwd, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"clef {args[-2:]} failed: {done.stdout.decode()[-500:]} {done.stderr.decode()[-500:]}")


def start_clef(binary: Path, root: Path, keys: list[LocalAccount], chain_id: int, rules: str = APPROVE_ZERO_VALUE) -> Clef:
    """A Clef holding ``keys`` (keystores with stored passwords), signing for ``chain_id`` under
    ``rules`` (attested), on a free port of 127.0.0.1; ready when it answers account_list."""
    keystore, config = root / "keystore", root / "config"
    keystore.mkdir(parents=True)
    common = ["--configdir", str(config), "--suppress-bootwarn", "--lightkdf"]
    _run(binary, [*common, "init"], f"{MASTER_PASSWORD}\n{MASTER_PASSWORD}\n", root)
    for key in keys:
        data = Account.encrypt(key.key, KEYSTORE_PASSWORD, kdf="scrypt", iterations=2**12)
        (keystore / f"{key.address}.json").write_text(json.dumps(data))
        _run(binary, ["--keystore", str(keystore), *common, "setpw", key.address],
             f"{KEYSTORE_PASSWORD}\n{KEYSTORE_PASSWORD}\n{MASTER_PASSWORD}\n", root)
    rules_file = root / "rules.js"
    rules_file.write_text(rules)
    _run(binary, [*common, "attest", hashlib.sha256(rules.encode()).hexdigest()], f"{MASTER_PASSWORD}\n", root)
    port = free_port()
    log = root / "clef.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "--keystore", str(keystore), *common, "--chainid", str(chain_id), "--http",
             "--http.addr", "127.0.0.1", "--http.port", str(port), "--rules", str(rules_file), "--nousb",
             "--ipcdisable"],
            stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, cwd=root,
        )
    assert process.stdin is not None
    process.stdin.write(f"{MASTER_PASSWORD}\n".encode())
    process.stdin.flush()  # kept open: Clef reads nothing more while its rules decide
    clef = Clef(f"http://127.0.0.1:{port}", [k.address for k in keys], process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"clef exited: {log.read_text()[-2000:]}")
        try:
            answer = requests.post(clef.url, json={"jsonrpc": "2.0", "id": 1, "method": "account_list", "params": []},
                                   timeout=2).json()
            if answer.get("result") is not None:
                if "Rule engine configured" not in log.read_text():
                    clef.stop()
                    raise RuntimeError(f"clef runs without its rules: {log.read_text()[-2000:]}")
                return clef
        except requests.RequestException:
            pass
        time.sleep(0.2)
    clef.stop()
    raise RuntimeError(f"clef did not answer within 30 s: {log.read_text()[-2000:]}")
