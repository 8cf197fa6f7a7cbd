"""The window in which the node's head is known without asking (geth's Clique refuses blocks ahead
of its clock, and each block is at least the period after its parent): open only on geth with a
known period, closed at ``timestamp + period - margin - lead`` (earlier after a late block: a fork
from before it), shut for good by blocks closer than the period or not Clique's, narrowed by a node
whose clock runs ahead."""

from __future__ import annotations

import pytest

from consortium_evm.enforce.gateway.blocktime import FORK_HISTORY, BlockClock, refuses_future_blocks

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
    clock.seen(7, 1_000, 2)
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
    clock.seen(7, 1_000, 2)
    assert clock.settled() is None
    assert not clock.window().open and why in clock.window().reason


def test_before_the_client_is_known_the_head_is_not_settled() -> None:
    clock = BlockClock(5, now=Clock(1_000.2))
    clock.seen(7, 1_000, 2)
    assert clock.settled() is None and not clock.window().open


def test_a_gap_shorter_than_the_configured_period_shuts_the_window_for_good() -> None:
    clock, now = _clock(period=5)
    clock.seen(7, 1_000, 2)
    now.now = 1_002.1
    clock.seen(8, 1_002, 2)  # the chain's period is not 5 s: the configuration is wrong
    assert clock.settled() is None
    assert "less than the configured block period" in clock.window().reason
    now.now = 1_010.1
    clock.seen(9, 1_010, 2)
    assert clock.settled() is None  # not back: a wrong period is not trusted again


def test_blocks_whose_notifications_were_skipped_are_held_to_the_period_too() -> None:
    clock, now = _clock(period=5)
    clock.seen(7, 1_000, 2)
    now.now = 1_011.1
    clock.seen(9, 1_011, 2)  # block 8 never notified: two blocks in 11 s fit a 5 s period
    assert clock.settled() == 9
    now.now = 1_017.1
    clock.seen(11, 1_017, 2)  # blocks 10 and 11 in 6 s: they do not
    assert clock.settled() is None
    assert "block 11 came 17 s after block 7, less than the configured block period of 5 s allows for 4 block(s)" \
        in clock.window().reason


@pytest.mark.parametrize("difficulty", [0, 3, None])
def test_a_block_that_is_not_cliques_shuts_the_window_for_good(difficulty: int | None) -> None:
    clock, now = _clock(period=5)
    clock.seen(7, 1_000, 2)
    clock.seen(7, 1_000, 1)  # in turn 2, out of turn 1: both Clique
    assert clock.settled() == 7
    now.now = 1_005.1
    clock.seen(8, 1_005, difficulty)  # proof of stake (and geth --dev) seal with 0; none: not said
    assert clock.settled() is None and "not a Clique block" in clock.window().reason
    now.now = 1_010.1
    clock.seen(9, 1_010, 2)
    assert clock.settled() is None


def test_after_a_late_block_the_window_ends_when_a_fork_from_before_it_could_have_the_next_block() -> None:
    clock, now = _clock(period=5, margin=0.1)
    clock.seen(7, 1_000, 2)
    now.now = 1_008.1
    clock.seen(8, 1_008, 2)  # 3 s late: a fork from block 7 may hold a block 8 at 1_005 and a block 9 at 1_010
    assert clock.settled() == 8
    now.now = 1_009.89
    assert clock.settled() == 8
    now.now = 1_009.9  # 1_010 - margin, not 1_013 - margin: a heavier fork's block 9 may be imported now
    assert clock.settled() is None
    now.now = 1_013.1
    clock.seen(9, 1_013, 2)  # the fork's block 10 may be at 1_015, before 1_018
    now.now = 1_014.89
    assert clock.settled() == 9
    now.now = 1_014.9
    assert clock.settled() is None


def test_a_late_block_narrows_the_window_only_while_it_is_among_the_blocks_remembered() -> None:
    clock, now = _clock(period=1, margin=0.1)
    clock.seen(1, 1_000, 2)
    now.now = 1_003.1
    clock.seen(2, 1_003, 2)  # 2 s late
    for number in range(3, FORK_HISTORY + 1):  # on time after it: a fork from block 1 would still be earlier
        now.now = 1_001 + number + 0.1
        clock.seen(number, 1_001 + number, 2)
        assert clock.settled() is None and clock.window().open
    last = FORK_HISTORY + 1
    now.now = 1_001 + last + 0.1
    clock.seen(last, 1_001 + last, 2)  # block 1 has left the history
    assert clock.settled() == last


def test_a_head_below_a_notified_block_is_not_settled_until_a_head_above_it() -> None:
    clock, now = _clock(period=5)
    clock.seen(7, 1_000, 2)
    now.now = 1_005.1
    clock.seen(8, 1_005, 1)
    clock.seen(7, 1_000, 2)  # the node went back to block 7 (a heavier chain there): block 8 may come back any time
    assert clock.settled() is None and clock.window().open
    now.now = 1_010.1
    clock.seen(9, 1_010, 2)
    assert clock.settled() == 9


