"""Times as the package writes them for people."""

from __future__ import annotations

from datetime import datetime, timezone


def utc(timestamp: int) -> str:
    """A unix time as ``2026-12-01 19:37:38 UTC``."""
    return datetime.fromtimestamp(int(timestamp), tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
