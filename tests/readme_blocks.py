"""The README's code blocks, each with the name of the test that runs it.

Every fenced block of README.md must follow a ``<!-- readme-test: NAME -->`` line; the tests in
``tests/test_readme.py`` and ``tests/integration/test_readme_quickstart.py`` run each block by
name, and a block without a name (or with a name no test knows) fails ``test_readme.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
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
