"""`permissioning preflight` (issue 16, item 4): what the rules would cut off, asked of the rules on
the embedded chain, with the node's admin and consensus answers from a double."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from click.testing import CliRunner
from eth_account import Account
from eth_utils.crypto import keccak

from tests.support.client import make_client
from tests.support.consortium import Env, enode, node_private_key
from consortium_evm.cli import main
from consortium_evm.node.errors import NodeError
from consortium_evm.enforce.preflight import preflight

OUTSIDER_NODE = "ab" * 64


def node_address(n: int) -> str:
    return Account.from_key(node_private_key(n)).address


def double(peers: Sequence[str], signers: Sequence[str], admin: bool = True) -> Any:
    """A node's answers: its own enode is founder 1's node; ``peers`` enode URLs; ``signers``."""
    def rpc(url: str, method: str, params: Sequence[Any]) -> Any:
        if method.startswith("admin_") and not admin:
            raise NodeError(f"{url} {method}: the method admin_peers does not exist/is not available")
        answers = {
            "admin_nodeInfo": {"enode": f"enode://{enode(1)}@10.0.0.1:30303?discport=0"},
            "admin_peers": [{"enode": p} for p in peers],
            "clique_getSigners": list(signers),
            "clique_proposals": {},
        }
        return answers[method]
    return rpc


def test_a_network_whose_nodes_and_senders_are_all_registered_is_clear(env: Env) -> None:
    client = make_client(env)
    peers = [f"enode://{enode(2)}@10.0.0.2:30303", f"enode://{enode(3)}@10.0.0.3:30303"]
    env.send(env.consortium.functions.proposalCount(), env.founders[0].admin)  # a member's transaction
    report = preflight(client, "http://node", "clique", blocks=1, rpc=double(peers, [node_address(1), node_address(2)]))
    assert report.clear and report.nodes == () and report.accounts == ()
    assert report.nodes_checked == 5 and report.accounts_checked >= 1
    assert report.validators_without_node == ()


def test_what_would_be_cut_off_is_named(env: Env) -> None:
    client = make_client(env)
    outsider = env.spare[3]
    # A transaction an outsider sent before the rules were in force (the embedded chain enforces nothing).
    sent = env.w3.eth.send_transaction({"from": outsider, "to": env.spare[4], "value": 1})
    env.w3.eth.wait_for_transaction_receipt(sent)
    # Initech (member 3) suspended: its node and its accounts are refused from now on.
    env.pass_proposal([env.call("suspendMember", 3)], "suspend Initech")
    unknown_signer = "0x" + bytes(keccak(text="no node"))[12:].hex()
    peers = [f"enode://{enode(2)}@10.0.0.2:30303", f"enode://{OUTSIDER_NODE}@10.9.9.9:30303?discport=0"]
    signers = [node_address(1), node_address(3), unknown_signer]
    report = preflight(client, "http://node", "clique", blocks=50, rpc=double(peers, signers))
    assert not report.clear
    assert [(n.role, n.enode, n.validator) for n in report.nodes] == [
        ("peer", f"enode://{OUTSIDER_NODE}@10.9.9.9:30303", None),
        ("validator", f"enode://{enode(3)}@10.0.0.3:30303", node_address(3)),
    ]
    # The outsider; the deployer (its bootstrap transactions); the account of no member that executed
    # the proposal; and Initech's admin, which voted before its member was suspended.
    refused = {a.address: a for a in report.accounts}
    assert set(refused) == {outsider, env.deployer, env.spare[0], env.founders[2].admin}
    assert refused[outsider].last_transaction == "0x" + bytes(sent).hex() and refused[outsider].transactions == 1
    assert env.founders[0].admin not in refused and env.founders[1].admin not in refused
    assert [v.lower() for v in report.validators_without_node] == [unknown_signer]


def test_on_goquorum_the_validators_are_asked_with_its_istanbul_methods(env: Env) -> None:
    answers = double([], [])

    def goquorum(url: str, method: str, params: Sequence[Any]) -> Any:  # no qbft_* methods (found on 24.4.1)
        if method == "istanbul_getValidators":
            return [node_address(1), node_address(2)]
        if method == "istanbul_candidates":
            return {}
        if not method.startswith("admin_"):
            raise NodeError(f"{url} {method}: the method {method} does not exist/is not available")
        return answers(url, method, params)

    report = preflight(make_client(env), "http://node", "qbft", blocks=0, rpc=goquorum, node_client="goquorum")
    assert report.clear and report.nodes_checked == 3 and report.validators_without_node == ()


def test_a_closed_admin_api_is_not_reported_as_clear(env: Env) -> None:
    report = preflight(make_client(env), "http://node", "clique", blocks=1, rpc=double([], [node_address(1)], admin=False))
    assert not report.peers_listed and not report.clear and report.nodes == ()


def test_the_command_exits_1_and_prints_what_would_be_cut_off(env: Env, monkeypatch: Any) -> None:
    import consortium_evm.enforce.preflight.check as check

    monkeypatch.setattr(check, "_rpc", double([f"enode://{OUTSIDER_NODE}@10.9.9.9:30303"], [node_address(1)]))
    obj = {"client_factory": lambda options: make_client(env)}
    result = CliRunner().invoke(main, ["permissioning", "preflight", "--network", "tester", "--blocks", "3"], obj=obj)
    assert result.exit_code == 1, result.output
    assert "Nodes the rules would refuse" in result.output and OUTSIDER_NODE in result.output
    clear = double([f"enode://{enode(2)}@10.0.0.2:30303"], [node_address(1)])
    monkeypatch.setattr(check, "_rpc", clear)
    result = CliRunner().invoke(main, ["permissioning", "preflight", "--network", "tester", "--blocks", "0", "--json"],
                                obj=obj)
    assert result.exit_code == 0, result.output
    assert '"clear": true' in result.output
