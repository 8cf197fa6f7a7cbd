"""A worked example: what `consortium-evm deploy` does, through the library.

    consortium-evm run scripts/deploy.py --network local [consortium.yaml]

Deploys the suite from a consortium file (default: consortium.example.yaml), resumably, then reads
the result back: the members, and what the permission ingress answers for the first admin account.
"""

from __future__ import annotations

from consortium_evm.workflows.scripting import ScriptContext


def main(ctx: ScriptContext) -> None:
    consortium_file = ctx.args[0] if ctx.args else "consortium.example.yaml"
    ctx.echo(f"Deploying {consortium_file} to {ctx.network.name} (chain id {ctx.connection.chain_id})")
    deployment = ctx.deploy(consortium_file)
    client = ctx.client()  # read-only: the deployment just written
    for member in client.members.list():
        ctx.echo(f"  member {member.id}: {member.name} (weight {member.weight})")
        for account in client.members.details(member.id).accounts:
            allowed = client.access.account_allowed(account.address, deployment.ingress)
            ctx.echo(f"    {account.address} may transact: {allowed}")
    ctx.echo(f"  PermissionIngress: {deployment.ingress}; total gas {deployment.total_gas:,}")
