"""``consortium-evm run SCRIPT``: a script's ``main(ctx)`` connected to a network."""

from __future__ import annotations

import click

from consortium_evm.cli.options import network_or_tester_option, networks_file_option
from consortium_evm.cli.output import echo_json


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("script", type=click.Path(dir_okay=False))
@network_or_tester_option
@networks_file_option
@click.option("--json", "as_json", is_flag=True,
              help="Print {\"script\", \"network\", \"result\"} as JSON (main's return value as the result); "
                   "what the script echoes goes to stderr.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def run_command(script: str, network_name: str, networks_file: str | None, as_json: bool, args: tuple[str, ...]) -> None:
    """Run SCRIPT's main(ctx) connected to a network (extra ARGS reach it as ctx.args)."""
    from consortium_evm.workflows.scripting import run_script

    echo = (lambda line: click.echo(line, err=True)) if as_json else click.echo
    result = run_script(script, network_name, networks_file=networks_file, args=args, echo=echo)
    if as_json:
        echo_json({"script": script, "network": network_name, "result": result})
