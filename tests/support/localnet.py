"""What the real-node tests share besides their fixtures (``tests/integration/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable

from consortium_evm.node.state import NetworkState

StartNetwork = Callable[..., NetworkState]
"""The ``network_factory`` fixture: starts a local Clique network (signers, period, chain id)."""

TEST_CHAIN_ID = 31_337_013
"""The chain id of the networks the tests start (unlike any real network's)."""
