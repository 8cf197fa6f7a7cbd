"""Commands that start fast and a client that loads only what it needs, checked in fresh interpreters
(``sys.modules`` after the import or the command)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from consortium_evm.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[3]

PIPELINE = ("consortium_evm.compiler.pipeline", "consortium_evm.compiler.resolve", "consortium_evm.compiler.shim",
            "consortium_evm.compiler.sources", "consortium_evm.compiler.standard_json", "solcx")
"""The compiler pipeline: what starts or finds solc."""


def _loaded_after(code: str) -> set[str]:
    """The top-level names of ``sys.modules`` after running ``code`` in a fresh interpreter, plus the
    full names under ``consortium_evm``."""
    probe = (
        "import json, sys\n"
        f"try:\n    exec({code!r})\nexcept SystemExit:\n    pass\n"
        "names = {m.split('.')[0] for m in sys.modules} | {m for m in sys.modules if m.startswith('consortium_evm')}\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(names)) + '\\n')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=120, check=True)
    line = result.stderr.rsplit("\nMODULES ", 1)[1]
    return set(json.loads(line))


def test_importing_the_client_loads_neither_click_nor_the_compiler_pipeline() -> None:
    loaded = _loaded_after("import consortium_evm.client")
    assert "consortium_evm.client" in loaded and "web3" in loaded  # the probe saw the import
    assert "click" not in loaded
    assert not loaded & set(PIPELINE), sorted(loaded & set(PIPELINE))


@pytest.mark.parametrize("argument", ["--help", "--version"])
def test_help_and_version_import_neither_web3_nor_pydantic_nor_the_compiler(argument: str) -> None:
    loaded = _loaded_after(f"from consortium_evm.cli import main; main([{argument!r}], prog_name='consortium-evm')")
    assert "click" in loaded and "consortium_evm.cli" in loaded
    assert not loaded & {"web3", "eth_account", "eth_utils", "pydantic", "yaml", "requests"}, sorted(loaded)
    assert not any(name.startswith("consortium_evm.compiler") for name in loaded), sorted(loaded)


def test_every_listed_command_is_its_modules_command_with_the_same_summary() -> None:
    for name, entry in COMMANDS.items():
        command = entry.load()
        assert isinstance(command, click.Command) and command.name == name
        assert entry.module == f"consortium_evm.cli.{name}", "one module per command, named after it"
        for limit in range(20, 200, 7):
            assert entry.short_help(limit) == command.get_short_help_str(limit), (name, limit)


def test_help_lists_every_command_as_click_would() -> None:
    from click.testing import CliRunner

    from consortium_evm.cli.group import ConsortiumGroup

    # a fresh group: ``main`` may hold commands other tests of this process loaded
    lazy = ConsortiumGroup("consortium-evm", lazy_commands=COMMANDS, help=main.help, params=list(main.params))
    lazy_help = CliRunner().invoke(lazy, ["--help"], terminal_width=100, prog_name="consortium-evm").output
    assert not lazy.commands  # listed without importing any command
    eager = click.Group("consortium-evm", commands=[entry.load() for entry in COMMANDS.values()],
                        help=main.help, params=list(main.params))
    eager_help = CliRunner().invoke(eager, ["--help"], terminal_width=100, prog_name="consortium-evm").output
    assert lazy_help == eager_help
