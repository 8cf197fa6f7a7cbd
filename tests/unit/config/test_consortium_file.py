"""consortium.yaml: the shipped example loads, and every mistake is named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from consortium_evm.config.consortium_file import load_consortium
from consortium_evm.domain.spec import NodeMatch, Role
from consortium_evm.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "consortium.example.yaml"
ADMIN = "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF"
ID = "ab" * 64

BASE = f"""\
members:
  - name: Acme
    weight: 10
    accounts:
      - address: "{ADMIN}"
        roles: [admin, transact]
    nodes:
      - enode: "enode://{ID}@10.0.0.1:30303"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "consortium.yaml"
    path.write_text(text)
    return path


def test_the_shipped_example_loads() -> None:
    spec, digest = load_consortium(EXAMPLE)
    assert [m.name for m in spec.members] == ["Acme Bank", "Globex Logistics", "Initech Insurance"]
    assert spec.settings.voting_period == 3 * 86400 and spec.settings.execution_delay == 3600
    assert spec.settings.threshold_bps == 5001 and spec.settings.quorum_bps == 5000
    assert spec.members[0].accounts[0].roles == Role.ADMIN | Role.TRANSACT
    assert spec.members[1].nodes[0].host == "validator.globex.example"
    assert len(digest) == 64


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    spec, _ = load_consortium(write(tmp_path, BASE))
    assert spec.node_match == NodeMatch.ENODE_ID
    assert spec.limits.max_accounts == 1000
    assert spec.members[0].nodes[0].enode_id == ID and spec.members[0].nodes[0].port == 30303


def test_env_references_expand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_ADMIN", ADMIN)
    spec, _ = load_consortium(write(tmp_path, BASE.replace(f'"{ADMIN}"', '"${ACME_ADMIN}"')))
    assert spec.members[0].accounts[0].address == ADMIN


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("weight: 10", "weight: 0"), r"consortium.yaml:3: members\[0\].weight"),
        (lambda t: t.replace("weight: 10", "weight: 10\n    colour: red"), r"consortium.yaml:4: members\[0\].colour: unknown key"),
        (lambda t: t.replace(ADMIN, "0x1234"), r"consortium.yaml:5: members\[0\].accounts\[0\].address: .*not an Ethereum address"),
        (lambda t: t.replace("[admin, transact]", "[owner]"), r"consortium.yaml:6: members\[0\].accounts\[0\].roles\[0\]"),
        (lambda t: t.replace("@10.0.0.1:30303", "@10.0.0.1"), r"consortium.yaml:8: members\[0\].nodes\[0\]: enode must look like"),
        (lambda t: t + "governance:\n  voting_period: soon\n", r"consortium.yaml:10: governance.voting_period: 'soon' is not a duration"),
        (lambda t: t + "governance:\n  quorum: 120%\n", r"consortium.yaml:10: governance.quorum"),
        (lambda t: t + "node_match: ip\n", r"consortium.yaml:9: node_match"),
        (lambda t: t.replace("    nodes:\n      - enode: \"enode://" + ID + "@10.0.0.1:30303\"\n", ""), r"no founding member has a node"),
        (lambda t: t + t.split("\n", 1)[1].replace("Acme", "Beta"), r"listed twice"),
        (lambda t: t.replace("  - name: Acme", "  - name: Acme\n    name: Again"), r"consortium.yaml:3: .*duplicate key|consortium.yaml:3"),
        (lambda t: t.replace("members:", "members: [\n"), r"consortium.yaml:\d+"),
        (lambda t: "members: []\n", r"consortium.yaml:1: members"),
    ],
)
def test_mistakes_are_named_with_file_and_line(tmp_path: Path, change: object, expected: str) -> None:
    path = write(tmp_path, change(BASE))  # type: ignore[operator]
    with pytest.raises(ConfigError, match=expected):
        load_consortium(path)


def test_missing_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(ConfigError, match=r"consortium.yaml:5: members\[0\].accounts\[0\].address: .*NOT_SET_ANYWHERE"):
        load_consortium(write(tmp_path, BASE.replace(f'"{ADMIN}"', '"${NOT_SET_ANYWHERE}"')))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_consortium(tmp_path / "absent.yaml")


# -- issue 14, item 12: a founding member without an admin account ------------------------------

OBSERVER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
WITH_OBSERVER = BASE + f"""\
  - name: Observer
    weight: 5
    accounts:
      - address: "{OBSERVER}"
        roles: [transact]
"""


def test_a_founding_member_without_an_admin_account_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, WITH_OBSERVER)
    with pytest.raises(ConfigError) as info:
        load_consortium(path)
    message = str(info.value)
    assert message.startswith(f"{path}:9: members[1]: member 'Observer' has no admin account")
    assert "weight (5) would never count" in message and "no_admin: true" in message
    # no accounts at all: the same
    with pytest.raises(ConfigError, match=r"consortium.yaml:9: members\[1\]: member 'Observer' has no admin account"):
        load_consortium(write(tmp_path, BASE + "  - name: Observer\n    weight: 5\n"))


def test_no_admin_true_says_a_member_starts_without_an_admin_on_purpose(tmp_path: Path) -> None:
    text = WITH_OBSERVER.replace("    weight: 5\n", "    weight: 5\n    no_admin: true\n")
    spec, _ = load_consortium(write(tmp_path, text))
    observer = spec.members[1]
    assert observer.name == "Observer" and observer.weight == 5
    assert [a.roles for a in observer.accounts] == [Role.TRANSACT]
    spec, _ = load_consortium(write(tmp_path, BASE + "  - name: Observer\n    weight: 5\n    no_admin: true\n"))
    assert spec.members[1].accounts == ()


def test_no_admin_true_with_an_admin_account_is_a_contradiction(tmp_path: Path) -> None:
    text = BASE.replace("    weight: 10\n", "    weight: 10\n    no_admin: true\n")
    with pytest.raises(ConfigError, match=r"consortium.yaml:4: members\[0\].no_admin: member 'Acme' says no_admin: true but"):
        load_consortium(write(tmp_path, text))
    with pytest.raises(ConfigError, match=r"consortium.yaml:4: members\[0\].no_admin: Input should be a valid boolean"):
        load_consortium(write(tmp_path, text.replace("no_admin: true", "no_admin: perhaps")))
