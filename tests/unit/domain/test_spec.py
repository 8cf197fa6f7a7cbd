"""The consortium description is validated before anything is sent to a chain."""

from __future__ import annotations

import pytest

from consortium_evm.domain.spec import (
    AccountSpec,
    ConsortiumSpec,
    GovernanceSettings,
    MemberLimits,
    MemberSpec,
    NodeSpec,
    Role,
    node_key,
)
from consortium_evm.errors import ConfigError

ADMIN = "0x" + "11" * 20
USER = "0x" + "22" * 20
ENODE = "ab" * 64


def member(name: str = "Acme", weight: int = 10, admin: str = ADMIN, enode: str = ENODE) -> MemberSpec:
    return MemberSpec(name, weight, accounts=(AccountSpec(admin, Role.ADMIN | Role.TRANSACT),), nodes=(NodeSpec(enode, "10.0.0.1"),))


def test_roles_parse_names_and_reject_unknown_ones() -> None:
    assert Role.parse("transact, deploy") == Role.TRANSACT | Role.DEPLOY
    assert Role.parse(["admin"]) == Role.ADMIN
    with pytest.raises(ConfigError, match="unknown role 'owner'"):
        Role.parse("owner")
    with pytest.raises(ConfigError, match="at least one role"):
        Role.parse([])
    with pytest.raises(ConfigError, match="invalid role flags 8"):
        Role.parse(8)


def test_addresses_are_checked_and_checksummed() -> None:
    assert AccountSpec("0x" + "ab" * 20, Role.TRANSACT).address == "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"
    with pytest.raises(ConfigError, match="is not an Ethereum address"):
        AccountSpec("0x1234", Role.TRANSACT)


def test_enode_ids_accept_the_clients_forms_and_normalise() -> None:
    assert NodeSpec("0x" + ENODE.upper(), "h").enode_id == ENODE
    assert NodeSpec(ENODE, "h").key == node_key("0x" + ENODE)
    for bad in ("ab" * 63, "ab" * 65, "zz" * 64, ""):
        with pytest.raises(ConfigError, match="128 hex digits"):
            NodeSpec(bad, "h")
    with pytest.raises(ConfigError, match="port 0"):
        NodeSpec(ENODE, "h", 0)


@pytest.mark.parametrize("weight", [0, -1, 2**32, 1.5])
def test_weights_must_be_positive_32_bit_integers(weight: object) -> None:
    with pytest.raises(ConfigError, match="weight"):
        MemberSpec("Acme", weight)  # type: ignore[arg-type]


def test_a_consortium_needs_members_an_admin_and_a_node() -> None:
    with pytest.raises(ConfigError, match="at least one founding member"):
        ConsortiumSpec(members=())
    no_admin = MemberSpec("Acme", 1, accounts=(AccountSpec(USER, Role.TRANSACT),), nodes=(NodeSpec(ENODE, "h"),))
    with pytest.raises(ConfigError, match="no founding member has an admin"):
        ConsortiumSpec(members=(no_admin,))
    no_node = MemberSpec("Acme", 1, accounts=(AccountSpec(ADMIN, Role.ADMIN | Role.TRANSACT),))
    with pytest.raises(ConfigError, match="no founding member has a node"):
        ConsortiumSpec(members=(no_node,))


def test_duplicate_accounts_and_nodes_are_refused() -> None:
    with pytest.raises(ConfigError, match="listed twice"):
        ConsortiumSpec(members=(member("A"), member("B", enode="cd" * 64)))
    with pytest.raises(ConfigError, match="listed twice"):
        ConsortiumSpec(members=(member("A"), member("B", admin=USER)))


def test_member_limits_and_settings_bounds() -> None:
    ConsortiumSpec(members=(member(),), limits=MemberLimits(max_accounts=1, max_nodes=1))  # exactly at the caps
    two_nodes = MemberSpec(
        "A", 1, accounts=(AccountSpec(ADMIN, Role.ADMIN | Role.TRANSACT),), nodes=(NodeSpec(ENODE, "h"), NodeSpec("cd" * 64, "h"))
    )
    with pytest.raises(ConfigError, match="more accounts or nodes"):
        ConsortiumSpec(members=(two_nodes,), limits=MemberLimits(max_accounts=10, max_nodes=1))
    for field, value in [("quorum_bps", 0), ("quorum_bps", 10_001), ("threshold_bps", 0), ("voting_period", 0),
                         ("expiry_period", 0), ("voting_delay", 31 * 86400), ("execution_delay", 31 * 86400)]:
        with pytest.raises(ConfigError, match=field):
            GovernanceSettings(**{field: value})


def test_total_weight_must_fit_the_tallies() -> None:
    big = [MemberSpec(f"M{i}", 2**32 - 1, accounts=(AccountSpec("0x" + f"{i + 1:040x}", Role.ADMIN | Role.TRANSACT),),
                      nodes=(NodeSpec(f"{i + 1:0128x}", "h"),)) for i in range(257)]
    with pytest.raises(ConfigError, match="weights add up"):
        ConsortiumSpec(members=tuple(big))
