"""Funnel maths: step conversion, drop-off, worst step and segment, windows, periods."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi import funnel as fk

NAMES = ["Visit", "Add to cart", "Order", "Pay"]


def _r(x):
    return None if x is None else round(x, 6)


@pytest.mark.parametrize("users, prev, start, drop, lost, worst, overall", [
    ([1000, 500, 200, 150], [None, 0.5, 0.4, 0.75], [1.0, 0.5, 0.2, 0.15], [None, 0.5, 0.6, 0.25],
     [None, 500, 300, 50], 2, 0.15),
    ([10, 10, 10, 10], [None, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [None, 0.0, 0.0, 0.0], [None, 0, 0, 0], 1, 1.0),
    ([10, 0, 0, 0], [None, 0.0, None, None], [1.0, 0.0, 0.0, 0.0], [None, 1.0, None, None], [None, 10, 0, 0], 1,
     0.0),
    ([0, 0, 0, 0], [None, None, None, None], [None, None, None, None], [None] * 4, [None, 0, 0, 0], None, None),
    ([100, 120, 60, 60], [None, 1.2, 0.5, 1.0], [1.0, 1.2, 0.6, 0.6], [None, -0.2, 0.5, 0.0], [None, -20, 60, 0],
     2, 0.6),
])
def test_from_counts(users, prev, start, drop, lost, worst, overall):
    f = fk.from_counts(NAMES, users)
    assert [s.users for s in f.steps] == users
    assert [_r(s.from_previous) for s in f.steps] == prev
    assert [_r(s.from_start) for s in f.steps] == start
    assert [_r(s.drop_off) for s in f.steps] == drop
    assert [s.lost for s in f.steps] == lost
    assert f.worst == worst
    assert f.overall == overall


def test_reasons_for_missing_step_conversion():
    f = fk.from_counts(["a", "b", "c"], [5, 0, 0])
    assert [s.reason for s in f.steps] == ["first_step", None, "zero_denominator"]


def test_worst_step_tie_takes_the_first():
    f = fk.from_counts(["a", "b", "c"], [100, 50, 25])
    assert f.worst == 1


@pytest.mark.parametrize("users, code, params", [
    ([1000, 500, 200, 150], "worst_step",
     {"from_step": "Add to cart", "to_step": "Order", "drop_off": 0.6, "lost": 300, "from_previous": 0.4}),
    ([10, 10, 10, 10], "no_loss",
     {"from_step": "Visit", "to_step": "Add to cart", "drop_off": 0.0, "lost": 0, "from_previous": 1.0}),
    ([0, 0, 0, 0], "no_users", {}),
])
def test_worst_step_finding(users, code, params):
    finding = fk.from_counts(NAMES, users).finding
    assert (finding.code, dict(finding.params)) == (code, params)
    assert finding.key == f"funnel.finding.{code}"


def test_nobody_continues_when_the_first_step_has_users_but_no_ratio():
    f = fk.Funnel((fk.Step("a", 5, None, 1.0, None, None, "first_step"),), None, 1.0)
    assert f.finding.code == "nobody_continues"


@pytest.mark.parametrize("depths, expected", [
    ({1: 5, 2: 3, 3: 2}, [10, 5, 2]),
    ({3: 4}, [4, 4, 4]),
    ({}, [0, 0, 0]),
    ({1: 1, 3: 1}, [2, 1, 1]),
])
def test_reached_from_depths(depths, expected):
    assert fk.reached(depths, 3) == expected


def test_depth_and_segment_counts_from_rows():
    rows = [{"segment": "organic", "depth": 1, "users": 5}, {"segment": "organic", "depth": 3, "users": 2},
            {"segment": "paid", "depth": 2, "users": 4}, {"segment": None, "depth": 1, "users": 1}]
    assert fk.depth_counts(rows) == {1: 6, 2: 4, 3: 2}
    assert fk.depth_counts(rows, "paid") == {2: 4}
    assert fk.segment_counts(rows, 3) == {"organic": [7, 2, 2], "paid": [4, 4, 0], None: [1, 0, 0]}


def test_step_counts_from_aggregated_rows():
    rows = [{"segment": "web", "step": "Visit", "users": 1000.0}, {"segment": "web", "step": "Cart", "users": 300.0},
            {"segment": "app", "step": "Visit", "users": 500.0}, {"segment": "app", "step": "Cart", "users": 200.0},
            {"segment": "app", "step": "Cart", "users": 10.0}]
    assert fk.step_counts(rows, ["Visit", "Cart"]) == {"web": [1000, 300], "app": [500, 210]}


def test_compare_segments_names_the_worst_big_enough_segment():
    counts = {"organic": [400, 200, 100], "paid": [300, 120, 30], "tiny": [10, 1, 0], "referral": [100, 60, 40]}
    overall = fk.from_counts(["a", "b", "c"], [810, 381, 170])
    seg = fk.compare_segments(["a", "b", "c"], counts, overall, min_users=30)
    assert [s for s, _ in seg.funnels] == ["organic", "paid", "referral", "tiny"]
    assert seg.worst == "paid"
    assert seg.finding.code == "worst_segment"
    assert {k: round(v, 4) if isinstance(v, float) else v for k, v in seg.finding.params.items()} == {
        "segment": "paid", "rate": 0.1, "overall": 0.2099, "from_step": "b", "to_step": "c", "drop_off": 0.75}


@pytest.mark.parametrize("counts, worst, code", [
    ({"a": [100, 50]}, None, None),                                  # one segment: nothing to compare
    ({"a": [10, 5], "b": [20, 1]}, None, "segments_too_small"),      # all below min_users
    ({"a": [100, 0], "b": [100, 50]}, "a", "worst_segment"),
    ({None: [100, 10], "b": [100, 50]}, None, "worst_segment"),      # users with no value are a segment too
])
def test_compare_segments_edge_cases(counts, worst, code):
    seg = fk.compare_segments(["s1", "s2"], counts, min_users=30)
    assert seg.worst == worst
    assert (seg.finding.code if seg.finding else None) == code


@pytest.mark.parametrize("text, seconds", [
    ("7d", 604800), ("30m", 1800), ("12h", 43200), ("2w", 1209600), ("7", 604800), (" 3 H ", 10800), (7, 604800),
    ("", None), ("7 days", None), ("-1d", None), ("1.5h", None), ("d", None), (None, None),
])
def test_parse_window(text, seconds):
    assert fk.parse_window(text) == seconds


@pytest.mark.parametrize("seconds, text, split", [
    (604800, "7d", (7, "days")), (1800, "30m", (30, "minutes")), (43200, "12h", (12, "hours")),
    (90, "90s", (1, "minutes")), (86400 * 30, "30d", (30, "days")),
])
def test_format_and_split_window(seconds, text, split):
    assert fk.format_window(seconds) == text
    assert fk.split_window(seconds) == split


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 100_000), st.sampled_from(["m", "h", "d"]))
def test_window_round_trip(n, unit):
    seconds = fk.parse_window(f"{n}{unit}")
    assert fk.parse_window(fk.format_window(seconds)) == seconds


@pytest.mark.parametrize("events, expected", [
    (["view_product", "app_open", "add_to_cart", "sign_up", "begin_checkout", "purchase"],
     ["sign_up", "view_product", "add_to_cart", "begin_checkout", "purchase"]),
    (["Purchase", "Add_To_Cart", "View_Item", "page_view"], ["View_Item", "Add_To_Cart", "Purchase"]),
    (["open", "scroll", "tap", "share", "like"], ["open", "scroll", "tap", "share"]),
    (["sign_up", "purchase", "open"], ["sign_up", "purchase", "open"]),
    ([], []),
])
def test_default_steps(events, expected):
    assert fk.default_steps(events) == expected


@pytest.mark.parametrize("start, grain, end", [
    (date(2026, 1, 5), "day", date(2026, 1, 6)), (date(2026, 1, 5), "week", date(2026, 1, 12)),
    (date(2026, 1, 1), "month", date(2026, 2, 1)), (date(2026, 12, 1), "month", date(2027, 1, 1)),
])
def test_period_end(start, grain, end):
    assert fk.period_end(start, grain) == end


def test_conversion_over_time_marks_periods_still_converting():
    rows = [(date(2026, 1, 5), 10, 4), (date(2026, 1, 12), 8, 2), (date(2026, 1, 19), 0, 0)]
    got = fk.conversion_over_time(rows, "week", 7 * 86400, datetime(2026, 1, 26, 0, 0))
    assert [(p.start, p.entered, p.converted, p.rate, p.complete) for p in got] == [
        (date(2026, 1, 5), 10, 4, 0.4, True),     # closes 01-12 + 7 d = 01-19
        (date(2026, 1, 12), 8, 2, 0.25, True),    # closes 01-26: exactly at the end of the data
        (date(2026, 1, 19), 0, 0, None, False),
    ]
    assert [p.complete for p in fk.conversion_over_time(rows, "week", 86400, None)] == [False] * 3


def test_ttc_histogram_covers_the_window():
    got = fk.ttc_histogram({1: 3, 4: 2}, 3600)
    assert [(b.lo, b.hi, b.users) for b in got] == [(0, 60, 0), (60, 300, 3), (300, 900, 0), (900, 3600, 0),
                                                    (3600, 10800, 2)]
    week = fk.ttc_histogram({}, 7 * 86400)
    assert [b.lo for b in week][-1] == 7 * 86400 and week[-1].hi == 14 * 86400


@pytest.mark.parametrize("x, expected", [(None, None), (0.123456, 0.1235), (1, 1.0)])
def test_rounded(x, expected):
    assert fk.rounded(x) == expected


def test_event_report_from_rows():
    depth_rows = [{"segment": "organic", "depth": 1, "users": 40}, {"segment": "organic", "depth": 2, "users": 60},
                  {"segment": "paid", "depth": 1, "users": 80}, {"segment": "paid", "depth": 2, "users": 20}]
    rep = fk.event_report(["a", "b"], depth_rows, breakdown=True,
                          over_time_rows=[{"period": date(2026, 1, 5), "entered": 200, "converted": 80}],
                          ttc_bin_rows=[{"bin": 1, "users": 80}], ttc_median=120.0, ttc_p90=250.0,
                          window_seconds=3600, grain="week", data_end=datetime(2026, 3, 1))
    assert [s.users for s in rep.funnel.steps] == [200, 80]
    assert rep.segments.worst == "paid"
    assert [f.code for f in rep.findings] == ["worst_step", "worst_segment"]
    assert [(p.start, p.rate, p.complete) for p in rep.periods] == [(date(2026, 1, 5), 0.4, True)]
    assert [(b.lo, b.users) for b in rep.ttc] == [(0, 0), (60, 80), (300, 0), (900, 0), (3600, 0)]
    assert (rep.ttc_median, rep.ttc_p90) == (120.0, 250.0)
    assert fk.event_report(["a", "b"], depth_rows, breakdown=False).segments is None


def test_counts_report_sums_segments():
    rows = [{"segment": "web", "step": "Visit", "users": 1000}, {"segment": "web", "step": "Order", "users": 100},
            {"segment": "app", "step": "Visit", "users": 500}, {"segment": "app", "step": "Order", "users": 100}]
    rep = fk.counts_report(["Visit", "Order"], rows)
    assert [s.users for s in rep.funnel.steps] == [1500, 200]
    assert rep.segments.worst == "web"
    plain = fk.counts_report(["Visit", "Order"], [{"segment": None, "step": "Visit", "users": 10.5},
                                                  {"segment": None, "step": "Order", "users": 2}])
    assert plain.segments is None and [s.users for s in plain.funnel.steps] == [10.5, 2]
