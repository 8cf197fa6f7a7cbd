"""What the real-node tests share besides their fixtures (``tests/integration/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from eth_account.signers.local import LocalAccount

from consortium_evm.config.consortium_file import load_consortium_file
from consortium_evm.genesis.build import generate_genesis
from consortium_evm.genesis.keys import NodeKey
from consortium_evm.node.state import NetworkState

StartNetwork = Callable[..., NetworkState]
"""The ``network_factory`` fixture: starts a local Clique network (signers, period, chain id)."""

TEST_CHAIN_ID = 31_337_013
"""The chain id of the networks the tests start (unlike any real network's)."""


FOUNDERS = (("Acme Bank", 40), ("Globex Logistics", 35), ("Initech Insurance", 25))


def genesis_consortium(tmp: Path, keys: Sequence[NodeKey], members: Sequence[LocalAccount], *, chain_id: int,
                       voting_period: int) -> tuple[Path, Path]:
    """Our Clique genesis for three founders (``members[i]`` the admin and ``keys[i]`` the node of
    founder i; ``keys[0]`` and ``keys[1]`` the signers; further keys are nodes no member registered):
    the consortium file written and the genesis generated under ``tmp``. Returns (consortium file,
    genesis output folder)."""
    lines = [f"governance:\n  voting_period: {voting_period}s\n  expiry_period: 1h\nmembers:\n"]
    for i, (name, weight) in enumerate(FOUNDERS):
        lines.append(
            f"  - name: {name}\n    weight: {weight}\n    accounts:\n"
            f"      - address: \"{members[i].address}\"\n        roles: [admin, transact]\n"
            f"    nodes:\n      - enode: \"{keys[i].enode(port=30303 + i)}\"\n"
        )
    lines.append(
        f"network:\n  chain_id: {chain_id}\n  block_period: 1\n"
        f"  validators: [\"{keys[0].address}\", \"{keys[1].address}\"]\n  alloc:\n"
        + "".join(f"    \"{m.address}\": 100 ether\n" for m in members)
    )
    consortium_file = tmp / "consortium.yaml"
    consortium_file.write_text("".join(lines))
    loaded = load_consortium_file(consortium_file)
    assert loaded.network is not None
    out = tmp / "genesis"
    generate_genesis("clique", loaded.spec, loaded.network, out, consortium_sha256=loaded.sha256)
    return consortium_file, out
