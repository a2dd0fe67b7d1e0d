"""The sample files in data/samples/ load through Workspace.add_file with the right kind and roles."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from data.session import Workspace

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"

EXPECTED = {
    "tiktok_overview.csv": ("social_daily", {"date": "Date", "views": "Video Views", "profile_views": "Profile Views",
                                             "likes": "Likes", "comments": "Comments", "shares": "Shares"}),
    "tiktok_follower_history.csv": ("social_daily", {"date": "Date", "followers": "Followers",
                                                     "new_followers": "Difference in followers from previous day"}),
    "tiktok_follower_activity.csv": ("followers_activity", {"date": "Date", "hour": "Hour",
                                                            "active_followers": "Active followers"}),
    "tiktok_content.csv": ("social_posts", {"post_time": "Post time", "views": "Total views", "title": "Video title",
                                            "link": "Video link", "likes": "Total likes",
                                            "comments": "Total comments", "shares": "Total shares"}),
    "shop_orders.csv": ("orders", {"timestamp": "order_date", "amount": "amount", "order_id": "order_id",
                                   "customer_id": "customer_id", "status": "status", "channel": "channel",
                                   "coupon": "coupon"}),
    "app_events.csv": ("events", {"user_id": "user_id", "timestamp": "timestamp", "event": "event",
                                  "channel": "channel", "device": "device", "region": "region",
                                  "revenue": "revenue"}),
    "support_tickets.csv": ("tickets", {"created": "created_at", "ticket_id": "ticket_id",
                                        "first_response": "first_response_at", "resolved": "resolved_at",
                                        "agent": "agent", "channel": "channel"}),
    "ad_spend.csv": ("spend", {"date": "date", "cost": "cost", "channel": "channel"}),
}


def records(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_loads_with_kind_and_roles(name):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} not generated yet")
    kind, roles = EXPECTED[name]
    ws = Workspace()
    res = ws.add_file(name, path, today=date(2026, 11, 23))
    assert res.issues == []
    (ds,) = res.datasets
    assert (ds.kind, ds.roles) == (kind, roles)
    assert (ds.rows, ds.rows_rejected) == (records(path), 0)
    assert [w.code for w in ds.warnings if w.severity != "info"] == []
    assert ds.date_range is not None


def test_every_sample_file_is_covered():
    assert {p.name for p in SAMPLES.glob("*.csv")} <= set(EXPECTED)
