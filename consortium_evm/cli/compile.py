"""``consortium-evm compile``: compile contracts/ with the pinned solc and write the artifacts."""

from __future__ import annotations

import json
from typing import Any

import click

from consortium_evm.compiler.pipeline import CompileResult, compile_project
from consortium_evm.compiler.settings import DEFAULT_EVM_VERSION, EIP170_CODE_SIZE_LIMIT, EVM_VERSIONS



@click.command("compile")
@click.option(
    "--evm-version",
    type=click.Choice(EVM_VERSIONS),
    default=DEFAULT_EVM_VERSION,
    show_default=True,
    help="Target EVM version (london has no PUSH0; its artifacts ship inside the package).",
)
@click.option("--force", is_flag=True, help="Recompile even if nothing changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def compile_command(evm_version: str, force: bool, as_json: bool) -> None:
    """Compile contracts/ with the pinned solc and write the artifacts."""
    result = compile_project(evm_version=evm_version, force=force)
    if as_json:
        click.echo(json.dumps(_result_json(result), indent=2, sort_keys=True))
        return
    width = max((len(name) for name in result.artifacts), default=0)
    for name, artifact in result.artifacts.items():
        size = artifact.deployed_size
        shown = f"{size:>7,} bytes" if size else "      - (no code: interface or abstract)"
        click.echo(f"  {name:<{width}}  {shown}")
    for name, artifact in result.artifacts.items():
        if artifact.deployed_size > EIP170_CODE_SIZE_LIMIT:
            click.echo(
                f"warning: {name} deployed code is {artifact.deployed_size:,} bytes, over the "
                f"EIP-170 limit of {EIP170_CODE_SIZE_LIMIT:,} bytes",
                err=True,
            )
    for message in result.warnings:
        click.echo(f"solc warning: {message}", err=True)
    if result.solc is not None:
        click.echo(f"compiler: {result.solc.describe()}")
        click.echo(f"compiled {len(result.artifacts)} contracts (evm {result.evm_version})")
    else:
        click.echo(
            f"compiler: not started; artifacts are up to date (cached, built by solc "
            f"{result.compiler_version}, evm {result.evm_version})"
        )
    click.echo(f"artifacts: {result.output_dir}")



def _result_json(result: CompileResult) -> dict[str, Any]:
    return {
        "cached": result.cached,
        "compiler": {
            "version": result.compiler_version,
            "path": str(result.solc.path) if result.solc else None,
            "foundBy": result.solc.found_by if result.solc else None,
        },
        "contracts": {
            name: {
                "sourceName": a.source_name,
                "deployedSize": a.deployed_size,
                "overEip170Limit": a.deployed_size > EIP170_CODE_SIZE_LIMIT,
            }
            for name, a in result.artifacts.items()
        },
        "evmVersion": result.evm_version,
        "outputDir": str(result.output_dir),
        "sourceHash": result.source_hash,
        "warnings": [str(w) for w in result.warnings],
    }
