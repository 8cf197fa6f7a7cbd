"""Prometheus metrics of one gateway (its own registry): requests by method, refusals by reason,
upstream latency."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OTHER = "other"


class Metrics:
    """The gateway's counters and histogram. Method labels are capped (``max_methods`` distinct
    names, then ``other``): method names come from callers and must not grow the registry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, max_methods: int = 200) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_requests", "JSON-RPC requests received, by method (batch elements each count)",
            ["method"], registry=self.registry,
        )
        self.refusals = Counter(
            "gateway_refusals", "Requests refused by the gateway, by reason", ["reason"], registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "gateway_upstream_latency_seconds", "Time the node took to answer, by kind of request",
            ["kind"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.heads = Counter(
            "gateway_checks", "Permission checks by how the node's head was known: window (surely the "
            "subscription's, no round trip), confirmed, latest (asked at latest), asked", ["head"], registry=self.registry,
        )
        self._heads: dict[str, Any] = {}
        self._methods: dict[str, Any] = {}
        """method label -> its counter child (``labels()`` costs a lock and a lookup per call)."""
        self._max_methods = max_methods
        self._upstream: dict[str, Any] = {}

    def request(self, method: object) -> None:
        """Count one request for ``method``."""
        label = method if isinstance(method, str) and len(method) <= 64 else OTHER
        child = self._methods.get(label)
        if child is None:
            if len(self._methods) >= self._max_methods and label != OTHER:
                label = OTHER
            child = self._methods.get(label) or self.requests.labels(label)
            self._methods[label] = child
        child.inc()

    def refusal(self, reason: str) -> None:
        """Count one refusal (``reason`` is one of the gateway's own fixed words)."""
        self.refusals.labels(reason).inc()

    def observe_upstream(self, kind: str, seconds: float) -> None:
        """Record how long the node took (``kind``: forward, batch, rpc)."""
        child = self._upstream.get(kind)
        if child is None:
            child = self._upstream[kind] = self.upstream_latency.labels(kind)
        child.observe(seconds)

    def check(self, head: str) -> None:
        """Count one permission check by how its head was known (one of :mod:`.rules`' fixed words)."""
        child = self._heads.get(head)
        if child is None:
            child = self._heads[head] = self.heads.labels(head)
        child.inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
