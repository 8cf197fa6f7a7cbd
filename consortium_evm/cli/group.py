"""The command groups of the CLI: the one place a library error becomes a CLI error (its message,
its exit code, JSON under ``--json``), and commands that are imported only when they run.

Every group is a :class:`ConsortiumGroup`. Whatever a command raises that the CLI expects (a
:class:`~consortium_evm.errors.ConsortiumError`, a usage mistake, Ctrl-C) is shown there, without a
traceback, and exits with the code of its kind in :data:`EXIT_CODES` (the one table; docs/cli.md
prints it): ``Error: <message>`` on stderr, or, when the command line has ``--json``, one JSON object
on stderr::

    {"error": {"kind": "refused", "exitCode": 5, "message": "...", "type": "NotMemberAdmin",
               "revert": {"name": "NotMemberAdmin", "args": {"account": "0x..."}}}}

This holds also when a group runs on its own (an embedding program, a test).

The main group names its commands by module (:class:`LazyCommand`) and imports a command's module
only when that command is looked up to run or to show its own help. ``consortium-evm --help``
lists them from the summaries recorded beside their names (a test keeps each summary equal to its
command's help), so it, like ``--version``, imports neither web3 nor pydantic nor the compiler.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

from consortium_evm.errors import (
    AccountRequiredError,
    ArtifactError,
    ChainMismatchError,
    CompilerError,
    ConfigError,
    ConsortiumError,
    ContractRevertError,
    DeploymentError,
    DeploymentRevertError,
    DeploymentTimeoutError,
    ProposalOutcomeError,
    RPCError,
    SignerAccountError,
    SignerRefusedError,
    SignerUnreachableError,
    TransactionError,
    TransactionTimeoutError,
    WaitTimeoutError,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ExitKind:
    """A kind of failure: its name in JSON errors, its exit code, what it means."""

    kind: str
    code: int
    meaning: str


ERROR = ExitKind("error", 1, "any other failure")
USAGE = ExitKind("usage", 2, "a usage mistake: an unknown command or option, a missing or malformed argument (as click)")
CONFIG = ExitKind("config", 3, "configuration: a file (networks.yaml, consortium.yaml, a proposal file, a manifest) "
                              "is missing, malformed or inconsistent; an account, a compiler or an artifact is missing")
CONNECTION = ExitKind("connection", 4, "connection or node: the node cannot be reached, answers with a fault, is on "
                                       "another chain, or did not mine a transaction in time")
REFUSED = ExitKind("refused", 5, "on-chain refusal: a call or transaction reverted (the contract's named error), or "
                                 "a proposal ended in another state than the one asked for")
TIMEOUT = ExitKind("timeout", 6, "something waited for (a proposal's state) did not happen in time; it may still")
INTERRUPTED = ExitKind("interrupted", 130, "interrupted (Ctrl-C, SIGINT); what was done is said, and how to resume")

EXIT_CODES: tuple[tuple[type[BaseException], ExitKind], ...] = (
    (TransactionTimeoutError, CONNECTION),
    (DeploymentTimeoutError, CONNECTION),
    (SignerUnreachableError, CONNECTION),
    (ContractRevertError, REFUSED),
    (DeploymentRevertError, REFUSED),
    (SignerRefusedError, REFUSED),
    (SignerAccountError, CONFIG),
    (TransactionError, REFUSED),
    (ProposalOutcomeError, REFUSED),
    (WaitTimeoutError, TIMEOUT),
    (RPCError, CONNECTION),
    (ChainMismatchError, CONNECTION),
    (ConfigError, CONFIG),
    (ArtifactError, CONFIG),
    (CompilerError, CONFIG),
    (DeploymentError, CONFIG),
    (ConsortiumError, ERROR),
    (click.UsageError, USAGE),
    (click.Abort, INTERRUPTED),
    (KeyboardInterrupt, INTERRUPTED),
)
"""The one table from an error to its kind and exit code: the first row whose class the error is
an instance of (most specific first; :mod:`consortium_evm.contract_errors` are ContractRevertErrors)."""

KINDS: tuple[ExitKind, ...] = (ERROR, USAGE, CONFIG, CONNECTION, REFUSED, TIMEOUT, INTERRUPTED)
"""Every kind, by exit code."""

CLI_ACCOUNT_REMEDY = "give --account NAME (a named account of the network in networks.yaml; env CONSORTIUM_ACCOUNT)"
"""What the CLI says to do where the library says ``connect with account=NAME``."""

JSON_ERRORS = "consortium_evm.json_errors"
"""``ctx.meta`` key: whether the command line asked for ``--json`` (errors are then JSON)."""
INTERRUPT_NOTE = "consortium_evm.interrupt_note"
"""``ctx.meta`` key: a function that says, after Ctrl-C, what the command had done and how to resume."""


def exit_kind(exc: BaseException) -> ExitKind:
    """The kind (and exit code) of ``exc`` by :data:`EXIT_CODES`."""
    for cls, kind in EXIT_CODES:
        if isinstance(exc, cls):
            return kind
    return ERROR


class CLIError(click.ClickException):
    """A failure as the CLI reports it: ``Error: <message>`` (``Interrupted: ...`` after Ctrl-C),
    or one JSON object on stderr; the exit code of its kind."""

    def __init__(self, message: str, kind: ExitKind, *, as_json: bool = False,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.exit_code = kind.code  # type: ignore[misc]  # click reads it from the instance
        self.as_json = as_json
        self.details = dict(details or {})

    def to_json(self) -> dict[str, Any]:
        """``{"error": {"kind", "exitCode", "message", ...details}}``."""
        return {"error": {"kind": self.kind.kind, "exitCode": self.exit_code, "message": self.message, **self.details}}

    def show(self, file: IO[Any] | None = None) -> None:
        if self.as_json:
            click.echo(json.dumps(self.to_json(), default=str), err=file is None, file=file)
            return
        label = "Interrupted" if self.kind is INTERRUPTED else "Error"
        click.echo(f"{label}: {self.message}", err=file is None, file=file)


def cli_message(exc: BaseException) -> str:
    """What the CLI says for ``exc``: its message, in the CLI's words where the library's are the
    Python API's (an account is ``--account NAME``, not ``account=NAME``)."""
    if isinstance(exc, AccountRequiredError):
        return exc.message_with(CLI_ACCOUNT_REMEDY)
    return str(exc)


