"""The window in which the node's head is known without asking (geth's Clique refuses blocks ahead
of its clock, and each block is at least the period after its parent): open only on geth with a
known period, closed at ``timestamp + period - margin - lead``, shut for good by a gap shorter than
the period, narrowed by a node whose clock runs ahead."""

from __future__ import annotations

import pytest

from consortium_evm.enforce.gateway.blocktime import BlockClock, refuses_future_blocks

GETH = "Geth/v1.13.15-stable-c5ba367e/linux-amd64/go1.22.0"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _clock(period: float | None = 5, margin: float = 0.1, client: str | None = GETH) -> tuple[BlockClock, Clock]:
    now = Clock(1_000.2)
    clock = BlockClock(period, margin, now=now)
    clock.client(client)
    return clock, now


@pytest.mark.parametrize("version, trusted", [
    (GETH, True),
    ("Geth/v1.10.3-stable-4ad8a4fc(quorum-v24.4.1)/linux-amd64/go1.21.1", False),
    ("besu/v24.3.0/linux-x86_64/openjdk-java-17", False),
    ("anvil/v1.7.1", False),
    ("Nethermind/v1.25.4", False),
    ("", False),
])
def test_only_geth_is_trusted_to_refuse_blocks_ahead_of_its_clock(version: str, trusted: bool) -> None:
    assert refuses_future_blocks(version) is trusted


def test_the_head_is_settled_from_its_arrival_until_the_period_minus_the_margin() -> None:
    clock, now = _clock()
    assert clock.settled() is None  # nothing notified yet
    clock.seen(7, 1_000)
    assert clock.settled() == 7
    now.now = 1_004.89
    assert clock.settled() == 7
    now.now = 1_004.9  # timestamp + period - margin: the node may have block 8 soon
    assert clock.settled() is None
    assert clock.window().open


@pytest.mark.parametrize("period, client, why", [
    (None, GETH, "block period is not configured"),
    (5, "besu/v24.3.0", "may import blocks ahead of its clock"),
    (5, None, "unknown client"),
])
def test_without_a_period_or_on_another_client_the_head_is_never_settled(period: float | None, client: str | None,
                                                                        why: str) -> None:
    clock, _ = _clock(period=period, client=client)
    clock.seen(7, 1_000)
    assert clock.settled() is None
    assert not clock.window().open and why in clock.window().reason


def test_before_the_client_is_known_the_head_is_not_settled() -> None:
    clock = BlockClock(5, now=Clock(1_000.2))
    clock.seen(7, 1_000)
    assert clock.settled() is None and not clock.window().open


def test_a_gap_shorter_than_the_configured_period_shuts_the_window_for_good() -> None:
    clock, now = _clock(period=5)
    clock.seen(7, 1_000)
    now.now = 1_002.1
    clock.seen(8, 1_002)  # the chain's period is not 5 s: the configuration is wrong
    assert clock.settled() is None
    assert "less than the configured block period" in clock.window().reason
    now.now = 1_010.1
    clock.seen(9, 1_010)
    assert clock.settled() is None  # not back: a wrong period is not trusted again


def test_a_skipped_notification_is_no_evidence_against_the_period() -> None:
    clock, now = _clock(period=5)
    clock.seen(7, 1_000)
    now.now = 1_006.1
    clock.seen(9, 1_006)  # block 8 never notified: two blocks in 6 s says nothing about one gap
    assert clock.settled() == 9


def test_a_node_clock_ahead_of_the_gateways_narrows_the_window_by_as_much() -> None:
    clock, now = _clock(period=5, margin=0.1)
    now.now = 999.5
    clock.seen(7, 1_000)  # arrived 0.5 s before its own timestamp: the node's clock is 0.5 s ahead
    assert clock.lead == 0.5
    assert clock.settled() == 7
    now.now = 1_004.39
    assert clock.settled() == 7
    now.now = 1_004.4  # 1_000 + 5 - 0.1 - 0.5: when the node's clock reads the next block's time
    assert clock.settled() is None


def test_a_node_clock_far_ahead_closes_the_window_for_good() -> None:
    clock, now = _clock(period=5)
    now.now = 998.0
    clock.seen(7, 1_000)  # 2 s ahead
    assert clock.settled() is None and "far ahead" in clock.window().reason


def test_timestamps_in_another_unit_close_the_window() -> None:
    clock, _ = _clock(period=1)
    clock.seen(7, 1_000 * 10**9)  # nanoseconds (Raft's): far ahead of any clock
    assert clock.settled() is None


def test_a_new_subscription_waits_for_a_notified_block() -> None:
    clock, _ = _clock()
    clock.seen(7, 1_000)
    clock.restart()
    assert clock.settled() is None
    clock.seen(8, 1_000)
    assert clock.settled() == 8
