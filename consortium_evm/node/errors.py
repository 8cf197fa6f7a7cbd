"""Errors of the local node tooling; all are :class:`~consortium_evm.errors.ConsortiumError`."""

from __future__ import annotations

from consortium_evm.errors import ConsortiumError


class NodeError(ConsortiumError):
    """A local node or network could not be set up, started, queried or stopped."""


class GethNotFoundError(NodeError):
    """No geth binary was found (GETH_BINARY, ``.tools/bin/geth``, ``geth`` on PATH)."""


class GethVersionError(NodeError):
    """A geth binary was found but it is not a 1.13.x release (the last that seals Clique)."""


class NetworkStartError(NodeError):
    """A local network was asked to start but did not come up (a node died or never got ready)."""
