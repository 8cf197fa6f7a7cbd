"""How the CLI shows things: tables for people, JSON for scripts, and readable times and shares."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from consortium_evm.domain.spec import parse_address
from consortium_evm.util.times import utc


def param_label(param: click.Parameter | None) -> str:
    """How a message names a command-line parameter: ``SENDER`` for an argument, ``--to`` for an option."""
    if isinstance(param, click.Option) and param.opts:
        return param.opts[0]
    return param.human_readable_name if param is not None else "the argument"


class AddressParam(click.ParamType[str]):
    """An address given on the command line, read by the package's one address parser
    (:func:`consortium_evm.domain.spec.parse_address`): a mistyped EIP-55 checksum is refused with one
    line naming the argument (a ConfigError, which the CLI prints as ``Error: ...``)."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return parse_address(value, param_label(param))


ADDRESS = AddressParam()
"""The click type of address arguments and options."""


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (big integers stay exact)."""
    click.echo(json.dumps(data, indent=2, default=str))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = ()) -> str:
    """A plain-text table: a header line, a rule, then one line per row; ``right`` columns are
    right-aligned (numbers)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if headers[i] in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        return "  ".join(parts).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells[1:])
    return "\n".join(out)


when = utc
"""A unix time as ``2026-12-01 19:37:38 UTC`` (:func:`consortium_evm.util.times.utc`)."""


def duration(seconds: int) -> str:
    """Seconds as the largest exact unit: ``3d``, ``90m``, ``45s``."""
    seconds = int(seconds)
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def share(bps: int) -> str:
    """Basis points as a percentage: ``50.01%``."""
    return f"{int(bps) / 100:.2f}%"


def short(value: str, keep: int = 10) -> str:
    """A long hex string shortened for a table (``0x1234abcd…``)."""
    return value if len(value) <= keep + 2 else value[: keep + 2] + "…"