def cli_error(exc: BaseException, *, as_json: bool, note: str = "") -> CLIError:
    """``exc`` as the CLI reports it (see :data:`EXIT_CODES`)."""
    kind = exit_kind(exc)
    details: dict[str, Any] = {"type": type(exc).__name__}
    if isinstance(exc, ContractRevertError):
        details["revert"] = {"name": exc.name, "args": exc.args_by_name}
    if isinstance(exc, TransactionTimeoutError):
        details["txHash"] = exc.tx_hash
    if kind is INTERRUPTED:
        message = "stopped by Ctrl-C" + (f"; {note}" if note else "")
        details = {}
    elif isinstance(exc, click.UsageError):
        message = exc.format_message()
        details = {}
    else:
        message = cli_message(exc)
    return CLIError(message, kind, as_json=as_json, details=details)


def _interrupt_note(ctx: click.Context) -> str:
    note = ctx.meta.get(INTERRUPT_NOTE)
    if note is None:
        return ""
    try:
        return str(note())
    except Exception as exc:  # noqa: BLE001 - a note must never hide the interruption
        return f"(what was done could not be read: {exc})"


def on_interrupt(note: Callable[[dict[str, Any]], str]) -> Callable[[F], F]:
    """Decorates a command's function (below its click decorators): after Ctrl-C the CLI adds
    ``note(params)``, what the command had done and how to resume, to its message."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            click.get_current_context().meta[INTERRUPT_NOTE] = lambda: note(dict(kwargs))
            return command(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _asks_json(args: Sequence[str]) -> bool:
    """Whether a command line asks for ``--json`` (before a ``--``)."""
    words = list(args)
    if "--" in words:
        words = words[: words.index("--")]
    return "--json" in words


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

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Seen before anything is parsed, so that a usage mistake too is JSON under --json.
        ctx.meta.setdefault(JSON_ERRORS, _asks_json(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CLIError:
            raise
        except (ConsortiumError, click.UsageError, click.Abort, KeyboardInterrupt) as exc:
            as_json = bool(ctx.meta.get(JSON_ERRORS))
            if isinstance(exc, click.UsageError) and not as_json:
                raise  # click shows it with the command's usage line
            note = _interrupt_note(ctx) if isinstance(exc, (click.Abort, KeyboardInterrupt)) else ""
            raise cli_error(exc, as_json=as_json, note=note) from None

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
