"""A chain built from a genesis file has no events for its founders' accounts and nodes: the
client starts ``members show`` from the founders its manifest lists (``genesis.founders``)."""

from __future__ import annotations

from consortium_evm.client import ConsortiumClient
from consortium_evm.deploy.manifest import FounderRecord, Manifest, founder_json
from tests.support.consortium import Env


def genesis_like_client(env: Env, founders: tuple[FounderRecord, ...]) -> ConsortiumClient:
    """A client that sees none of the bootstrap's events (it starts after them), as on a chain whose
    genesis holds the registry's storage."""
    after = int(env.w3.eth.block_number) + 1
    return ConsortiumClient(env.w3, env.deployment.consortium, env.deployment.ingress, from_block=after, founders=founders)


def test_without_the_founders_a_genesis_chain_shows_no_accounts(env: Env) -> None:
    acme = env.founders[0]
    assert genesis_like_client(env, ()).members.details(acme.member_id).accounts == ()


def test_the_founders_of_the_manifest_fill_in_accounts_and_nodes(env: Env) -> None:
    acme, globex = env.founders[0], env.founders[1]
    founders = tuple(
        FounderRecord(f.member_id, (f.admin, f.user), ((f.node.enode_id, f.node.host, f.node.port),))
        for f in env.founders
    )
    # as written in contracts.json and read back
    data = {"contracts": {"Consortium": {"address": env.deployment.consortium}},
            "genesis": {"founders": [founder_json(f) for f in founders]}}
    manifest = Manifest.from_json(data)
    assert manifest.founders == founders
    details = genesis_like_client(env, manifest.founders).members.details(acme.member_id)
    assert {a.address for a in details.accounts} == {acme.admin, acme.user}
    assert [n.enode_id for n in details.nodes] == [acme.node.enode_id]
    # a founder's entry never lends accounts to another member: each is checked against the registry
    lying = (FounderRecord(acme.member_id, (globex.admin,), ()),)
    assert genesis_like_client(env, lying).members.details(acme.member_id).accounts == ()
