"""A worked example: what `consortium-evm deploy` does, through the library.

    consortium-evm run scripts/deploy.py --network local [consortium.yaml]

Deploys the suite from a consortium file (default: consortium.example.yaml), resumably, then reads
the result back: the members, and what the permission ingress answers for the first admin account.
"""

from __future__ import annotations

from consortium_evm.scripting import ScriptContext


def main(ctx: ScriptContext) -> None:
    consortium_file = ctx.args[0] if ctx.args else "consortium.example.yaml"
    ctx.echo(f"Deploying {consortium_file} to {ctx.network.name} (chain id {ctx.connection.chain_id})")
    deployment = ctx.deploy(consortium_file)
    consortium = ctx.contract("Consortium")
    ingress = ctx.contract("PermissionIngress")
    for member in consortium.functions.getMembers(0, 100).call():
        ctx.echo(f"  member {member[0]}: {member[1]} (weight {member[3]})")
    added = consortium.events.AccountAdded().get_logs(from_block=0)
    if added:
        first_admin = added[0].args.account
        allowed = ingress.functions.transactionAllowed(first_admin, ingress.address, 0, 0, 0, b"").call()
        ctx.echo(f"  {first_admin} may transact: {allowed}")
    ctx.echo(f"  PermissionIngress: {deployment.ingress}; total gas {deployment.total_gas:,}")
