"""Run one standard-JSON compilation through py-solc-x and turn solc's diagnostics into
``path:line:column: Type: message`` lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from consortium_evm.compiler.resolve import SolcBinary
from consortium_evm.compiler.sources import SourceSet, line_column
from consortium_evm.errors import CompilerError


@dataclass(frozen=True)
class CompilerMessage:
    """One solc diagnostic (error, warning or info)."""

    severity: str
    type: str
    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None
    formatted: str = ""

    def __str__(self) -> str:
        if self.source is not None and self.line is not None:
            return f"{self.source}:{self.line}:{self.column}: {self.type}: {self.message}"
        if self.formatted:
            return self.formatted.strip()
        return f"{self.type}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (stored in the build index so cached builds keep their warnings)."""
        return {
            "severity": self.severity,
            "type": self.type,
            "message": self.message,
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "formatted": self.formatted,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompilerMessage:
        """Inverse of :meth:`to_json`."""
        return cls(
            severity=str(data["severity"]),
            type=str(data["type"]),
            message=str(data["message"]),
            source=data.get("source"),
            line=data.get("line"),
            column=data.get("column"),
            formatted=str(data.get("formatted", "")),
        )


def build_input(sources: SourceSet, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The complete standard-JSON input: every source as ``content``, plus ``settings``."""
    return {
        "language": "Solidity",
        "sources": sources.standard_json_sources(),
        "settings": dict(settings),
    }


def parse_messages(raw: list[Mapping[str, Any]], sources: SourceSet) -> list[CompilerMessage]:
    """solc's ``errors`` array as :class:`CompilerMessage` objects with line and column."""
    messages = []
    for entry in raw:
        location = entry.get("sourceLocation") or {}
        source = location.get("file")
        start = location.get("start")
        line = column = None
        if isinstance(source, str) and source in sources.contents and isinstance(start, int) and start >= 0:
            line, column = line_column(sources.contents[source], start, byte_offset=True)
        else:
            source = None
        messages.append(
            CompilerMessage(
                severity=str(entry.get("severity", "error")),
                type=str(entry.get("type", "Error")),
                message=str(entry.get("message", "")).strip(),
                source=source,
                line=line,
                column=column,
                formatted=str(entry.get("formattedMessage", "")),
            )
        )
    return messages


def run_standard_json(
    solc: SolcBinary, sources: SourceSet, settings: Mapping[str, Any]
) -> tuple[dict[str, Any], list[CompilerMessage]]:
    """Compile; return solc's output and its non-error messages.

    Raises :class:`CompilerError` listing every error as ``path:line:column: Type: message``.
    """
    import solcx
    from solcx.exceptions import SolcError

    input_data = build_input(sources, settings)
    try:
        output: dict[str, Any] = solcx.compile_standard(input_data, solc_binary=solc.path)
    except SolcError as exc:
        raw: Any = exc.error_dict  # typed Dict by py-solc-x, actually solc's ``errors`` list
        if raw:
            errors = [m for m in parse_messages(list(raw), sources) if m.severity == "error"]
            raise CompilerError(_error_text(errors, solc)) from None
        detail = (exc.stderr_data or exc.stdout_data or exc.message or "").strip()
        raise CompilerError(
            f"{solc.describe()} failed (exit code {exc.return_code}): {detail[:2000] or 'no output'}"
        ) from None
    except json.JSONDecodeError as exc:
        raise CompilerError(f"{solc.describe()} did not answer with JSON: {exc}") from None
    except OSError as exc:
        raise CompilerError(f"cannot run {solc.describe()}: {exc}") from None

    messages = parse_messages(output.get("errors", []), sources)
    errors = [m for m in messages if m.severity == "error"]
    if errors:  # compile_standard already raises on these; kept as a safety net
        raise CompilerError(_error_text(errors, solc))
    return output, [m for m in messages if m.severity != "error"]


def _error_text(errors: list[CompilerMessage], solc: SolcBinary) -> str:
    count = f"{len(errors)} error" + ("s" if len(errors) != 1 else "")
    return f"compilation failed with {count} (solc {solc.version}):\n" + "\n".join(
        str(e) for e in errors
    )
