"""The compiler pipeline: resolution, sources, errors, cache, PUSH0, shipped artifacts, CLI.

Real compiles are few (solcjs needs about a second to load per process): one module-scoped tiny
project, plus one each for shanghai, a broken contract, duplicate names and the real contracts/.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from consortium_evm.cli import compile as cli_compile
from consortium_evm.cli import main
from consortium_evm.compiler import BASEFEE, SOLC_VERSION, build_settings, contains_opcode, contains_push0, load_artifact
from consortium_evm.compiler import pipeline, resolve
from consortium_evm.compiler.artifacts import INDEX_FILE, read_cached_build
from consortium_evm.compiler.pipeline import CompileResult, cache_key, compile_project
from consortium_evm.compiler.project import shipped_artifacts_dir
from consortium_evm.compiler.resolve import SolcBinary, find_solc
from consortium_evm.compiler.sources import collect_sources
from consortium_evm.errors import (
    ArtifactError,
    CompilerError,
    CompilerNotFoundError,
    CompilerVersionError,
)

REPO_ROOT = Path(__file__).resolve().parents[3]

HEADER = "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n"
TINY = HEADER + """
import {Doubler} from "./lib/Doubler.sol";

contract Tiny {
    uint256 public value;
    function set(uint256 v) external { value = Doubler.twice(v); }
    function clear() external { value = 0; }
}
"""
DOUBLER = HEADER + """
library Doubler {
    function twice(uint256 v) internal pure returns (uint256) { return v * 2; }
}
"""


def make_project(root: Path, files: dict[str, str]) -> Path:
    """A minimal project: pyproject.toml plus the given files (paths relative to root)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'tmp'\n")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture(scope="session")
def solc() -> SolcBinary:
    """The compiler the developer has (SOLC_BINARY, py-solc-x or the repo's npm solc)."""
    try:
        return find_solc(REPO_ROOT)
    except CompilerNotFoundError as exc:
        pytest.skip(f"no solc {SOLC_VERSION}: {exc}")


@pytest.fixture(scope="module")
def use_solc(solc: SolcBinary) -> Iterator[SolcBinary]:
    """Point SOLC_BINARY at that compiler so tmp projects (no node_modules) can compile."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOLC_BINARY", str(solc.path))
        yield solc


@pytest.fixture(scope="module")
def tiny(use_solc: SolcBinary, tmp_path_factory: pytest.TempPathFactory) -> CompileResult:
    root = make_project(
        tmp_path_factory.mktemp("tiny"),
        {"contracts/Tiny.sol": TINY, "contracts/lib/Doubler.sol": DOUBLER},
    )
    return compile_project(root)


# --- compiler resolution -------------------------------------------------------------------


def test_solc_binary_pointing_at_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-solc"
    monkeypatch.setenv("SOLC_BINARY", str(missing))
    with pytest.raises(CompilerNotFoundError, match=f"SOLC_BINARY={missing} does not exist"):
        find_solc(tmp_path)


def test_solc_binary_of_another_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "solc-old"
    fake.write_text(
        "#!/bin/sh\necho 'solc, the solidity compiler commandline interface'\n"
        "echo 'Version: 0.8.19+commit.7dd6d404.Linux.g++'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("SOLC_BINARY", str(fake))
    with pytest.raises(CompilerVersionError) as info:
        find_solc(tmp_path)
    message = str(info.value)
    assert str(fake) in message
    assert "0.8.19+commit.7dd6d404" in message
    assert f"pins solc {SOLC_VERSION}" in message


def test_nothing_found_says_how_to_get_a_compiler(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import solcx.install

    monkeypatch.delenv("SOLC_BINARY", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(solcx.install, "get_installed_solc_versions", lambda *a, **k: [])
    make_project(tmp_path, {"contracts/Tiny.sol": TINY})  # no node_modules
    with pytest.raises(CompilerNotFoundError) as info:
        find_solc(tmp_path)
    message = str(info.value)
    assert "npm ci" in message
    assert "SOLC_BINARY=/path/to/solc" in message
    assert f"python -m solcx.install v{SOLC_VERSION}" in message


def test_compiler_output_above_64_kib_arrives_whole(solc: SolcBinary) -> None:
    """solcjs' own CLI truncates piped output at 64 KiB; the shim must not."""
    import solcx

    body = "".join(f"    function f{i}(uint256 a) external pure {{}}\n" for i in range(1000))
    source = HEADER + "contract Big {\n" + body + "}\n"
    output = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"contracts/Big.sol": {"content": source}},
            "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
        },
        solc_binary=solc.path,
    )
    assert len(json.dumps(output)) > 64 * 1024
    assert len(output["contracts"]["contracts/Big.sol"]["Big"]["abi"]) == 1000


