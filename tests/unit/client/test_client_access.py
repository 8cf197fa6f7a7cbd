"""``client.access`` on the embedded chain: the same answers the chain's clients get from the
ingress (``transactionAllowed``, ``connectionAllowed``), for members' accounts by role, contract
creation, a suspended member, an account allowed on its own, and nodes matched by enode id or by
id, host and port."""

from __future__ import annotations

import pytest

from consortium_evm.client import ConsortiumClient, NodeMatch, NodeSpec
from consortium_evm.errors import ConfigError
from tests.support.client import make_client, pass_proposal
from tests.support.consortium import Env, enode

ZERO = "0x0000000000000000000000000000000000000000"


def ingress_transaction(env: Env, sender: str, target: str | None) -> bool:
    return bool(env.ingress.functions.transactionAllowed(sender, target or ZERO, 0, 0, 0, b"").call())


def ingress_connection(env: Env, enode_id: str, host: str, port: int) -> bool:
    return bool(env.ingress.functions.connectionAllowed(enode_id, host, port).call())


def account_answers(env: Env, client: ConsortiumClient, accounts: list[str]) -> dict[str, tuple[bool, bool]]:
    """Each account's (transact, deploy) answers from the client, checked against the ingress and
    against a client without the ingress address (which asks the Consortium, the rules in force)."""
    bare = make_client(env, ingress=False)
    answers = {}
    for account in accounts:
        pair = (client.access.account_allowed(account, env.spare[9]), client.access.account_allowed(account, None))
        assert pair == (ingress_transaction(env, account, env.spare[9]), ingress_transaction(env, account, None))
        assert pair == (bare.access.account_allowed(account, env.spare[9]), bare.access.account_allowed(account, None))
        answers[account] = pair
    return answers


def test_accounts_by_role_membership_and_governance(env: Env, client: ConsortiumClient) -> None:
    f1, f3 = env.founders[0], env.founders[2]
    deployer, service = env.spare[1], env.spare[2]
    client.members.add_accounts({deployer: "deploy"})
    accounts = [f1.admin, f1.user, f3.user, deployer, service, env.deployer]
    assert account_answers(env, client, accounts) == {
        f1.admin: (True, False), f1.user: (True, False), f3.user: (True, False),
        deployer: (False, True), service: (False, False), env.deployer: (False, False),
    }
    assert client.access.account_allowed(f1.user, env.spare[9], value=10**18, gas_price=1, gas_limit=10**6,
                                         payload=b"\x12\x34")
    pass_proposal(client, env, [client.actions.suspend_member(3), client.actions.allow_account(service, "transact")],
                  "suspend 3; allow a service account", founders=(0, 1))
    after = account_answers(env, client, accounts)
    assert after[f3.user] == (False, False)  # suspended: no access
    assert after[service] == (True, False)  # allowed on its own, belonging to no member
    assert after[f1.user] == (True, False) and after[deployer] == (False, True)
    assert client.members.account(service).member_id == 0 and client.members.account(service).active


def test_nodes_by_url_or_id_host_port_and_matching_mode(env: Env, reader: ConsortiumClient,
                                                          client: ConsortiumClient) -> None:
    node = env.founders[1].node
    url = f"enode://{node.enode_id}@{node.host}:{node.port}"
    elsewhere = ("192.168.7.7", 30399)
    unknown = NodeSpec(enode(88), node.host, node.port)

    def check(enode_or_url: str, host: str | None, port: int | None, expected: bool) -> None:
        answer = reader.access.node_allowed(enode_or_url, host, port)
        assert answer is expected, (enode_or_url, host, port)
        if host is not None and port is not None:
            assert ingress_connection(env, enode_or_url, host, port) is expected

    # matched by enode id alone (the default): wherever the node connects from, in every id form
    for form in (node.enode_id, "0x" + node.enode_id, node.enode_id.upper()):
        check(form, node.host, node.port, True)
        check(form, *elsewhere, True)
    assert reader.access.node_allowed(url) and reader.access.node_allowed(node.enode_id)
    assert reader.access.node_allowed(url + "?discport=0")
    check(unknown.enode_id, node.host, node.port, False)
    assert not reader.access.node_allowed(f"enode://{unknown.enode_id}@{node.host}:{node.port}")

    pass_proposal(client, env, client.actions.set_node_match(NodeMatch.ENODE_ID_HOST_PORT), "match host and port")
    assert reader.status().node_match == NodeMatch.ENODE_ID_HOST_PORT
    check(node.enode_id, node.host, node.port, True)
    assert reader.access.node_allowed(url)
    check(node.enode_id, *elsewhere, False)
    check(node.enode_id, node.host, node.port + 1, False)
    assert not reader.access.node_allowed(node.enode_id)  # no host and port to match
    assert not reader.access.node_allowed(f"enode://{node.enode_id}@{elsewhere[0]}:{node.port}")


def test_node_questions_that_make_no_sense_are_refused(env: Env, reader: ConsortiumClient) -> None:
    node = env.founders[0].node
    with pytest.raises(ConfigError):
        reader.access.node_allowed(f"enode://{node.enode_id}@{node.host}:{node.port}", node.host, node.port)
    for bad in ("enode://abc@h:1", "abc", "0x" + "g" * 128):
        with pytest.raises(ConfigError):
            reader.access.node_allowed(bad)


def test_answers_are_read_as_the_nodes_read_them(env: Env) -> None:
    """Rules answering 64 bytes ``(true, 0)`` or reverting: the nodes refuse (only exactly 32 bytes
    holding 1 is yes), and so does ``client.access`` (one reading: ``domain.permission.is_allowed``),
    where a decoder would have read the first word as true."""
    from consortium_evm.client import ConsortiumClient
    from tests.support.permissioning import deploy

    member = env.founders[0].admin
    padded = deploy(env, "PaddedAnswerRules", [env.consortium.address], env.spare[3])
    raw = env.w3.eth.call({"to": padded.address, "data": padded.encode_abi(
        "transactionAllowed", [member, env.spare[1], 0, 0, 0, b""])})
    assert len(raw) == 64 and int.from_bytes(raw[:32], "big") == 1  # a decoder would say True
    client = ConsortiumClient.from_web3(env.w3, env.consortium.address, padded.address)
    assert client.access.account_allowed(member, env.spare[1]) is False
    assert client.access.node_allowed(env.founders[0].node.enode_id, "10.0.0.1", 30303) is False
    faulty = deploy(env, "FaultyRules", [1, True, member], env.spare[3])  # Mode.Revert, broken
    client = ConsortiumClient.from_web3(env.w3, env.consortium.address, faulty.address)
    assert client.access.account_allowed(member, env.spare[1]) is False
    honest = ConsortiumClient.from_web3(env.w3, env.consortium.address, env.ingress.address)
    assert honest.access.account_allowed(member, env.spare[1]) is True
