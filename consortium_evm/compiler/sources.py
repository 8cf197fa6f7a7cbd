"""Collect every Solidity source a build needs, resolving imports in Python.

Every ``*.sol`` under ``<root>/contracts`` is a source unit named by its path from the root
(``contracts/registry/MemberRegistry.sol``). Imports are followed recursively:

* ``./x.sol`` / ``../x.sol`` are relative to the importing unit's name (Solidity's own rule);
* any other path is used verbatim as the unit name (``@openzeppelin/contracts/access/Ownable.sol``)
  and is looked up under ``<root>/node_modules/`` when it starts with ``@``, otherwise under
  ``<root>/`` first and ``<root>/node_modules/`` second.

All of them are handed to solc as ``content``, so no compiler needs an import callback or
``--allow-paths``, and :meth:`SourceSet.source_hash` covers exactly what is compiled.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from consortium_evm.compiler.project import CONTRACTS_DIR
from consortium_evm.errors import CompilerError

# Comments and string literals are matched first so that an ``import`` inside either is skipped.
_SCAN = re.compile(
    r"""//[^\n]*"""
    r"""|/\*.*?(?:\*/|\Z)"""
    r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
    r"""|(?<![\w$])import(?![\w$])""",
    re.S,
)


@dataclass(frozen=True)
class ImportDirective:
    """One ``import`` statement: the path as written and where it starts in its file."""

    path: str
    offset: int


@dataclass(frozen=True)
class SourceSet:
    """All source units of one build, by unit name, in sorted order."""

    root: Path
    contents: dict[str, str]
    files: dict[str, Path]
    project_units: tuple[str, ...]

    def source_hash(self) -> str:
        """sha256 over all (unit name, content) pairs, sorted by name."""
        pairs = sorted(self.contents.items())
        return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8")).hexdigest()

    def standard_json_sources(self) -> dict[str, dict[str, str]]:
        """The ``sources`` member of a standard-JSON input."""
        return {name: {"content": text} for name, text in sorted(self.contents.items())}


def find_imports(text: str) -> list[ImportDirective]:
    """Every ``import`` directive of a Solidity source, in order.

    Handles ``import "p";``, ``import "p" as X;``, ``import * as X from "p";`` and
    ``import {A, B as C} from "p";``, ignoring anything inside comments and string literals.
    """
    found: list[ImportDirective] = []
    pending: int | None = None  # offset of an ``import`` keyword still waiting for its path
    for match in _SCAN.finditer(text):
        token = match.group()
        if token == "import":
            pending = match.start()
        elif token[0] in "\"'" and pending is not None:
            between = _strip_comments(text[pending : match.start()])
            if ";" not in between:
                found.append(ImportDirective(_unescape(token[1:-1]), pending))
            pending = None
    return found


def line_column(text: str, offset: int, *, byte_offset: bool = False) -> tuple[int, int]:
    """1-based line and column (in characters) of ``offset`` in ``text``.

    ``byte_offset`` means ``offset`` counts UTF-8 bytes, as solc's source locations do.
    """
    if byte_offset:
        raw = text.encode("utf-8")
        offset = len(raw[: max(0, offset)].decode("utf-8", errors="replace"))
    prefix = text[:offset]
    line = prefix.count("\n") + 1
    column = offset - (prefix.rfind("\n") + 1) + 1
    return line, column


def resolve_import(importer: str, path: str) -> str:
    """The source unit name that ``import "path"`` in unit ``importer`` refers to."""
    if path.startswith(("./", "../")):
        name = posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
    else:
        name = path
    if name.startswith("/") or ".." in name.split("/") or "\\" in name or not name:
        raise ValueError(f"import path {path!r} escapes the project")
    return name


def locate_unit(root: Path, name: str) -> Path | None:
    """The file holding source unit ``name``, or ``None``."""
    node_modules = root / "node_modules" / name
    candidates = [node_modules] if name.startswith("@") else [root / name, node_modules]
    return next((c for c in candidates if c.is_file()), None)


def collect_sources(root: Path, contracts_dir: Path | None = None) -> SourceSet:
    """Read every ``.sol`` file under ``<root>/contracts`` (or ``contracts_dir``, a folder inside
    ``root``) and everything they import."""
    contracts = root / CONTRACTS_DIR if contracts_dir is None else contracts_dir.resolve()
    project_files = sorted(p for p in contracts.rglob("*.sol") if p.is_file())
    if not project_files:
        raise CompilerError(f"no .sol files under {contracts}")
    project_units = tuple(p.relative_to(root).as_posix() for p in project_files)

    contents: dict[str, str] = {}
    files: dict[str, Path] = {}
    queue: list[tuple[str, Path]] = list(zip(project_units, project_files))
    while queue:
        name, file = queue.pop()
        if name in contents:
            continue
        text = _read(file)
        contents[name] = text
        files[name] = file
        for directive in find_imports(text):
            where = "{}:{}:{}".format(name, *line_column(text, directive.offset))
            try:
                target = resolve_import(name, directive.path)
            except ValueError as exc:
                raise CompilerError(f"{where}: ImportError: {exc}") from None
            if target in contents:
                continue
            located = locate_unit(root, target)
            if located is None:
                hint = " (run `npm ci` in the project)" if target.startswith("@") else ""
                raise CompilerError(
                    f'{where}: ImportError: cannot find "{directive.path}" (source unit {target}; '
                    f"looked under {root} and {root / 'node_modules'}){hint}"
                )
            queue.append((target, located))
    ordered = sorted(contents)
    return SourceSet(
        root=root,
        contents={n: contents[n] for n in ordered},
        files={n: files[n] for n in ordered},
        project_units=project_units,
    )


def _read(file: Path) -> str:
    try:
        return file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CompilerError(f"cannot read {file}: {exc}") from None


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?(?:\*/|\Z)", " ", text, flags=re.S)


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal)
