"""A worked example: deploy a stand-alone ``PermissionRules`` over this network's Consortium, ready
for governance to put behind the PermissionIngress (``consortium-evm propose set-rules ADDRESS``).

    consortium-evm run scripts/deploy_rules.py --network NAME [ACCOUNT]

ACCOUNT (default ``deployer``) is a name of networks.yaml; on a chain that enforces the rules it
needs the deploy flag. The new rules read the same registry and start with the node matching mode
in force; the Consortium (governance) alone may change their mode later. There is no CLI command for
this: deploying someone's own rules contract is a job for a script (this one) or their own tools.
"""

from __future__ import annotations

from typing import Any

from consortium_evm.compiler.artifacts import load_artifact
from consortium_evm.workflows.scripting import ScriptContext


def main(ctx: ScriptContext) -> dict[str, Any]:
    account = ctx.args[0] if ctx.args else "deployer"
    consortium = ctx.contract("Consortium")
    mode = consortium.functions.nodeMatch().call()
    artifact = load_artifact("PermissionRules", ctx.network.evm_version)
    factory = ctx.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    sent = ctx.connection.transactor(account, abis=[artifact.abi]).send(
        factory.constructor(consortium.address, consortium.address, mode)
    )
    ctx.echo(f"PermissionRules deployed at {sent.contract_address} (block {sent.block_number}, gas {sent.gas_used:,})")
    ctx.echo(f"  registry and governance: the Consortium {consortium.address}; node matching mode {mode}")
    return {"rules": sent.contract_address, "tx_hash": sent.tx_hash, "block_number": sent.block_number}