# --- sources -------------------------------------------------------------------------------


def test_imports_are_resolved_recursively(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {
            "contracts/A.sol": HEADER
            + '/* import "commented/Out.sol"; */\n'
            + 'import {Base} from "@scope/pkg/Base.sol";\n'
            + 'import "./lib/Doubler.sol";\n'
            + 'contract A is Base { string s = "import \'x.sol\';"; }\n',
            "contracts/lib/Doubler.sol": DOUBLER,
            "node_modules/@scope/pkg/Base.sol": HEADER + 'import "./utils/U.sol";\nabstract contract Base {}\n',
            "node_modules/@scope/pkg/utils/U.sol": HEADER + "library U {}\n",
        },
    )
    sources = collect_sources(root)
    assert list(sources.contents) == [
        "@scope/pkg/Base.sol",
        "@scope/pkg/utils/U.sol",
        "contracts/A.sol",
        "contracts/lib/Doubler.sol",
    ]
    assert sources.project_units == ("contracts/A.sol", "contracts/lib/Doubler.sol")


def test_missing_import_names_file_line_column(tmp_path: Path) -> None:
    root = make_project(tmp_path, {"contracts/A.sol": HEADER + '\nimport "./Nope.sol";\ncontract A {}\n'})
    with pytest.raises(CompilerError, match=r'contracts/A\.sol:4:1: ImportError: cannot find "\./Nope\.sol"'):
        collect_sources(root)


# --- compiling -----------------------------------------------------------------------------


def test_compile_error_lists_file_line_column(use_solc: SolcBinary, tmp_path: Path) -> None:
    broken = HEADER + "\ncontract Broken {\n    function f() external pure returns (uint256) {\n" \
        "        return undefinedThing + 1;\n    }\n}\n"
    root = make_project(tmp_path, {"contracts/Broken.sol": broken})
    with pytest.raises(CompilerError) as info:
        compile_project(root)
    message = str(info.value)
    assert "contracts/Broken.sol:6:16: DeclarationError: Undeclared identifier" in message
    assert "Traceback" not in message
    assert not (root / "build" / "artifacts").exists()


def test_duplicate_contract_names_are_refused(use_solc: SolcBinary, tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        {"contracts/a/Same.sol": HEADER + "contract Same {}\n", "contracts/b/Same.sol": HEADER + "contract Same {}\n"},
    )
    with pytest.raises(CompilerError, match="Same is defined in both contracts/a/Same.sol and contracts/b/Same.sol"):
        compile_project(root)


def test_artifacts_are_written_and_loadable(tiny: CompileResult) -> None:
    root = tiny.output_dir.parents[2]
    assert tiny.output_dir == root / "build" / "artifacts" / "london"
    assert set(tiny.artifacts) == {"Tiny", "Doubler"}
    assert tiny.compiler_version.startswith(SOLC_VERSION + "+commit.")
    data = json.loads((tiny.output_dir / "Tiny.json").read_text())
    assert data["compiler"]["settings"] == build_settings("london")
    assert data["bytecode"].startswith("0x") and data["deployedBytecodeSize"] > 0
    artifact = load_artifact("Tiny", root=root)
    assert artifact == tiny.artifacts["Tiny"]
    assert any(item.get("name") == "set" for item in artifact.abi)
    with pytest.raises(ArtifactError, match="no artifact for contract Nope.*available: Doubler, Tiny"):
        load_artifact("Nope", root=root)


