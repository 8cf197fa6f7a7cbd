"""The ``consortium-evm`` command line: a thin layer over the library.

Every command runs inside :class:`ConsortiumGroup`, which turns any
:class:`~consortium_evm.errors.ConsortiumError` into ``Error: <message>`` on stderr and exit
code 1, without a traceback. New commands only need ``@main.command()``.
"""

from __future__ import annotations

import json
from typing import Any

import click

from consortium_evm import __version__
from consortium_evm.compiler import (
    DEFAULT_EVM_VERSION,
    EIP170_CODE_SIZE_LIMIT,
    EVM_VERSIONS,
    CompileResult,
    compile_project,
)
from consortium_evm.errors import ConsortiumError


class ConsortiumGroup(click.Group):
    """A click group whose commands report :class:`ConsortiumError` as a clean CLI error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConsortiumError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=ConsortiumGroup)
@click.version_option(__version__, prog_name="consortium-evm")
def main() -> None:
    """Smart-contract layer of an EVM consortium chain."""


@main.command("compile")
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


@main.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the addresses and gas figures as JSON.")
def demo_command(as_json: bool) -> None:
    """The whole lifecycle of a consortium on the embedded chain, told step by step: deploy, three
    founders, a fourth member voted in, a member suspended, a parameter changed; then the gas of
    every operation."""
    from consortium_evm.demo import describe_gas, run_demo

    compile_project()  # cached: no compiler starts when contracts/ is unchanged
    result = run_demo((lambda _line: None) if as_json else click.echo)
    steps = list(result.deployment.steps) + list(result.operations)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "chainId": result.deployment.chain_id,
                    "consortium": result.deployment.consortium,
                    "ingress": result.deployment.ingress,
                    "steps": [
                        {"name": s.name, "gasUsed": s.gas_used, "txHash": s.tx_hash, "block": s.block_number}
                        for s in steps
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo("")
    click.echo("Gas per operation (exact, from each transaction's receipt):")
    rows = describe_gas(result)
    width = max(len(name) for name, _ in rows)
    for name, gas in rows:
        click.echo(f"  {name:<{width}}  {gas:>10,}")
    click.echo(f"  {'total':<{width}}  {sum(gas for _, gas in rows):>10,}")


def _register() -> None:
    from consortium_evm.cli_access import access_group, events_command
    from consortium_evm.cli_deploy import deploy_command, run_command
    from consortium_evm.cli_genesis import register as register_genesis
    from consortium_evm.cli_members import members_group, status_command
    from consortium_evm.cli_node import node_group
    from consortium_evm.cli_proposals import propose_group, proposals_group
    from consortium_evm.gateway.command import gateway_command

    main.add_command(node_group)
    main.add_command(deploy_command)
    main.add_command(run_command)
    for command in (status_command, members_group, proposals_group, propose_group, access_group, events_command):
        main.add_command(command)
    register_genesis(main)
    from consortium_evm.guard.command import guard_command
    from consortium_evm.preflight.command import permissioning_group

    main.add_command(permissioning_group)
    main.add_command(guard_command)
    main.add_command(gateway_command)


_register()


if __name__ == "__main__":  # python -m consortium_evm.cli
    main()
