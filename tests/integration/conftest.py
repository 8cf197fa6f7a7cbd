"""Fixtures for tests against real local geth Clique networks (geth 1.13 via ./dev or
``bash scripts/install_geth.sh``; skipped with the reason when no geth is found).

Every network a test starts is stopped in teardown, also when the test fails."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from consortium_evm.localnet.start import start_network
from consortium_evm.localnet.stop import stop_network
from consortium_evm.node.anvil import AnvilNode, start_anvil
from consortium_evm.node.errors import NodeError
from consortium_evm.node.geth import GethBinary, find_geth
from consortium_evm.node.state import NetworkState
from tests.support.localnet import TEST_CHAIN_ID, StartNetwork

_ids = itertools.count(1)


@pytest.fixture(scope="session")
def geth() -> GethBinary:
    """The geth 1.13 the local networks run; the test is skipped (with the reason) without one."""
    try:
        return find_geth()
    except NodeError as exc:
        pytest.skip(f"no usable geth 1.13 for the local Clique network: {exc}")


@pytest.fixture(scope="module")
def network_factory(
    geth: GethBinary, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartNetwork]:
    """Call ``start(signers=N)`` to get a running network (fresh folder, 1 s blocks); all of the
    module's networks are stopped when the module ends, whatever happened."""
    roots: list[Path] = []

    def start(signers: int = 1, period: int = 1, chain_id: int = TEST_CHAIN_ID) -> NetworkState:
        root = tmp_path_factory.mktemp(f"clique{next(_ids)}-{signers}signer")
        roots.append(root)
        return start_network(root, signers=signers, period=period, chain_id=chain_id, timeout=60, log=None)

    try:
        yield start
    finally:
        for root in roots:
            stop_network(root, timeout=10)


@pytest.fixture(scope="module")
def one_signer(network_factory: StartNetwork) -> NetworkState:
    """A running one-signer network, shared by the module's tests."""
    return network_factory(signers=1)


@pytest.fixture(scope="module")
def two_signers(network_factory: StartNetwork) -> NetworkState:
    """A running two-signer network, shared by the module's tests."""
    return network_factory(signers=2)


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilNode]:
    """Anvil mining each transaction at once, on 127.0.0.1, shared by the module's tests and
    stopped by PID at the end."""
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()