def test_the_lead_is_measured_at_the_notifications_arrival_not_when_it_is_read() -> None:
    clock, now = _clock(period=5, margin=0.1)
    now.now = 999.6
    arrived = clock.arrival()  # the node's clock is 0.4 s ahead: block 7 arrived 0.4 s before its time
    now.now = 1_000.3  # ... but the gateway's loop read it 0.7 s later
    clock.seen(7, 1_000, 2, arrived)
    assert clock.lead == pytest.approx(0.4)
    now.now = 1_004.49
    assert clock.settled() == 7
    now.now = 1_004.5  # 1_005 - 0.1 - 0.4: the node's clock reads block 8's time
    assert clock.settled() is None


def test_a_node_clock_ahead_of_the_gateways_narrows_the_window_by_as_much() -> None:
    clock, now = _clock(period=5, margin=0.1)
    now.now = 999.5
    clock.seen(7, 1_000, 2)  # arrived 0.5 s before its own timestamp: the node's clock is 0.5 s ahead
    assert clock.lead == 0.5
    assert clock.settled() == 7
    now.now = 1_004.39
    assert clock.settled() == 7
    now.now = 1_004.4  # 1_000 + 5 - 0.1 - 0.5: when the node's clock reads the next block's time
    assert clock.settled() is None


def test_a_node_clock_far_ahead_closes_the_window_for_good() -> None:
    clock, now = _clock(period=5)
    now.now = 998.0
    clock.seen(7, 1_000, 2)  # 2 s ahead
    assert clock.settled() is None and "far ahead" in clock.window().reason


def test_timestamps_in_another_unit_close_the_window() -> None:
    clock, _ = _clock(period=1)
    clock.seen(7, 1_000 * 10**9, 2)  # nanoseconds (Raft's): far ahead of any clock
    assert clock.settled() is None


def test_a_new_subscription_waits_for_a_notified_block() -> None:
    clock, now = _clock()
    clock.seen(7, 1_000, 2)
    clock.restart()
    assert clock.settled() is None
    now.now = 1_005.2
    clock.seen(8, 1_005, 2)
    assert clock.settled() == 8


@pytest.mark.parametrize("number, timestamp, difficulty", [
    (2**1100, 1_005, 2),  # beyond a float: the window's end would overflow at every request
    (8, 2**1100, 2),  # the lead would overflow
    (-8, 1_005, 2),  # int("-0x8", 16) parses
    (8, 1_005, 2**20_000),  # beyond 4300 digits: the reason's text itself would raise
], ids=["huge number", "huge timestamp", "negative number", "huge difficulty"])
def test_a_block_out_of_any_chains_range_shuts_the_window_and_breaks_nothing(number: int, timestamp: int,
                                                                              difficulty: int) -> None:
    clock, now = _clock(period=5.0)
    clock.seen(7, 1_000, 2)
    now.now = 1_005.1
    clock.seen(number, timestamp, difficulty)
    assert clock.settled() is None and not clock.window().open
    now.now = 1_010.1
    clock.seen(9, 1_010, 2)  # the notifications and the requests that follow do not raise
    assert clock.settled() is None and "out of range" in clock.window().reason


def test_a_block_read_at_the_start_bounds_forks_from_before_the_first_notified_block() -> None:
    clock, now = _clock(period=5, margin=0.1)
    clock.remember(16, 1_000)  # read, not notified: the chain as it was before the gateway started
    now.now = 1_008.1
    clock.seen(17, 1_008, 2)  # 3 s late: a fork from block 16 may hold a block 18 at 1_010
    now.now = 1_009.89
    assert clock.settled() == 17
    now.now = 1_009.9
    assert clock.settled() is None


def test_a_block_the_node_would_not_give_shuts_the_window() -> None:
    clock, _ = _clock(period=5)
    clock.remember(16, None)
    clock.seen(17, 1_000, 2)
    assert clock.settled() is None and "did not give block 16" in clock.window().reason


def test_blocks_of_a_branch_the_node_left_are_not_held_to_the_period() -> None:
    clock, now = _clock(period=5, margin=0.1)
    clock.seen(9, 1_000, 2)
    now.now = 1_007.1
    clock.seen(10, 1_007, 1)  # an out-of-turn block 10, 2 s late
    clock.seen(10, 1_005, 2)  # the node takes the in-turn block 10, on time: it left the first
    now.now = 1_010.1
    clock.seen(11, 1_010, 2)  # 3 s after the block 10 it left: not a wrong period
    assert clock.window().open, clock.window().reason
    assert clock.settled() == 11
    now.now = 1_011.2
    clock.seen(12, 1_011, 2)  # 1 s after block 11, its parent: a wrong period
    assert "less than the configured block period" in clock.window().reason