def test_second_compile_is_cached_and_starts_no_compiler(
    tiny: CompileResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_compiler(*args: object, **kwargs: object) -> SolcBinary:
        raise AssertionError("a compiler was started")

    monkeypatch.setattr(pipeline, "find_solc", no_compiler)
    root = tiny.output_dir.parents[2]
    started = time.perf_counter()
    again = compile_project(root)
    elapsed = time.perf_counter() - started
    assert again.cached and elapsed < 0.5
    assert again.artifacts == tiny.artifacts and again.solc is None


def test_changed_source_invalidates_the_cache(tiny: CompileResult, monkeypatch: pytest.MonkeyPatch) -> None:
    class Started(Exception):
        pass

    def started(*args: object, **kwargs: object) -> SolcBinary:
        raise Started

    monkeypatch.setattr(pipeline, "find_solc", started)
    root = tiny.output_dir.parents[2]
    source = root / "contracts" / "lib" / "Doubler.sol"
    original = source.read_text()
    try:
        source.write_text(original + "// edited\n")
        with pytest.raises(Started):
            compile_project(root)
    finally:
        source.write_text(original)
    with pytest.raises(Started):
        compile_project(root, force=True)


def test_london_has_no_push0_but_shanghai_does(tiny: CompileResult) -> None:
    for artifact in tiny.artifacts.values():
        assert not contains_push0(artifact.bytecode), artifact.contract_name
        assert not contains_push0(artifact.deployed_bytecode), artifact.contract_name
    shanghai = compile_project(tiny.output_dir.parents[2], evm_version="shanghai")
    assert shanghai.output_dir.name == "shanghai"
    assert contains_push0(shanghai.artifacts["Tiny"].deployed_bytecode)


def test_contains_push0_skips_push_data() -> None:
    assert contains_push0("0x5f")
    assert not contains_push0("0x605f00")  # PUSH1 0x5f, STOP
    assert not contains_push0("0x7f" + "5f" * 32 + "00")  # PUSH32 of 0x5f bytes
    assert contains_push0("0x7f" + "00" * 32 + "5f")  # PUSH0 right after the data
    assert not contains_push0("0x615f")  # truncated PUSH2 at the end
    assert not contains_push0("0x73__$" + "ab" * 17 + "$__00")  # library placeholder in PUSH20
    assert not contains_push0("0x")


# --- the shipped artifacts -----------------------------------------------------------------


def test_shipped_artifacts_are_built_from_current_contracts() -> None:
    """Fast guard: contracts/ changed but `consortium-evm compile` was not run."""
    key = cache_key(collect_sources(REPO_ROOT), build_settings("london"))
    assert read_cached_build(shipped_artifacts_dir(), key) is not None, (
        "consortium_evm/artifacts is stale or was edited by hand: run `consortium-evm compile`"
    )


def test_shipped_artifacts_match_a_fresh_compile(solc: SolcBinary, tmp_path: Path) -> None:
    fresh = compile_project(REPO_ROOT, force=True, output_dir=tmp_path)
    shipped = shipped_artifacts_dir()
    assert sorted(p.name for p in shipped.glob("*.json")) == sorted(p.name for p in tmp_path.glob("*.json"))
    for name in fresh.artifacts:
        assert (shipped / f"{name}.json").read_text() == (tmp_path / f"{name}.json").read_text(), (
            f"{name}: shipped artifact differs from a fresh compile; run `consortium-evm compile`"
        )
    assert json.loads((shipped / INDEX_FILE).read_text())["cacheKey"] == json.loads(
        (tmp_path / INDEX_FILE).read_text()
    )["cacheKey"]


# --- CLI -----------------------------------------------------------------------------------


def test_cli_compile_prints_sizes(tiny: CompileResult, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tiny.output_dir.parents[2] / "contracts")  # the root is found walking up
    monkeypatch.setattr(cli_compile, "EIP170_CODE_SIZE_LIMIT", 10)
    result = CliRunner().invoke(main, ["compile"])
    assert result.exit_code == 0, result.output
    size = tiny.artifacts["Tiny"].deployed_size
    assert re.search(rf"^  Tiny +{size:,} bytes$", result.stdout, re.M), result.stdout
    assert "cached" in result.stdout
    assert f"warning: Tiny deployed code is {size:,} bytes, over the EIP-170 limit" in result.stderr

    as_json = CliRunner().invoke(main, ["compile", "--json"])
    assert json.loads(as_json.stdout)["contracts"]["Tiny"]["deployedSize"] == size


def test_cli_error_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    make_project(tmp_path, {"contracts/Tiny.sol": TINY, "contracts/lib/Doubler.sol": DOUBLER})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOLC_BINARY", str(tmp_path / "missing-solc"))
    result = CliRunner().invoke(main, ["compile", "--force"])
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: SOLC_BINARY=")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_resolution_order_prefers_solc_binary(
    solc: SolcBinary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOLC_BINARY", str(solc.path))
    monkeypatch.setattr(resolve, "_solcx_binary", lambda: pytest.fail("py-solc-x consulted"))
    found = find_solc(REPO_ROOT)
    assert found.found_by == "SOLC_BINARY" and found.version == solc.version


def test_contains_opcode_finds_basefee_outside_push_data() -> None:
    assert contains_opcode("0x4800", BASEFEE)
    assert not contains_opcode("0x604800", BASEFEE)  # PUSH1 0x48
    assert contains_opcode("0x60004800", BASEFEE)
    assert not contains_opcode("0x", BASEFEE)
