"""Per-segment sums for the breakdown explorer: literal numbers from small declarative files, and the
same totals as the KPI cards (data.kpis) on every sample."""
from __future__ import annotations

from datetime import date

import pytest

from data.breakdown import (BREAKDOWN_BY_ID, breakdown_options, breakdown_span, compare_segments, segment_sums)
from data.demo import load_sample, sample_paths
from data.kpis import compute_kpis
from data.session import Workspace
from kpi.attribution import SegmentSums
from tests.helpers import csv_bytes, workspace_with

PREV = (date(2024, 1, 1), date(2024, 1, 7))
CUR = (date(2024, 1, 8), date(2024, 1, 14))

# user: (channel, device, region, [(event, timestamp, revenue)]); a user's segment is that of their first event
JOURNEYS = {
    "u1": ("ads", "ios", "EU", [("sign_up", "2024-01-01 10:00:00", None), ("purchase", "2024-01-02 09:00:00", 20),
                                ("app_open", "2024-01-09 10:00:00", None)]),
    "u2": ("ads", "android", "EU", [("sign_up", "2024-01-02 10:00:00", None),
                                    ("app_open", "2024-01-03 10:00:00", None)]),
    "u3": ("organic", "ios", "US", [("sign_up", "2024-01-08 10:00:00", None),
                                    ("purchase", "2024-01-08 11:00:00", 50)]),
    "u4": ("ads", "android", "US", [("sign_up", "2024-01-09 10:00:00", None),
                                    ("app_open", "2024-01-10 10:00:00", None)]),
    "u5": ("organic", "android", "", [("sign_up", "2024-01-10 10:00:00", None),
                                      ("app_open", "2024-01-11 10:00:00", None),
                                      ("purchase", "2024-01-20 10:00:00", 10)]),
    "u6": ("referral", "ios", "EU", [("sign_up", "2024-01-12 10:00:00", None),
                                     ("app_open", "2024-01-13 10:00:00", None)]),
}


def events_csv(journeys=JOURNEYS) -> bytes:
    rows = []
    for uid, (channel, device, region, events) in journeys.items():
        for i, (event, ts, revenue) in enumerate(events):
            # u6 later shows up with another channel: the first one counts
            ch = "ads" if uid == "u6" and i else channel
            rows.append([uid, event, ts, ch, device, region, revenue])
    return csv_bytes(["user_id", "event", "timestamp", "channel", "device", "region", "revenue"], rows)


ORDERS = csv_bytes(["order_id", "customer_id", "order_date", "amount", "status", "channel", "coupon"], [
    [1, "c1", "2024-01-08 10:00:00", 30, "completed", "email", ""],
    [1, "c1", "2024-01-08 10:00:00", 20, "completed", "email", ""],      # a second line of order 1
    [2, "c2", "2024-01-09 11:00:00", 40, "cancelled", "social", "SALE"],
    [3, "c1", "2024-01-10 12:00:00", 60, "completed", "social", ""],
    [4, "c3", "2024-01-11 13:00:00", -10, "refund", "email", ""],
    [5, "c3", "2024-01-02 09:00:00", 25, "completed", "email", ""],
])
TICKETS = csv_bytes(["ticket_id", "created_at", "first_response_at", "resolved_at", "agent", "channel"], [
    ["T1", "2024-01-08 09:00:00", "2024-01-08 09:01:00", "2024-01-08 10:00:00", "Ann", "chat"],
    ["T2", "2024-01-08 10:00:00", "2024-01-08 10:30:00", "2024-01-09 10:00:00", "Bob", "email"],
    ["T3", "2024-01-09 09:00:00", "2024-01-09 09:03:00", None, "Ann", "chat"],
])
POSTS = csv_bytes(["Video title", "Post time", "Post type", "Total views", "Total likes", "Total comments",
                   "Total shares"], [
    ["A", "2024-01-08 19:00", "video", 1000, 50, 5, 5],
    ["B", "2024-01-09 19:30", "carousel", 3000, 60, 0, 0],
    ["C", "2024-01-09 08:00", "video", 2000, 10, 10, 0],
])


def rows(frame) -> list[tuple]:
    return [(s, n, d) for s, n, d in zip(frame["segment"], frame["num"], frame["den"])]


@pytest.fixture(scope="module")
def events_ws():
    ws = workspace_with(events__csv=events_csv())
    assert [d.kind for d in ws.datasets] == ["events"]
    return ws


