"""The Retention page in AppTest: samples, the three languages, filters, and data it cannot use."""
from __future__ import annotations

from datetime import date

import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from data.demo import load_sample
from data.session import Workspace
from tests.conftest import ROOT
from tests.helpers import csv_bytes
from tests.pages.conftest import untranslated

PAGE = "pages/retention.py"


@pytest.fixture(scope="module")
def app_ws():
    ws = Workspace()
    load_sample(ws, "app")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def shop_ws():
    ws = Workspace()
    load_sample(ws, "shop")
    yield ws
    ws.close()


def open_page(ws: Workspace, lang: str = "en", **state) -> AppTest:
    """The page with an already loaded workspace in the session (the page only reads it)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["workspace"] = ws
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def heatmap_cells(chart) -> list[dict]:
    """The heatmap's cells, from the Arrow data Streamlit sends with the chart."""
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]
    (cells,) = [f for f in frames if "incomplete" in f.columns]
    return cells.to_dict("records")


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader")
             for e in getattr(at, kind)]
    return "\n".join(p for p in parts if isinstance(p, str))


@pytest.mark.parametrize("lang, d1_label, d1, dau_label, dau", [
    ("en", "Active users, day 1", "42.0%", "Daily active users (DAU)", "184"),
    ("ru", "Активные пользователи, день 1", "42,0\u202f%", None, "184"),
    ("zh", "活跃用户 1 日留存", "42.0%", None, "184"),
])
def test_app_sample_weekly(app_ws, lang, d1_label, d1, dau_label, dau):
    at = open_page(app_ws, lang)
    shown = metrics(at)
    assert shown[d1_label] == d1
    if dau_label:
        assert shown[dau_label] == dau
        assert shown["New-user cohorts, day 1"] == "32.2%"
        assert shown["Stickiness (DAU/MAU)"] == "0.20"
    charts = at.get("vega_lite_chart")
    assert len(charts) == 7   # curve, heatmap, DAU/WAU/MAU, stickiness, churn, lifecycle, segments
    cells = heatmap_cells(charts[1])
    assert len({c["cohort"] for c in cells}) == 24                 # the newest 24 of 27 weekly cohorts
    assert sum(c["incomplete"] for c in cells) == 23              # the current week of every cohort but the newest
    assert untranslated(at) == []
    assert [s.value for s in at.success] and not at.warning   # 42 % is inside the 30–50 % band for tools


def test_product_type_moves_the_band_verdict(app_ws):
    at = open_page(app_ws, retention_product="content")
    assert any("70%" in w.value for w in at.warning)   # 42 % is below the ≥ 70 % band for content


def test_many_daily_cohorts_are_paged(app_ws):
    at = open_page(app_ws, grain="day")
    pager = at.selectbox(key="retention_page_day")
    assert pager.label == "Cohorts shown (of 184)"
    assert pager.options[0] == "2026-10-28 – 2026-11-20 (24 cohorts)"
    assert pager.options[-1] == "2026-05-21 – 2026-06-05 (16 cohorts)"
    assert pager.value == 0
    pager.set_value(7).run()
    assert not at.exception
    cells = heatmap_cells(at.get("vega_lite_chart")[1])
    assert len({c["cohort"] for c in cells}) == 16
    assert max(c["k"] for c in cells) == 30               # older cohorts: periods 0–30 drawn, the CSV has all
    assert "The chart shows periods 0–30" in texts(at)


def test_active_events_and_rule_change_the_numbers(app_ws):
    at = open_page(app_ws, grain="month")
    before = metrics(at)["New-user cohorts, day 1"]
    at.multiselect(key=f"retention_active_{app_ws.datasets[0].name}").set_value(["purchase"]).run()
    at.radio(key="retention_rule").set_value("on_or_after").run()
    assert not at.exception
    assert metrics(at)["New-user cohorts, day 1"] != before


def test_shop_orders_monthly_with_the_orders_note(shop_ws):
    at = open_page(shop_ws, "en", grain="month")
    shown = metrics(at)
    assert shown["Active users, day 1"] == "0.02%"
    assert "the app bands do not really apply to orders" in texts(at)
    assert "A purchase: an order with a positive amount" in texts(at)
    assert untranslated(at) == []


def test_orders_without_customer_ids_explain_what_is_missing():
    ws = Workspace()
    ws.add_file("orders.csv", csv_bytes(["order_date", "amount"], [["2026-01-15 10:00:00", 10]]))
    at = open_page(ws, "ru")
    assert not at.metric
    assert "не сопоставлен столбец" in " ".join(e.value for e in at.error)
    assert untranslated(at) == []


def test_short_data_shows_a_dash_with_the_reason():
    ws = Workspace()
    ws.add_file("events.csv", csv_bytes(["user_id", "event", "timestamp"], [
        ["u1", "open", "2026-03-02 10:00:00"], ["u1", "open", "2026-03-03 10:00:00"],
        ["u2", "open", "2026-03-03 11:00:00"]]))
    at = open_page(ws)
    shown = metrics(at)
    assert shown["Active users, day 1"] == "100.0%"   # only 03-02 has a next day in the data: u1 came back
    assert shown["Active users, day 7"] == "—"
    assert "Needs data that goes on at least 7 days" in texts(at)


def test_dates_without_new_users_still_show_activity():
    ws = Workspace()
    ws.add_file("events.csv", csv_bytes(["user_id", "event", "timestamp"], [
        ["u1", "open", "2026-03-02 10:00:00"], ["u1", "open", "2026-03-10 10:00:00"],
        ["u1", "open", "2026-03-11 10:00:00"], ["u2", "open", "2026-03-03 10:00:00"]]))
    at = open_page(ws, date_range_value=(date(2026, 3, 9), date(2026, 3, 11)))
    assert "No user has their first activity in the selected dates" in texts(at)
    shown = metrics(at)
    assert shown["Active users, day 1"] == "100.0%"           # u1 on 03-10 and 03-11
    assert shown["New-user cohorts, day 1"] == "—"
    assert shown["Daily active users (DAU)"] == "1"            # 2 user-days / 3 days, rounded
    assert untranslated(at) == []
