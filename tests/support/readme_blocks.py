"""The README's code blocks, each with the name of the test that runs it.

Every fenced block of README.md must follow a ``<!-- readme-test: NAME -->`` line; the tests in
``tests/unit/test_readme.py`` and ``tests/integration/test_readme_quickstart.py`` run each block by
name, and a block without a name (or with a name no test knows) fails ``test_readme.py``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(?:<!-- readme-test: (?P<name>[\w-]+) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)\n```", re.S)


@dataclass(frozen=True)
class Block:
    name: str | None
    lang: str
    code: str
    line: int


def readme_blocks(path: Path = README) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    return [
        Block(m.group("name"), m.group("lang"), m.group("code"), text.count("\n", 0, m.start()) + 1)
        for m in _BLOCK.finditer(text)
    ]


def block(name: str) -> Block:
    (found,) = [b for b in readme_blocks() if b.name == name]
    return found


@contextmanager
def scratch_project(folder: Path, files: Sequence[str], geth_path: Path) -> Iterator[dict[str, str]]:
    """A folder a README block runs in as a new user's project: copies of ``files`` (files or
    folders of the project), a link to the project's .venv, and an environment whose local network
    lives in ``folder/nodes`` (stopped by PID on the way out, whatever happened)."""
    from consortium_evm.localnet.stop import stop_network
    from consortium_evm.node.state import NODES_DIR_ENV

    root = README.parent
    for name in files:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copy(source, folder / name)
    (folder / ".venv").symlink_to(root / ".venv")
    nodes = folder / "nodes"
    env = {**os.environ, NODES_DIR_ENV: str(nodes), "GETH_BINARY": str(geth_path), "PYTHONUNBUFFERED": "1"}
    env.pop("CONSORTIUM_NETWORK", None)
    env.pop("CONSORTIUM_ACCOUNT", None)
    try:
        yield env
    finally:
        stop_network(nodes, timeout=10)


def run_shell(code: str, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    """Run a shell block with bash -euo pipefail; its stdout, or a failed assertion showing both streams."""
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"{code}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    return result.stdout