@pytest.mark.parametrize("kpi_id, dimension, period, expected", [
    ("new_users", "channel", CUR, [("ads", 1.0, None), ("organic", 2.0, None), ("referral", 1.0, None)]),
    ("new_users", "channel", PREV, [("ads", 2.0, None)]),
    ("new_users", "device", CUR, [("android", 2.0, None), ("ios", 2.0, None)]),
    ("new_users", "region", CUR, [("EU", 1.0, None), ("US", 2.0, None), (None, 1.0, None)]),
    # effective: a purchase within 3 days of signing up, or active 7+ days later (u5 buys on day 10)
    ("effective_new_user_share", "channel", CUR, [("ads", 0.0, 1.0), ("organic", 2.0, 2.0), ("referral", 0.0, 1.0)]),
    ("effective_new_user_share", "channel", PREV, [("ads", 1.0, 2.0)]),
    # buyers in the range / users active in the range (u1 is back on 9 January)
    ("channel_conversion_rate", "channel", CUR, [("ads", 0.0, 2.0), ("organic", 1.0, 2.0), ("referral", 0.0, 1.0)]),
    # (user, day) pairs with the next day in the data, and those active the next day
    ("retention_d1", "channel", CUR, [("ads", 1.0, 3.0), ("organic", 1.0, 3.0), ("referral", 1.0, 2.0)]),
    ("arpu", "channel", CUR, [("ads", 0.0, 2.0), ("organic", 50.0, 2.0), ("referral", 0.0, 1.0)]),
])
def test_event_log_segments(events_ws, kpi_id, dimension, period, expected):
    assert rows(segment_sums(events_ws, kpi_id, dimension, *period)) == expected


@pytest.mark.parametrize("kpi_id, value", [
    ("new_users", 4.0), ("effective_new_user_share", 0.5), ("channel_conversion_rate", 0.2),
    ("retention_d1", 3 / 8), ("arpu", 10.0)])
def test_event_totals_equal_the_kpi_cards(events_ws, kpi_id, value):
    frame = segment_sums(events_ws, kpi_id, "channel", *CUR)
    num, dens = frame["num"].sum(), [d for d in frame["den"] if d is not None]
    total = num / sum(dens) if dens else num
    assert total == pytest.approx(value)
    assert compute_kpis(events_ws, *CUR, ids=[kpi_id])[kpi_id].value == pytest.approx(value)


@pytest.fixture(scope="module")
def orders_ws():
    ws = workspace_with(orders__csv=ORDERS)
    assert [d.kind for d in ws.datasets] == ["orders"]
    return ws


@pytest.mark.parametrize("kpi_id, dimension, expected", [
    ("gmv", "channel", [("email", 50.0, None), ("social", 100.0, None)]),          # order 1 is two lines
    ("net_revenue", "channel", [("email", 40.0, None), ("social", 60.0, None)]),   # - refund line, - cancelled
    ("refund_rate", "channel", [("email", 10.0, 50.0), ("social", 40.0, 100.0)]),
    ("aov", "channel", [("email", 50.0, 1.0), ("social", 100.0, 2.0)]),
    ("gmv", "coupon", [("no", 110.0, None), ("yes", 40.0, None)]),
    ("gmv", "status", [("cancelled", 40.0, None), ("completed", 110.0, None), ("refund", 0.0, None)]),
    ("gmv", "weekday", [("1", 50.0, None), ("2", 40.0, None), ("3", 60.0, None), ("4", 0.0, None)]),
    ("gmv", "hour", [("10", 50.0, None), ("11", 40.0, None), ("12", 60.0, None), ("13", 0.0, None)]),
    # c1 has two purchases (first in email); c2's order was cancelled, c3's was a refund
    ("repurchase_rate", "channel", [("email", 1.0, 1.0)]),
])
def test_order_segments(orders_ws, kpi_id, dimension, expected):
    assert rows(segment_sums(orders_ws, kpi_id, dimension, *CUR)) == expected


def test_order_totals_equal_the_kpi_cards(orders_ws):
    values = compute_kpis(orders_ws, *CUR, ids=["gmv", "net_revenue", "refund_rate", "aov", "repurchase_rate"])
    assert {k: v.value for k, v in values.items()} == pytest.approx(
        {"gmv": 150.0, "net_revenue": 100.0, "refund_rate": 50 / 150, "aov": 50.0, "repurchase_rate": 1.0})


@pytest.mark.parametrize("kpi_id, dimension, expected", [
    ("first_response_time", "agent", [("Ann", 240.0, 2.0), ("Bob", 1800.0, 1.0)]),
    ("resolution_time", "agent", [("Ann", 3600.0, 1.0), ("Bob", 86400.0, 1.0)]),   # T3 is not resolved
    ("first_response_time", "weekday", [("1", 1860.0, 2.0), ("2", 180.0, 1.0)]),
    ("first_response_time", "channel", [("chat", 240.0, 2.0), ("email", 1800.0, 1.0)]),
])
def test_ticket_segments(kpi_id, dimension, expected):
    ws = workspace_with(tickets__csv=TICKETS)
    assert rows(segment_sums(ws, kpi_id, dimension, *CUR)) == expected


@pytest.mark.parametrize("kpi_id, dimension, expected", [
    ("views_per_video", "format", [("carousel", 3000.0, 1.0), ("video", 3000.0, 2.0)]),
    ("views_per_video", "hour", [("08", 2000.0, 1.0), ("19", 4000.0, 2.0)]),
    ("engagement_rate", "format", [("carousel", 60.0, 3000.0), ("video", 80.0, 3000.0)]),
])
def test_post_segments(kpi_id, dimension, expected):
    ws = workspace_with(posts__csv=POSTS)
    assert [d.kind for d in ws.datasets] == ["social_posts"]
    assert rows(segment_sums(ws, kpi_id, dimension, *CUR)) == expected


