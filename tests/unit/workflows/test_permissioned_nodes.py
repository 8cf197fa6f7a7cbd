"""``permissioning nodes-file``: GoQuorum's ``permissioned-nodes.json`` from the registry (the nodes
of the active members), on the session's embedded chain, after members are voted in and suspended
through real proposals; the diff with the file it replaces; an empty list and a failed write leave
the old file as it was."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from consortium_evm.cli import main
from consortium_evm.client import ConsortiumClient, MemberSpec
from consortium_evm.deploy.manifest import FounderRecord
from consortium_evm.domain.goquorum import permissioned_nodes
from consortium_evm.domain.spec import AccountSpec, NodeSpec, Role
from consortium_evm.errors import ConfigError
from consortium_evm.workflows.permissioned_nodes import (
    active_member_enodes,
    permissioned_nodes_path,
    write_permissioned_nodes,
)
from tests.support.client import make_client, pass_proposal
from tests.support.consortium import Env, enode, node_private_key
from tests.support.governance import deploy_fresh


def url(node: NodeSpec) -> str:
    return f"enode://{node.enode_id}@{node.host}:{node.port}"


def founders_urls(env: Env) -> list[str]:
    return [url(f.node) for f in env.founders]


def admit_hooli(env: Env, n: int = 60) -> str:
    """Vote a fourth member in (a real proposal: the founders vote, it executes) with node ``n``;
    returns the node's enode URL."""
    client = make_client(env, env.founders[0].admin)
    member_id = client.members.next_member_id()
    node = client.members.signed_node(NodeSpec(enode(n), "10.0.0.60", 30360), node_private_key(n), member_id)
    spec = MemberSpec("Hooli", 20, accounts=(AccountSpec(env.spare[4], Role.ADMIN | Role.TRANSACT),), nodes=(node,))
    pass_proposal(client, env, client.actions.add_member(spec), "admit Hooli")
    assert client.members.get(member_id).active and client.members.get(member_id).node_count == 1
    return url(node)


def suspend(env: Env, member_id: int) -> None:
    client = make_client(env, env.founders[0].admin)
    pass_proposal(client, env, client.actions.suspend_member(member_id), f"suspend {member_id}")


def test_the_founders_nodes_as_the_deployment_writes_them(env: Env, tmp_path: Path) -> None:
    written = write_permissioned_nodes(make_client(env), network="gq", out_dir=tmp_path)
    assert written.path == tmp_path / "gq.goquorum" / "permissioned-nodes.json" == permissioned_nodes_path(tmp_path, "gq")
    # the same list, in the same order and shape, as the deployment's file from the consortium file
    assert json.loads(written.path.read_text()) == permissioned_nodes(founders_urls(env)) == list(written.enodes)
    assert written.count == 3 and not written.existed and written.added == written.enodes and written.removed == ()
    assert written.changed


