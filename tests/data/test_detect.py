"""Kind and role detection on the headers real exports use (shared/exports.md), in EN/RU/ZH."""
from __future__ import annotations

import pytest

from data import detect as det

T, D, N, S = "TIMESTAMP", "DATE", "BIGINT", "VARCHAR"
F = "DOUBLE"


@pytest.mark.parametrize("columns, kind, roles", [
    # TikTok Studio
    ([("Date", D), ("Video Views", N), ("Profile Views", N), ("Likes", N), ("Comments", N), ("Shares", N)],
     "social_daily", {"date": "Date", "views": "Video Views", "profile_views": "Profile Views", "likes": "Likes",
                      "comments": "Comments", "shares": "Shares"}),
    ([("Date", D), ("Followers", N), ("Difference in followers from previous day", N)],
     "social_daily", {"date": "Date", "followers": "Followers",
                      "new_followers": "Difference in followers from previous day"}),
    ([("Date", D), ("Hour", N), ("Active followers", N)],
     "followers_activity", {"date": "Date", "hour": "Hour", "active_followers": "Active followers"}),
    ([("Time", D), ("Video title", S), ("Video link", S), ("Post time", T), ("Total likes", N),
      ("Total comments", N), ("Total shares", N), ("Total views", N), ("Average watch time", F),
      ("Watched full video", F), ("Total bookmarks", N)],
     "social_posts", {"post_time": "Post time", "views": "Total views", "title": "Video title",
                      "link": "Video link", "likes": "Total likes", "comments": "Total comments",
                      "shares": "Total shares", "saves": "Total bookmarks", "watch_time": "Average watch time"}),
    # TikTok for Business: "Lost followers" are not followers, "Reached audience" does not make it content
    ([("Date", T), ("Video views", N), ("Reached audience", N), ("Profile views", N), ("Likes", N),
      ("Shares", N), ("Comments", N), ("Website clicks", N), ("Net growth", N), ("New followers", N),
      ("Lost followers", N)],
     "social_daily", {"date": "Date", "views": "Video views", "profile_views": "Profile views", "likes": "Likes",
                      "shares": "Shares", "comments": "Comments", "new_followers": "New followers"}),
    # YouTube Studio Table data
    ([("Content", S), ("Video title", S), ("Video publish time", D), ("Duration", N), ("Views", N),
      ("Watch time (hours)", F), ("Average view duration", F), ("Average percentage viewed (%)", F),
      ("Impressions", N), ("Impressions click-through rate (%)", F), ("Likes", N), ("Comments added", N),
      ("Shares", N), ("Subscribers", N), ("Subscribers gained", N), ("Subscribers lost", N),
      ("Unique viewers", N)],
     "social_posts", {"post_time": "Video publish time", "views": "Views", "title": "Video title",
                      "duration": "Duration", "watch_time": "Watch time (hours)", "likes": "Likes",
                      "comments": "Comments added", "shares": "Shares"}),
    # Instagram per-metric file (after the "Primary" column is named from the title) and content export
    ([("Date", T), ("Views", N)], "social_daily", {"date": "Date", "views": "Views"}),
    ([("Date", T), ("Follows", N)], "social_daily", {"date": "Date", "new_followers": "Follows"}),
    ([("Post ID", S), ("Account ID", N), ("Account username", S), ("Account name", S), ("Description", S),
      ("Duration (sec)", N), ("Publish time", T), ("Permalink", S), ("Post type", S), ("Views", N),
      ("Reach", N), ("Likes", N), ("Shares", N), ("Follows", N), ("Comments", N), ("Saves", N)],
     "social_posts", {"post_time": "Publish time", "views": "Views", "title": "Description",
                      "link": "Permalink", "format": "Post type", "duration": "Duration (sec)", "likes": "Likes",
                      "shares": "Shares", "comments": "Comments", "saves": "Saves"}),
    # the classic retail order lines: no amount column
    ([("InvoiceNo", S), ("StockCode", S), ("Description", S), ("Quantity", N), ("InvoiceDate", T),
      ("UnitPrice", F), ("CustomerID", N), ("Country", S)],
     "orders", {"timestamp": "InvoiceDate", "order_id": "InvoiceNo", "customer_id": "CustomerID",
                "quantity": "Quantity", "unit_price": "UnitPrice"}),
    # Russian and Chinese spreadsheet exports
    ([("Дата", D), ("Сумма", F), ("Клиент", S)],
     "orders", {"timestamp": "Дата", "amount": "Сумма", "customer_id": "Клиент"}),
    ([("Дата заказа", T), ("Номер заказа", N), ("Сумма, руб", F), ("Статус", S), ("Промокод", S)],
     "orders", {"timestamp": "Дата заказа", "order_id": "Номер заказа", "amount": "Сумма, руб",
                "status": "Статус", "coupon": "Промокод"}),
    ([("日期", D), ("金额", F), ("用户ID", S), ("事件", S)],
     "events", {"timestamp": "日期", "user_id": "用户ID", "event": "事件", "revenue": "金额"}),
    ([("下单时间", T), ("订单号", S), ("实付金额", F), ("买家", S), ("订单状态", S)],
     "orders", {"timestamp": "下单时间", "order_id": "订单号", "amount": "实付金额", "customer_id": "买家",
                "status": "订单状态"}),
    ([("Пользователь", S), ("Событие", S), ("Время", T), ("Канал", S)],
     "events", {"user_id": "Пользователь", "event": "Событие", "timestamp": "Время", "channel": "Канал"}),
    ([("日期", D), ("播放量", N), ("点赞数", N), ("评论数", N), ("分享数", N)],
     "social_daily", {"date": "日期", "views": "播放量", "likes": "点赞数", "comments": "评论数", "shares": "分享数"}),
    ([("日期", D), ("观看次数", N), ("新增粉丝", N)],
     "social_daily", {"date": "日期", "views": "观看次数", "new_followers": "新增粉丝"}),
    ([("Дата", D), ("Просмотры", N), ("Лайки", N), ("Комментарии", N), ("Репосты", N), ("Подписчики", N)],
     "social_daily", {"date": "Дата", "views": "Просмотры", "likes": "Лайки", "comments": "Комментарии",
                      "shares": "Репосты", "followers": "Подписчики"}),
    # the app's own sample files
    ([("order_id", N), ("customer_id", S), ("order_date", T), ("amount", F), ("status", S), ("channel", S),
      ("coupon", S)],
     "orders", {"order_id": "order_id", "customer_id": "customer_id", "timestamp": "order_date",
                "amount": "amount", "status": "status", "channel": "channel", "coupon": "coupon"}),
    ([("ticket_id", S), ("created_at", T), ("first_response_at", T), ("resolved_at", T), ("agent", S),
      ("channel", S)],
     "tickets", {"ticket_id": "ticket_id", "created": "created_at", "first_response": "first_response_at",
                 "resolved": "resolved_at", "agent": "agent", "channel": "channel"}),
    ([("date", D), ("channel", S), ("cost", F)], "spend", {"date": "date", "channel": "channel", "cost": "cost"}),
    ([("user_id", S), ("event", S), ("timestamp", T), ("channel", S), ("device", S), ("region", S),
      ("revenue", F)],
     "events", {"user_id": "user_id", "event": "event", "timestamp": "timestamp", "channel": "channel",
                "device": "device", "region": "region", "revenue": "revenue"}),
])
def test_real_export_headers(columns, kind, roles):
    found = det.detect(columns)
    assert (found.kind, found.roles) == (kind, roles)


