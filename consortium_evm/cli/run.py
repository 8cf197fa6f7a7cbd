"""``consortium-evm run SCRIPT``: a script's ``main(ctx)`` connected to a network."""

from __future__ import annotations

import click

from consortium_evm.cli.options import network_or_tester_option, networks_file_option


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("script", type=click.Path(dir_okay=False))
@network_or_tester_option
@networks_file_option
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(script: str, network_name: str, networks_file: str | None, args: tuple[str, ...]) -> None:
    """Run SCRIPT's main(ctx) connected to a network (extra ARGS reach it as ctx.args)."""
    from consortium_evm.workflows.scripting import run_script

    run_script(script, network_name, networks_file=networks_file, args=args, echo=click.echo)
