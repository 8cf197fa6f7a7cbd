"""The package's layers (docs/ARCHITECTURE.md): every module imports only from its own folder and the
layers below it, read from the source with ``ast`` (imports inside functions and under
``TYPE_CHECKING`` count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "consortium_evm"

LAYERS: list[set[str]] = [
    {"__init__", "errors", "util"},
    {"contract_errors"},
    {"domain", "compiler"},
    {"node"},
    {"config"},
    {"tx"},
    {"chain", "deploy"},
    {"client", "genesis"},
    {"localnet", "workflows", "enforce"},
    {"cli"},
]
"""Bottom to top. A folder (or a root module: ``errors``, ``contract_errors``) may import from a lower
layer and from itself, never from its own layer's other folders nor from above."""

RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def _unit(module: str) -> str:
    """The folder (or root module) a dotted module name belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``consortium_evm`` module ``path`` imports, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "consortium_evm":  # from consortium_evm import errors / __version__
                found += [(node.lineno, f"consortium_evm.{a.name}" if a.name != "__version__" else "consortium_evm")
                          for a in node.names]
            elif node.module.startswith("consortium_evm."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.append((node.lineno, "relative import"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("consortium_evm")]
    return found


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _own_unit(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_folder_has_a_layer() -> None:
    units = {_own_unit(path) for path in _modules()}
    assert units <= set(RANK), f"add {sorted(units - set(RANK))} to LAYERS and to docs/ARCHITECTURE.md"
    assert set(RANK) <= units, f"LAYERS names {sorted(set(RANK) - units)}, which no longer exist"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_only_downward(path: Path) -> None:
    own = _own_unit(path)
    wrong = []
    for line, module in _imports(path):
        if module == "relative import":
            wrong.append(f"line {line}: a relative import (write consortium_evm.…)")
            continue
        target = _unit(module)
        if target == own:
            continue
        if target not in RANK:
            wrong.append(f"line {line}: {module} is in no layer")
        elif RANK[target] >= RANK[own]:
            wrong.append(f"line {line}: {module} ({target}, layer {RANK[target]}) from {own} (layer {RANK[own]})")
    assert not wrong, f"{path.relative_to(PACKAGE)} imports upward or sideways:\n" + "\n".join(wrong)


def test_genesis_writes_its_files_without_the_deploy_journal() -> None:
    for path in (PACKAGE / "genesis").glob("*.py"):
        modules = {module for _, module in _imports(path)}
        assert "consortium_evm.deploy.journal" not in modules, path.name
        assert not any(module.startswith("consortium_evm.localnet") for module in modules), path.name


def test_no_module_grows_past_about_500_lines() -> None:
    long = {str(path.relative_to(PACKAGE)): n for path in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 520}
    assert not long, f"split these by concern (docs/ARCHITECTURE.md): {long}"