def test_a_member_voted_in_appears_and_a_suspended_one_disappears(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "permissioned-nodes.json"
    client = make_client(env)
    first = write_permissioned_nodes(client, path=path)
    again = write_permissioned_nodes(client, path=path)
    assert again.existed and not again.changed and again.enodes == first.enodes

    hooli = admit_hooli(env)
    # Acme's admin registers a second node: it is listed with Acme's, before Globex's
    acme = make_client(env, env.founders[0].admin)
    second = acme.members.signed_node(NodeSpec(enode(61), "10.0.0.61", 30361), node_private_key(61), 1)
    acme.members.add_nodes([second])
    grown = write_permissioned_nodes(client, path=path)
    f1, f2, f3 = founders_urls(env)
    assert list(grown.enodes) == [f1, url(second), f2, f3, hooli]
    assert grown.added == (url(second), hooli) and grown.removed == ()
    assert json.loads(path.read_text()) == [f1, url(second), f2, f3, hooli]

    suspend(env, 3)  # Initech
    shrunk = write_permissioned_nodes(client, path=path)
    assert f3 not in shrunk.enodes and shrunk.removed == (f3,) and shrunk.added == ()
    assert json.loads(path.read_text()) == [f1, url(second), f2, hooli]
    # a node its member removes leaves the file too
    acme.members.remove_nodes([url(second)])
    assert write_permissioned_nodes(client, path=path).removed == (url(second),)
    assert json.loads(path.read_text()) == [f1, f2, hooli]
    # a removed member's nodes stay registered to it, refused: they leave the file
    pass_proposal(acme, env, acme.actions.remove_member(2), "remove Globex", founders=(0, 1))
    assert acme.members.by_node(f2) is not None and not acme.access.node_allowed(f2)
    assert write_permissioned_nodes(client, path=path).removed == (f2,)
    assert json.loads(path.read_text()) == [f1, hooli]


def test_the_nodes_are_in_member_order_whenever_registered(env: Env, tmp_path: Path) -> None:
    acme = make_client(env, env.founders[0].admin)
    f1, f2, f3 = founders_urls(env)
    acme.members.remove_nodes([f1])
    assert f1 not in active_member_enodes(acme)
    acme.members.add_nodes([acme.members.signed_node(f1, node_private_key(1), 1)])  # registered again, last
    assert list(active_member_enodes(acme)) == [f1, f2, f3]


def test_the_diff_is_against_the_file_there(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "permissioned-nodes.json"
    stale = f"enode://{'ab' * 64}@10.9.9.9:30303"
    f1, f2, f3 = founders_urls(env)
    path.write_text(json.dumps([f1, stale, f3]))
    written = write_permissioned_nodes(make_client(env), path=path)
    assert written.existed and written.added == (f2,) and written.removed == (stale,)
    assert json.loads(path.read_text()) == [f1, f2, f3]


def test_an_empty_list_is_refused_and_nothing_is_written(env: Env, tmp_path: Path) -> None:
    fresh = deploy_fresh(env)  # a Consortium with no member yet
    client = ConsortiumClient.from_web3(env.w3, fresh.address)
    path = tmp_path / "permissioned-nodes.json"
    with pytest.raises(ConfigError, match="no active member has a registered node") as info:
        write_permissioned_nodes(client, path=path)
    assert "not written" in str(info.value)
    assert not path.exists()
    path.write_text('["enode://old@10.0.0.1:30303"]\n')
    with pytest.raises(ConfigError):
        write_permissioned_nodes(client, path=path)
    assert path.read_text() == '["enode://old@10.0.0.1:30303"]\n'
    assert os.listdir(tmp_path) == ["permissioned-nodes.json"]


def test_a_failed_write_leaves_the_old_file(env: Env, tmp_path: Path, monkeypatch: Any) -> None:
    import consortium_evm.util.atomic as atomic

    path = tmp_path / "gq.goquorum" / "permissioned-nodes.json"
    path.parent.mkdir()
    old = json.dumps(founders_urls(env)[:1]) + "\n"
    path.write_text(old)

    def no_rename(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", no_rename)
    with pytest.raises(ConfigError, match="cannot write .*No space left on device; nothing was written"):
        write_permissioned_nodes(make_client(env), network="gq", out_dir=tmp_path)
    assert path.read_text() == old
    assert os.listdir(path.parent) == ["permissioned-nodes.json"]  # no temporary file left behind


def test_a_file_that_is_not_a_node_list_is_not_overwritten(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "permissioned-nodes.json"
    path.write_text('{"not": "a list"}')
    with pytest.raises(ConfigError, match="expected enode URLs.*nothing was written"):
        write_permissioned_nodes(make_client(env), path=path)
    assert path.read_text() == '{"not": "a list"}'


def test_the_path_needs_a_network_or_a_file(env: Env) -> None:
    with pytest.raises(ConfigError, match="give the network's name or the file's path"):
        write_permissioned_nodes(make_client(env))


def test_a_genesis_network_takes_its_founders_from_the_manifest(env: Env) -> None:
    """A chain whose genesis holds the registry has no NodeAdded events for its founders: their URLs
    come from the manifest's genesis.founders (or --nodes); without them the nodes are not left out
    silently."""
    after = int(env.w3.eth.block_number) + 1
    records = tuple(FounderRecord(f.member_id, (f.admin, f.user), ((f.node.enode_id, f.node.host, f.node.port),))
                    for f in env.founders)
    genesis_like = ConsortiumClient(env.w3, env.deployment.consortium, env.deployment.ingress, from_block=after,
                                    founders=records)
    assert list(active_member_enodes(genesis_like)) == founders_urls(env)

    bare = ConsortiumClient(env.w3, env.deployment.consortium, env.deployment.ingress, from_block=after)
    with pytest.raises(ConfigError) as info:
        active_member_enodes(bare)
    message = str(info.value)
    assert "Acme Bank (member 1): 1 of 1" in message and "Initech Insurance (member 3): 1 of 1" in message
    assert "--nodes FILE" in message
    # --nodes: known URLs count only for nodes the registry holds
    outsider = f"enode://{'cd' * 64}@10.9.9.9:30303"
    known = [u + "?discport=0" for u in founders_urls(env)] + [outsider]
    assert list(active_member_enodes(bare, known)) == founders_urls(env)
    # a node registered since (an event) is listed with its member's, in member order
    globex = make_client(env, env.founders[1].admin)
    added = globex.members.signed_node(NodeSpec(enode(62), "10.0.0.62", 30362), node_private_key(62), 2)
    globex.members.add_nodes([added])
    f1, f2, f3 = founders_urls(env)
    assert list(active_member_enodes(genesis_like)) == [f1, f2, url(added), f3]


# ------------------------------------------------------------------------------------- the command


def run(env: Env, *args: str) -> Any:
    obj = {"client_factory": lambda options: make_client(env)}
    return CliRunner().invoke(main, ["permissioning", "nodes-file", "--network", "gq", *args], obj=obj)


def test_the_command_writes_beside_the_deployments_and_reports_the_changes(env: Env, tmp_path: Path) -> None:
    result = run(env, "--deployments", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    path = tmp_path / "gq.goquorum" / "permissioned-nodes.json"
    assert data == {"path": str(path), "count": 3, "enodes": founders_urls(env), "existed": False,
                    "added": founders_urls(env), "removed": []}
    assert json.loads(path.read_text()) == founders_urls(env)

    hooli = admit_hooli(env)
    suspend(env, 2)  # Globex
    plain = run(env, "--deployments", str(tmp_path))
    assert plain.exit_code == 0, plain.output
    f1, f2, f3 = founders_urls(env)
    assert f"Wrote 3 enode URL(s) to {path}." in plain.output
    assert f"Added (1):\n  {hooli}\n" in plain.output and f"Removed (1):\n  {f2}\n" in plain.output
    assert json.loads(path.read_text()) == [f1, f3, hooli]

    out = tmp_path / "elsewhere.json"
    as_json = json.loads(run(env, "--out", str(out), "--json").stdout)
    assert as_json["path"] == str(out) and as_json["enodes"] == [f1, f3, hooli] and as_json["existed"] is False
    assert json.loads(out.read_text()) == [f1, f3, hooli]


def test_the_command_refuses_an_empty_list_with_a_config_error(env: Env, tmp_path: Path) -> None:
    fresh = deploy_fresh(env)
    obj = {"client_factory": lambda options: ConsortiumClient.from_web3(env.w3, fresh.address)}
    out = tmp_path / "permissioned-nodes.json"
    result = CliRunner().invoke(main, ["permissioning", "nodes-file", "--network", "gq", "--out", str(out), "--json"],
                                obj=obj)
    assert result.exit_code == 3 and result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["kind"] == "config" and "no active member has a registered node" in error["message"]
    assert not out.exists()
