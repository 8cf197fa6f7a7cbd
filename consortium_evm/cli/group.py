"""The command groups of the CLI: the one place a library error becomes a CLI error, and commands
that are imported only when they run.

Every group is a :class:`ConsortiumGroup`: any :class:`~consortium_evm.errors.ConsortiumError` a
command raises is shown as ``Error: <message>`` on stderr with exit code 1, without a traceback,
also when a group runs on its own (an embedding program, a test).

The main group names its commands by module (:class:`LazyCommand`) and imports a command's module
only when that command is looked up to run or to show its own help. ``consortium-evm --help``
lists them from the summaries recorded beside their names (a test keeps each summary equal to its
command's help), so it, like ``--version``, imports neither web3 nor pydantic nor the compiler.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from consortium_evm.errors import ConsortiumError


@dataclass(frozen=True)
class LazyCommand:
    """A command of the main group, by where it is defined."""

    module: str
    """The module that defines it, e.g. ``consortium_evm.cli.members``."""
    attribute: str
    """The :class:`click.Command` in that module."""
    summary: str
    """The first paragraph of its help: what ``--help`` lists beside its name."""

    def short_help(self, limit: int) -> str:
        """What click would list for the command, cut to ``limit`` characters as click cuts."""
        return click.Command(None, help=self.summary).get_short_help_str(limit)

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command


class ConsortiumGroup(click.Group):
    """A click group that reports :class:`ConsortiumError` as a clean CLI error and may hold lazy
    commands."""

    def __init__(self, *args: Any, lazy_commands: dict[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, LazyCommand] = dict(lazy_commands or {})

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConsortiumError as exc:
            raise click.ClickException(str(exc)) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            command = self.lazy_commands[cmd_name].load()
            self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but a lazy command not loaded yet is listed by its recorded summary."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy_commands[name].short_help(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def lazy(entries: Sequence[tuple[str, str, str, str]]) -> dict[str, LazyCommand]:
    """``(name, module, attribute, summary)`` rows as the ``lazy_commands`` of a group."""
    return {name: LazyCommand(module, attribute, summary) for name, module, attribute, summary in entries}
