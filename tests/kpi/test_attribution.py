"""Attribution by dimension: each segment's part of a KPI's change, and the channel quality verdict."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from kpi.attribution import (ChannelFlag, ChannelRow, Mode, SegmentSums, attribute, channel_flags, group_small)

S = SegmentSums


def contributions(result) -> dict:
    return {s.segment: pytest.approx(s.contribution, abs=1e-12) if s.contribution is not None else None
            for s in result.segments}


@pytest.mark.parametrize("rows, totals, expected, order", [
    # the guide's trap: channel A keeps its 10 % rate but grows from half to 80 % of the visitors;
    # B keeps 30 %. Nothing got worse inside a channel, yet the total falls 6 points: both "mix".
    ([S("A", 10, 100, 40, 400), S("B", 30, 100, 30, 100)], (0.2, 0.14, -0.06),
     {"A": -0.021, "B": -0.039}, ["B", "A"]),
    # only A's own rate moves (10 % -> 20 %), shares equal: A has all of the change
    ([S("A", 10, 100, 20, 100), S("B", 30, 100, 30, 100)], (0.2, 0.25, 0.05),
     {"A": 0.05, "B": 0.0}, ["A", "B"]),
    # a new segment C (no denominator before) at 40 % lifts the total; A loses share at a rate below the
    # average, which also lifts it
    ([S("A", 10, 100, 10, 100), S("C", 0, 0, 20, 50)], (0.1, 0.2, 0.1),
     {"A": 1 / 60, "C": 1 / 12}, ["C", "A"]),
    # a segment at 0 % that disappears (no denominator now): most of the rise is its leaving; A, above
    # the average, now has all the weight
    ([S("A", 30, 100, 30, 100), S("gone", 0, 100, 0, 0)], (0.15, 0.3, 0.15),
     {"A": 0.0375, "gone": 0.1125}, ["gone", "A"]),
])
def test_rate_contributions_add_up_to_the_change(rows, totals, expected, order):
    result = attribute(rows, Mode.RATE)
    assert (result.previous, result.current, result.change) == pytest.approx(totals)
    assert contributions(result) == {k: pytest.approx(v, abs=1e-12) for k, v in expected.items()}
    assert [s.segment for s in result.segments] == order
    assert sum(s.contribution for s in result.segments) == pytest.approx(result.change)
    assert result.reason is None


def test_rate_splits_into_rate_and_mix_effects():
    result = attribute([S("A", 10, 100, 40, 400), S("B", 30, 100, 30, 100)], "rate")
    a = next(s for s in result.segments if s.segment == "A")
    assert (a.previous, a.current, a.previous_weight, a.current_weight) == pytest.approx((0.1, 0.1, 0.5, 0.8))
    assert (a.rate_effect, a.mix_effect) == pytest.approx((0.0, -0.021))
    assert a.share_of_change == pytest.approx(0.35)
    assert result.top().segment == "B"


def test_sum_contributions_are_the_segments_own_changes():
    result = attribute([S("A", 100, None, 150, None), S("B", 50, None, 40, None), S(None, 10, None, 10, None)],
                       Mode.SUM)
    assert (result.previous, result.current, result.change) == (160, 200, 40)
    assert [(s.segment, s.contribution, s.share_of_change) for s in result.segments] == [
        ("A", 50, 1.25), ("B", -10, -0.25), (None, 0, 0.0)]
    assert [s.current_weight for s in result.segments] == [0.75, 0.2, 0.05]
    assert result.top().segment == "A"


@pytest.mark.parametrize("rows, mode, has_previous, reason, change", [
    ([S("A", 0, 0, 5, 10)], Mode.RATE, True, "zero_denominator", None),      # nothing to divide by before
    ([S("A", 5, 10, 0, 0)], Mode.RATE, True, "zero_denominator", None),      # ... or now
    ([S("A", 0, 0, 5, 10)], Mode.RATE, False, "missing_value", None),        # previous period not in the data
    ([S("A", 0, 0, 7, 0)], Mode.SUM, False, "missing_value", None),
    ([S("A", 3, 0, 3, 0)], Mode.SUM, True, None, 0.0),                       # no change: no shares of it
])
def test_no_previous_value_means_no_split(rows, mode, has_previous, reason, change):
    result = attribute(rows, mode, has_previous=has_previous)
    assert result.reason == reason
    assert result.change == change
    if change is None:
        assert all(s.contribution is None for s in result.segments)
        assert result.top() is None
    else:
        assert all(s.share_of_change is None for s in result.segments)


def test_current_values_stay_when_the_previous_period_is_missing():
    result = attribute([S("A", 0, 0, 5, 10), S("B", 0, 0, 1, 10)], Mode.RATE, has_previous=False)
    assert [(s.segment, s.current, s.current_weight, s.previous) for s in result.segments] == [
        ("A", 0.5, 0.5, None), ("B", 0.1, 0.5, None)]
    assert result.current == 0.3


def test_group_small_keeps_the_largest_and_sums_the_rest():
    rows = [S("A", 10, 100, 12, 110), S("B", 5, 50, 5, 40), S("C", 1, 10, 2, 12), S("D", 0, 5, 1, 4)]
    grouped = group_small(rows, 2)
    assert grouped == [S("A", 10, 100, 12, 110), S("B", 5, 50, 5, 40), S(None, 1, 15, 3, 16, merged=2)]
    assert attribute(grouped, Mode.RATE).change == pytest.approx(attribute(rows, Mode.RATE).change)
    assert group_small(rows[:3], 2) == rows[:3]           # one left over is not worth an "other" row
    sums = group_small([S("x", 1, 0, 100, 0), S("y", 50, 0, 2, 0), S("z", 3, 0, 3, 0), S("w", 0, 0, 0, 0)], 1,
                       Mode.SUM)
    assert [(s.segment, s.merged) for s in sums] == [("x", 0), (None, 3)]
    with pytest.raises(ValueError):
        group_small(rows, 0)


segments = hs.lists(hs.tuples(hs.integers(0, 50), hs.integers(0, 50), hs.integers(0, 50), hs.integers(0, 50)),
                    min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(segments)
def test_contributions_always_add_up_to_the_change(raw):
    rows = [S(f"s{i}", n0, n0 + d0, n1, n1 + d1) for i, (n0, d0, n1, d1) in enumerate(raw)]
    for mode in Mode:
        result = attribute(rows, mode)
        if result.change is None:
            assert result.reason == "zero_denominator"
            continue
        assert sum(s.contribution for s in result.segments) == pytest.approx(result.change, abs=1e-9)
        grouped = attribute(group_small(rows, 3, mode), mode)
        assert grouped.change == pytest.approx(result.change, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.tuples(hs.integers(0, 30), hs.integers(0, 30), hs.integers(0, 30), hs.integers(0, 30)),
                min_size=1, max_size=6))
def test_numerators_without_denominators_still_add_up(raw):
    rows = [S(f"s{i}", a, b if i % 2 else 0, c, d if i % 3 else 0) for i, (a, b, c, d) in enumerate(raw)]
    result = attribute(rows, Mode.RATE)
    if result.change is not None:
        assert sum(s.contribution for s in result.segments) == pytest.approx(result.change, abs=1e-9)


@pytest.mark.parametrize("rows, overall, d7, expected", [
    # the guide: twice the new users, a 10 % effective share -> the worse channel
    ([ChannelRow("cheap", 1000, 0.10), ChannelRow("good", 500, 0.60)], 0.27, None,
     [ChannelFlag.VOLUME_WITHOUT_QUALITY, ChannelFlag.OK]),
    # poor but small: low quality, not volume
    ([ChannelRow("big", 900, 0.50), ChannelRow("tiny", 100, 0.20)], 0.47, None,
     [ChannelFlag.OK, ChannelFlag.LOW_QUALITY]),
    # D7 retention alone can flag a channel
    ([ChannelRow("a", 500, 0.50, 0.05), ChannelRow("b", 500, 0.50, 0.30)], 0.50, 0.175,
     [ChannelFlag.VOLUME_WITHOUT_QUALITY, ChannelFlag.OK]),
    # nothing to judge by: no overall share, a channel without users or without a share
    ([ChannelRow("a", 10, 0.5), ChannelRow("b", 0, None)], None, None, [None, None]),
    ([ChannelRow("a", 10, None), ChannelRow("b", 0, 0.2)], 0.4, None, [None, None]),
    ([], 0.4, None, []),
])
def test_channel_flags(rows, overall, d7, expected):
    assert channel_flags(rows, overall, d7) == expected


def test_segment_rates_and_volume_shares():
    from kpi.attribution import ChannelRow, segment_rates, volume_shares

    assert segment_rates(["a", "b", "c"], [3, 0, 1], [4, 5, 0]) == {"a": 0.75, "b": 0.0, "c": None}
    rows = [ChannelRow("x", 30.0, 0.1), ChannelRow("y", 10.0, 0.5)]
    assert volume_shares(rows) == [0.75, 0.25]
    assert volume_shares([ChannelRow("x", 0.0, None)]) == [None]
