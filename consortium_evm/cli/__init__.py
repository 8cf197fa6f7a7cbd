"""The ``consortium-evm`` command line: a thin layer over the library, one module per command group,
named after it (``consortium-evm members ...`` is :mod:`consortium_evm.cli.members`).

Every group is a :class:`~consortium_evm.cli.group.ConsortiumGroup`, which turns any
:class:`~consortium_evm.errors.ConsortiumError` (and a usage mistake, and Ctrl-C) into
``Error: <message>`` on stderr, or one JSON object under ``--json``, with the exit code of its kind
(:data:`~consortium_evm.cli.group.EXIT_CODES`; docs/cli.md), without a traceback. The commands below are imported only when one runs, so that
``--help`` and ``--version`` start without web3: a new command is a module of this folder and a
row of :data:`COMMANDS` (its summary is checked against its help by a test). The connection options
the client commands share are in :mod:`~consortium_evm.cli.options`, the output helpers in
:mod:`~consortium_evm.cli.output`.
"""

from __future__ import annotations

import click

from consortium_evm import __version__
from consortium_evm.cli.group import ConsortiumGroup, lazy

COMMANDS = lazy([
    ("accounts", "consortium_evm.cli.accounts", "accounts_group",
     "Keystore files for the accounts of networks.yaml: make one, import a key, list them."),
    ("access", "consortium_evm.cli.access", "access_group",
     "Ask the permissioning contracts what the chain's nodes ask them."),
    ("compile", "consortium_evm.cli.compile", "compile_command",
     "Compile contracts/ with the pinned solc and write the artifacts."),
    ("demo", "consortium_evm.cli.demo", "demo_command",
     "The whole lifecycle of a consortium on the embedded chain, told step by step: deploy, three founders, a "
     "fourth member voted in, a member suspended, a parameter changed; then the gas of every operation."),
    ("deploy", "consortium_evm.cli.deploy", "deploy_command",
     "Deploy the consortium contracts, bootstrap the founding members, hand over to governance."),
    ("events", "consortium_evm.cli.events", "events_command",
     "The consortium's history: members, accounts, nodes, proposals, votes, settings, rules. With --json, one "
     "JSON object per line."),
    ("gateway", "consortium_evm.cli.gateway", "gateway_command",
     "A JSON-RPC gateway in front of the network's node: every raw transaction's sender is asked of the "
     "PermissionIngress at the head (refused: error -32007, never forwarded), node-admin methods are refused, "
     "the rest is forwarded over HTTP and WebSocket."),
    ("genesis", "consortium_evm.cli.genesis", "genesis_group",
     "Genesis files with the consortium's contracts in force from block 0."),
    ("guard", "consortium_evm.cli.guard", "guard_command",
     "Every --interval seconds: drop each peer the rules refuse, add each registered node of an active member, "
     "and audit the new blocks: a transaction whose sender the rules refused at the parent block is reported "
     "as a JSON line (block, transaction, sender, the signer that sealed it)."),
    ("members", "consortium_evm.cli.members", "members_group",
     "Members of the consortium: list and show them; manage your own member's accounts and nodes."),
    ("node", "consortium_evm.cli.node", "node_group",
     "A local Clique network of geth 1.13 signers (127.0.0.1 only)."),
    ("permissioning", "consortium_evm.cli.permissioning", "permissioning_group",
     "Before a network enforces the consortium's rules, and GoQuorum's start-up node list."),
    ("propose", "consortium_evm.cli.propose", "propose_group",
     "Create a proposal from a typed action; members then vote on it."),
    ("proposals", "consortium_evm.cli.proposals", "proposals_group",
     "Governance proposals: list, show, vote (directly or signed), execute, cancel, wait."),
    ("run", "consortium_evm.cli.run", "run_command",
     "Run SCRIPT's main(ctx) connected to a network (extra ARGS reach it as ctx.args)."),
    ("status", "consortium_evm.cli.status", "status_command",
     "The consortium at a glance: members, weights, settings, proposals, the rules in force."),
    ("validators", "consortium_evm.cli.validators", "validators_group",
     "The on-chain ValidatorSet and the validator votes of a member's own node."),
])
"""Every command of the main group: name, module, attribute, and the summary ``--help`` lists."""


@click.group(cls=ConsortiumGroup, lazy_commands=COMMANDS)
@click.version_option(__version__, prog_name="consortium-evm")
def main() -> None:
    """Smart-contract layer of an EVM consortium chain."""
