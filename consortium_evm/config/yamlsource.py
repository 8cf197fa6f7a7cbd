"""YAML with line numbers: load a file, remember where every key is, expand ``${VAR}``, and turn
pydantic's validation errors into one :class:`~consortium_evm.errors.ConfigError` that names the
file, the line and the key path (``networks.yaml:7: networks.local.chain_id: ...``).

The document is composed into PyYAML's node tree with :class:`yaml.SafeLoader` (so only plain data
is ever built), then constructed; a walk of the node tree maps each key path to its line. A key path
is a tuple of mapping keys and sequence indexes, as pydantic's error ``loc`` is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from consortium_evm.errors import ConfigError

KeyPath = tuple[str | int, ...]
"""The path of a value in a document: mapping keys and sequence indexes, from the root."""

MAX_REPORTED_ERRORS = 10
"""At most this many validation problems are listed in one ConfigError."""


@dataclass(frozen=True)
class SourcedDocument:
    """A loaded YAML document with the line (1-based) of every key path in it."""

    path: Path
    display: str
    """The file as it is named in messages (as given by the caller)."""
    data: Any
    lines: dict[KeyPath, int]

    def line_of(self, key_path: Sequence[Any]) -> int:
        """The line of ``key_path``, or of its nearest ancestor that is in the file (1 at worst)."""
        probe: KeyPath = tuple(key_path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)

    def where(self, key_path: Sequence[Any]) -> str:
        """``file:line: key.path`` for a message (the key path is left out for the root)."""
        located = f"{self.display}:{self.line_of(key_path)}"
        return f"{located}: {dotted(key_path)}" if key_path else located

    def error(self, key_path: Sequence[Any], message: str) -> ConfigError:
        """A ConfigError located at ``key_path``."""
        return ConfigError(f"{self.where(key_path)}: {message}")


def dotted(key_path: Iterable[Any]) -> str:
    """``('networks', 'local', 'accounts', 0)`` → ``networks.local.accounts[0]``."""
    shown = ""
    for part in key_path:
        if isinstance(part, int):
            shown += f"[{part}]"
        else:
            shown += f".{part}" if shown else str(part)
    return shown


def load_yaml(path: str | Path) -> SourcedDocument:
    """Read and parse ``path``; a missing file or malformed YAML raises ConfigError with its line."""
    display = str(path)
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{display}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read the file: {exc}") from exc
    return parse_yaml(text, file, display)


def parse_yaml(text: str, path: str | Path = "<string>", display: str | None = None) -> SourcedDocument:
    """Parse ``text`` as one YAML document (see :func:`load_yaml`)."""
    shown = display if display is not None else str(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return SourcedDocument(Path(path), shown, None, {(): 1})
        _check_duplicate_keys(node, (), shown)
        data = loader.construct_document(node)
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        _map_lines(loader, node, (), lines, set())
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_yaml_error_message(shown, exc)) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown}: invalid YAML: {exc}") from exc
    finally:
        loader.dispose()
    return SourcedDocument(Path(path), shown, data, lines)


def _yaml_error_message(display: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    problem = exc.problem or "malformed document"
    context = ""
    if exc.context:
        started = exc.context_mark
        since = f" that starts on line {started.line + 1}" if started is not None and started.line + 1 != line else ""
        context = f" ({exc.context}{since})"
    column = f", column {mark.column + 1}" if mark is not None else ""
    return f"{display}:{line}: invalid YAML{column}: {problem}{context}"


def _scalar_key(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return None


def _check_duplicate_keys(node: yaml.Node, path: KeyPath, display: str, seen: set[int] | None = None) -> None:
    """PyYAML keeps the last of two equal keys silently; a configuration must not."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = _scalar_key(key_node)
            if key is not None and key_node.tag != "tag:yaml.org,2002:merge":
                if key in keys:
                    where = dotted((*path, key))
                    raise ConfigError(
                        f"{display}:{key_node.start_mark.line + 1}: {where}: duplicate key "
                        f"(first defined on line {keys[key]})"
                    )
                keys[key] = key_node.start_mark.line + 1
            _check_duplicate_keys(value_node, (*path, key if key is not None else "?"), display, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_duplicate_keys(item, (*path, index), display, seen)


def _map_lines(
    loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], active: set[int]
) -> None:
    if id(node) in active:  # a recursive alias: stop rather than loop
        return
    active = active | {id(node)}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = _constructed_key(loader, key_node)
            child = (*path, key)
            lines.setdefault(child, key_node.start_mark.line + 1)
            _map_lines(loader, value_node, child, lines, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines.setdefault(child, item.start_mark.line + 1)
            _map_lines(loader, item, child, lines, active)


def _constructed_key(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """The key as the constructed data has it (``1: x`` has the int key 1, ``a: x`` the str 'a')."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError:
        return node.value


# -- ${VAR} expansion -------------------------------------------------------------------------

_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def expand_env(
    doc: SourcedDocument,
    value: Any,
    key_path: KeyPath,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """``value`` (found at ``key_path`` in ``doc``) with every ``${VAR}`` in its strings expanded.

    ``${VAR}`` is the variable's value and must be set; ``${VAR:-default}`` is ``default`` when the
    variable is unset or empty, ``${VAR-default}`` only when it is unset; ``$$`` is a literal ``$``.
    A missing variable or a malformed reference raises ConfigError naming the file, line and key.
    Mapping keys are not expanded.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, str):
        return _expand_string(doc, value, key_path, env)
    if isinstance(value, dict):
        return {k: expand_env(doc, v, (*key_path, k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(doc, v, (*key_path, i), env) for i, v in enumerate(value)]
    return value


def _expand_string(doc: SourcedDocument, text: str, key_path: KeyPath, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "$$":
            return "$"
        body = match.group(1)
        if body is None:
            raise doc.error(key_path, f"unclosed variable reference in {text!r}: write ${{NAME}}")
        name, default, empty_counts = body, None, False
        if ":-" in body:
            name, default = body.split(":-", 1)
            empty_counts = True
        elif "-" in body:
            name, default = body.split("-", 1)
        if not _NAME.fullmatch(name):
            raise doc.error(
                key_path,
                f"malformed variable reference ${{{body}}}: expected ${{NAME}}, ${{NAME:-default}} "
                "or ${NAME-default}",
            )
        current = env.get(name)
        if current is None or (empty_counts and current == ""):
            if default is not None:
                return default
            raise doc.error(
                key_path,
                f"environment variable {name} is not set (referenced as ${{{name}}}; set it, "
                f"or give a default with ${{{name}:-default}})",
            )
        return current

    return _REFERENCE.sub(replace, text)


# -- pydantic errors --------------------------------------------------------------------------


def data_path(data: Any, loc: Sequence[Any]) -> KeyPath:
    """Map a pydantic error ``loc`` onto a key path of ``data``.

    ``loc`` may hold names that are not keys of the document (a tagged union's tag, a model's
    name); those are skipped, so what remains is the path a person sees in the file.
    """
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and part not in _union_tags(current):
            # a key the document lacks (a missing required field), or a union member's name
            if not _looks_like_member_name(part):
                path.append(part)
                current = None
        # anything else: a tag or member name pydantic inserted; skip it
    return tuple(path)


def _union_tags(current: dict[Any, Any]) -> set[str]:
    return {str(v) for v in current.values() if isinstance(v, str)}


def _looks_like_member_name(part: str) -> bool:
    """pydantic names union members by their tag or class; fields are snake_case."""
    return part[:1].isupper() or "[" in part or "-" in part


def validation_error(doc: SourcedDocument, exc: ValidationError, base: KeyPath = ()) -> ConfigError:
    """One ConfigError listing ``exc``'s problems, each as ``file:line: key.path: message``.

    ``base`` is the key path, in ``doc``, of the value that was validated.
    """
    root = _value_at(doc.data, base)
    problems: list[str] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        path = (*base, *data_path(root, err["loc"]))
        line = f"{doc.where(path)}: {_message(err)}"
        if line not in seen:
            seen.add(line)
            problems.append(line)
    shown = problems[:MAX_REPORTED_ERRORS]
    if len(problems) > len(shown):
        shown.append(f"... and {len(problems) - len(shown)} more")
    return ConfigError("\n".join(shown))


def _message(err: Any) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown key (not allowed here)"
    if err["type"] == "missing":
        return "required key is missing"
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        ctx = err.get("ctx") or {}
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        key = ctx.get("discriminator", "tag").strip("'")
        given = f"unknown {key} {ctx['tag']!r}" if "tag" in ctx else f"no {key} given"
        return f"{given}; expected one of: {expected}" if expected else given
    return msg.removeprefix("Value error, ")


def _value_at(data: Any, path: KeyPath) -> Any:
    current = data
    for part in path:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            return None
    return current
