"""``validators sync`` and ``validators list`` on IBFT 2.0 and QBFT (header mode) nodes.

No client with the ``ibft_*``/``qbft_*`` methods installs on this machine (Besu needs a JVM and
is not on the package registries we use), so these tests run against a local JSON-RPC double that
follows Besu's documented method names and parameters (tests/besu_rpc_double.py). They check the
exact calls ``sync`` issues, and that a second run issues none that vote. The Clique path runs on
real geth nodes in tests/integration/test_genesis_clique.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.besu_rpc_double import BesuRpcDouble
from click.testing import CliRunner
from web3 import Web3

from consortium_evm.chain.validators import NodeValidators, Vote, plan_sync, sync_validators
from consortium_evm.cli import main
from consortium_evm.errors import ConfigError, RPCError

A, B, C, D, E = (Web3.to_checksum_address(f"0x{n:040x}") for n in (0xA1, 0xB2, 0xC3, 0xD4, 0xE5))


@pytest.fixture(params=["ibft", "qbft"])
def node(request: pytest.FixtureRequest) -> Iterator[BesuRpcDouble]:
    with BesuRpcDouble(request.param, on_chain=[A, B, C], validators=[A, B, D]) as double:
        yield double


def sync(double: BesuRpcDouble) -> object:
    consensus = "ibft2" if double.prefix == "ibft" else "qbft"
    return sync_validators(Web3(Web3.HTTPProvider(double.url)), double.url, consensus, double.validator_set)


def test_sync_proposes_the_difference_then_nothing_more(node: BesuRpcDouble) -> None:
    p = node.prefix
    result = sync(node)
    assert node.requests[-5:] == [
        (f"{p}_getValidatorsByBlockNumber", ["latest"]),
        (f"{p}_getPendingVotes", []),
        (f"{p}_proposeValidatorVote", [C, True]),
        (f"{p}_proposeValidatorVote", [D, False]),
        (f"{p}_getPendingVotes", []),
    ]
    assert result.pending_after == {C: True, D: False}  # type: ignore[attr-defined]

    before = len(node.writes())
    again = sync(node)
    assert node.writes()[before:] == []
    assert again.plan.empty  # type: ignore[attr-defined]


def test_once_the_votes_passed_sync_clears_them_and_then_is_quiet(node: BesuRpcDouble) -> None:
    p = node.prefix
    sync(node)
    node.apply_votes()
    sync(node)
    assert node.writes()[-2:] == [(f"{p}_discardValidatorVote", [C]), (f"{p}_discardValidatorVote", [D])]
    assert node.pending == {} and sorted(node.validators) == sorted([A, B, C])
    before = len(node.writes())
    sync(node)
    assert node.writes()[before:] == []


def test_a_vote_the_contract_no_longer_asks_for_is_discarded_or_reversed() -> None:
    with BesuRpcDouble("qbft", on_chain=[A, B], validators=[A, B, D], pending={E: True, D: True}) as double:
        sync(double)
        assert double.writes() == [
            ("qbft_discardValidatorVote", [E]),
            ("qbft_proposeValidatorVote", [D, False]),
        ]


def test_plan_is_a_pure_function_of_the_two_sets() -> None:
    plan = plan_sync([A, B], NodeValidators((A, C), {B: True}))
    assert plan.votes == (Vote(C, False),) and plan.discards == ()
    assert plan_sync([A], NodeValidators((A,), {})).empty


def test_a_refused_vote_is_one_error_naming_the_method() -> None:
    with BesuRpcDouble("qbft", on_chain=[A, C], validators=[A], refuse_votes=True) as double:
        with pytest.raises(RPCError, match="refused a validator vote.*qbft_proposeValidatorVote"):
            sync(double)


def test_a_network_without_header_votes_is_refused() -> None:
    with pytest.raises(ConfigError, match="consensus 'dev' has no validator votes"):
        sync_validators(Web3(), "http://127.0.0.1:1", "dev", A)


def networks_file(tmp_path: Path, double: BesuRpcDouble, consensus: str) -> Path:
    path = tmp_path / "networks.yaml"
    path.write_text(f"networks:\n  member:\n    url: {double.url}\n    chain_id: {double.chain_id}\n    consensus: {consensus}\n")
    return path


def test_cli_sync_and_list_against_a_besu_qbft_node(tmp_path: Path) -> None:
    with BesuRpcDouble("qbft", on_chain=[A, B, C], validators=[A, B]) as double:
        networks = networks_file(tmp_path, double, "qbft")
        (tmp_path / "deployments").mkdir()
        (tmp_path / "deployments" / "member.json").write_text(
            json.dumps({"contracts": {"ValidatorSet": {"address": double.validator_set}}})
        )
        base = ["--network", "member", "--networks", str(networks), "--deployments", str(tmp_path / "deployments")]
        runner = CliRunner()
        listed = runner.invoke(main, ["validators", "list", *base])
        assert listed.exit_code == 0, listed.output
        assert f"{C}  yes       no" in listed.output and "NOT in sync" in listed.output
        synced = runner.invoke(main, ["validators", "sync", *base])
        assert synced.exit_code == 0, synced.output
        assert f"voted: add {C}" in synced.output and f"pending: add {C}" in synced.output
        again = runner.invoke(main, ["validators", "sync", *base, "--json"])
        assert json.loads(again.output)["voted"] == []
        assert double.writes() == [("qbft_proposeValidatorVote", [C, True])]


def test_cli_without_a_validator_set_in_the_manifest_says_what_to_do(tmp_path: Path) -> None:
    with BesuRpcDouble("ibft", on_chain=[A], validators=[A]) as double:
        networks = networks_file(tmp_path, double, "ibft2")
        (tmp_path / "deployments").mkdir()
        (tmp_path / "deployments" / "member.json").write_text(json.dumps({"contracts": {"Consortium": {"address": A}}}))
        result = CliRunner().invoke(main, ["validators", "sync", "--network", "member", "--networks", str(networks),
                                           "--deployments", str(tmp_path / "deployments")])
        assert result.exit_code == 3
        assert "has no ValidatorSet" in result.output and "--validator-set" in result.output
        assert len(result.output.strip().splitlines()) == 1


# -- GoQuorum: the istanbul_* methods (issue 16, item 1) ---------------------------------------------


def test_sync_on_goquorum_votes_with_istanbul_methods_then_is_quiet() -> None:
    from tests.support.goquorum_rpc_double import GoQuorumRpcDouble

    with GoQuorumRpcDouble(on_chain=[A, B, C], validators=[A, B, D]) as double:
        w3 = Web3(Web3.HTTPProvider(double.url))
        result = sync_validators(w3, double.url, "qbft", double.validator_set, client="goquorum")
        assert double.requests[-5:] == [
            ("istanbul_getValidators", []),
            ("istanbul_candidates", []),
            ("istanbul_propose", [C, True]),
            ("istanbul_propose", [D, False]),
            ("istanbul_candidates", []),
        ]
        assert result.pending_after == {C: True, D: False}
        double.apply_votes()
        sync_validators(w3, double.url, "qbft", double.validator_set, client="goquorum")
        assert double.writes()[-2:] == [("istanbul_discard", [C]), ("istanbul_discard", [D])]
        before = len(double.writes())
        sync_validators(w3, double.url, "qbft", double.validator_set, client="goquorum")
        assert double.writes()[before:] == []
        # Besu's methods are not GoQuorum's: without `client: goquorum` the node is named as not answering.
        with pytest.raises(RPCError, match="does not answer its qbft validator methods"):
            sync_validators(w3, double.url, "qbft", double.validator_set)


def test_cli_lists_and_syncs_a_goquorum_node_named_in_networks_yaml(tmp_path: Path) -> None:
    from tests.support.goquorum_rpc_double import GoQuorumRpcDouble

    with GoQuorumRpcDouble(on_chain=[A, B, C], validators=[A, B]) as double:
        networks = tmp_path / "networks.yaml"
        networks.write_text(f"networks:\n  member:\n    url: {double.url}\n    chain_id: {double.chain_id}\n"
                            "    consensus: qbft\n    client: goquorum\n")
        base = ["--network", "member", "--networks", str(networks), "--validator-set", double.validator_set]
        listed = CliRunner().invoke(main, ["validators", "list", *base])
        assert listed.exit_code == 0, listed.output
        assert "NOT in sync" in listed.output
        synced = CliRunner().invoke(main, ["validators", "sync", *base, "--json"])
        assert synced.exit_code == 0, synced.output
        assert double.writes() == [("istanbul_propose", [C, True])]