@pytest.mark.parametrize("columns", [
    [("Gender", S), ("Distribution", F)],
    [("Top territories", S), ("Distribution", F)],
    [("who", S), ("what", S), ("when", T)],
])
def test_unknown_layouts_have_no_kind(columns):
    assert det.detect(columns).kind is None


def test_types_must_fit_the_role():
    # a text "Date" column cannot be the date, a text "Views" column cannot be views
    assert det.detect([("Date", S), ("Views", S)]).kind is None
    assert det.match_roles([("Views", S), ("Total views", N)], ("views",)) == {"views": "Total views"}


@pytest.mark.parametrize("header, role", [
    ("Сумма, руб", "amount"), ("Views (total)", "views"), ("Followers count", "followers"),
])
def test_loose_matches(header, role):
    assert det.match_roles([(header, F)], (role,)) == {role: header}


@pytest.mark.parametrize("header, role", [
    ("Lost followers", "followers"), ("Average views", "views"), ("Active followers", "followers"),
    ("New viewers", "views"), ("Engagement rate (%)", "likes"), ("平均播放量", "views"),
])
def test_qualified_headers_are_not_loose_matches(header, role):
    assert det.match_roles([(header, F)], (role,)) == {}


def test_missing_required_and_candidates():
    assert det.missing_required("orders", {"timestamp": "d", "quantity": "q", "unit_price": "p"}) == []
    assert det.missing_required("events", {"user_id": "u"}) == ["timestamp", "event"]
    assert det.missing_required("social_daily", {"date": "d", "new_followers": "f"}) == []
    cols = [("a", S), ("b", T), ("c", N)]
    assert det.candidates_for("timestamp", cols) == ["b"] and det.candidates_for("views", cols) == ["c"]


def test_synonyms_are_normalised_and_unique_per_role():
    for role, syns in det.ROLE_SYNONYMS.items():
        assert len(set(syns)) == len(syns), role
        assert all(s == s.strip().lower() for s in syns), role
    assert set(det.TIME_ROLES) | set(det.MEASURE_ROLES) <= set(det.ROLE_SYNONYMS)
    assert {k.kind for k in det.KINDS} == set(det.KIND_NAMES)