def test_options_follow_the_loaded_roles(events_ws, orders_ws):
    assert breakdown_options(events_ws) == {
        "new_users": ("channel", "device", "region"), "effective_new_user_share": ("channel", "device", "region"),
        "channel_conversion_rate": ("channel", "device", "region"), "retention_d1": ("channel", "device", "region"),
        "retention_d7": ("channel", "device", "region"), "arpu": ("channel", "device", "region")}
    assert breakdown_options(orders_ws)["gmv"] == ("channel", "status", "coupon", "weekday", "hour")
    assert breakdown_options(workspace_with(posts__csv=POSTS)) == {
        "engagement_rate": ("format", "weekday", "hour"), "views_per_video": ("format", "weekday", "hour")}
    assert breakdown_options(Workspace()) == {}
    # an order file without channel or coupon columns still splits by status and time
    plain = workspace_with(o__csv=csv_bytes(["order_id", "order_date", "amount", "status"],
                                            [[1, "2024-01-08 10:00:00", 5, "completed"]]))
    assert breakdown_options(plain)["gmv"] == ("status", "weekday", "hour")


@pytest.mark.parametrize("kpi_id, dimension", [
    ("gmv", "device"), ("new_users", "weekday"), ("no_such_kpi", "channel"), ("gmv", "channel")])
def test_pairs_not_offered_are_refused(events_ws, kpi_id, dimension):
    with pytest.raises(ValueError):
        segment_sums(events_ws, kpi_id, dimension, *CUR)   # no orders loaded in this workspace


def test_compare_segments_fills_missing_segments_with_zeros(events_ws):
    assert compare_segments(events_ws, "new_users", "channel", CUR, PREV) == [
        SegmentSums("ads", 2.0, 0.0, 1.0, 0.0), SegmentSums("organic", 0.0, 0.0, 2.0, 0.0),
        SegmentSums("referral", 0.0, 0.0, 1.0, 0.0)]
    assert compare_segments(events_ws, "effective_new_user_share", "channel", CUR, None)[0] == \
        SegmentSums("ads", 0.0, 0.0, 0.0, 1.0)
    assert breakdown_span(events_ws, "new_users") == (date(2024, 1, 1), date(2024, 1, 20))


def test_segment_values_are_data_not_sql():
    tricky = "it's \"x\"; DROP TABLE t; --"
    ws = workspace_with(ev__csv=csv_bytes(["user_id", "event", "timestamp", "channel"], [
        ["u1", "sign_up", "2024-01-08 10:00:00", tricky.replace('"', "'")]]))
    assert rows(segment_sums(ws, "new_users", "channel", *CUR)) == [(tricky.replace('"', "'"), 1.0, None)]


needs_samples = pytest.mark.skipif(not all(p.exists() for k in ("tiktok", "shop", "app", "support")
                                           for p in sample_paths(k)), reason="sample files not generated")


@needs_samples
@pytest.mark.parametrize("sample", ["tiktok", "shop", "app", "support"])
def test_every_split_of_a_sample_adds_up_to_its_kpi_card(sample):
    ws = Workspace()
    load_sample(ws, sample)
    options = breakdown_options(ws)
    assert options
    span = ws.datasets[0].date_range
    values = compute_kpis(ws, *span, ids=list(options))
    for kpi_id, dims in options.items():
        for dim in dims:
            frame = segment_sums(ws, kpi_id, dim, *span)
            num, dens = frame["num"].sum(), [d for d in frame["den"] if d is not None]
            total = num / sum(dens) if BREAKDOWN_BY_ID[kpi_id].mode == "rate" else num
            assert total == pytest.approx(values[kpi_id].value, rel=1e-9), (kpi_id, dim)


def test_user_splits_read_per_user_tables_built_once_and_shared_with_the_kpis():
    from data import derived
    ws = workspace_with(events__csv=events_csv())
    assert "retention_d7" in breakdown_options(ws)
    assert derived.tables(ws) == []                       # listing the options scans nothing
    first = rows(segment_sums(ws, "retention_d7", "channel", *CUR))
    stems = sorted(n.rsplit("_", 1)[0] for n in derived.tables(ws))
    assert stems == ["kpiwb_days", "kpiwb_seg_channel", "kpiwb_segret7_channel"]
    days = [n for n in derived.tables(ws) if n.startswith("kpiwb_days")]
    assert rows(segment_sums(ws, "retention_d7", "channel", *CUR)) == first
    segment_sums(ws, "retention_d1", "channel", *PREV)
    compute_kpis(ws)                                      # the KPI cards read the same user-days
    assert [n for n in derived.tables(ws) if n.startswith("kpiwb_days")] == days
    segment_sums(ws, "channel_conversion_rate", "device", *CUR)
    assert sorted(n.rsplit("_", 1)[0] for n in derived.tables(ws) if "seg" in n) == [
        "kpiwb_seg_buys", "kpiwb_seg_channel", "kpiwb_seg_device", "kpiwb_segret1_channel", "kpiwb_segret7_channel"]
