"""``consortium-evm demo``: the whole lifecycle of a consortium on the embedded chain, then the gas of every
operation."""

from __future__ import annotations

import json

import click

from consortium_evm.compiler.pipeline import compile_project


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the addresses and gas figures as JSON.")
def demo_command(as_json: bool) -> None:
    """The whole lifecycle of a consortium on the embedded chain, told step by step: deploy, three
    founders, a fourth member voted in, a member suspended, a parameter changed; then the gas of
    every operation."""
    from consortium_evm.workflows.demo import describe_gas, run_demo

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
