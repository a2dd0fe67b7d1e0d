"""The Overview page (AppTest): a card for every KPI the data supports with the kpi/ value, headline
findings, numbers not in the data asked once, channel quality and the breakdown explorer."""
from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from data.breakdown import compare_segments
from data.demo import load_sample, sample_paths
from data.kpis import available_kpis, compare_periods, compute_kpis, data_range
from data.session import Workspace
from data.store import GoalStore
from kpi.attribution import Mode, attribute
from kpi.change import previous_period
from kpi.registry import METRICS, format_value
from tests.conftest import ROOT
from tests.pages.conftest import untranslated
from ui.cards import card_order
from ui.charts.kpi import fmt_change, fmt_value
from ui.i18n import tr

PAGE = "pages/overview.py"
SAMPLES = ("tiktok", "shop", "app", "support")
needs_samples = pytest.mark.skipif(not all(p.exists() for k in SAMPLES for p in sample_paths(k)),
                                   reason="sample files not generated")
LAST_90 = (date(2026, 8, 23), date(2026, 11, 20))   # the app sample's last 90 days


def sample_ws(*keys: str) -> Workspace:
    ws = Workspace()
    for key in keys:
        load_sample(ws, key)
    return ws


def overview_app(ws: Workspace | None, lang: str = "en", page: str = PAGE, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["goals_store"] = GoalStore(None)
    if ws is not None:
        at.session_state["workspace"] = ws
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def findings(at: AppTest) -> list[str]:
    """The numbered headline sentences (narrow no-break spaces, as in "≤ 1 min", read as spaces)."""
    text = next(m.value for m in at.markdown if m.value.startswith("1. "))
    return text.replace("\u202f", " ").split("\n")


def chart_data(chart) -> list:
    """The data sets of a rendered Altair chart, as frames."""
    return [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]


@needs_samples
@pytest.mark.parametrize("sample, cards, without_value", [
    ("tiktok", 5, {"lead_conversion_rate"}),                      # leads are asked for
    ("shop", 17, {"gmv_per_head", "users_per_agent"}),             # headcounts are asked for
    ("app", 14, {"users_per_agent"}),
    ("support", 2, set()),
])
def test_a_card_for_every_kpi_with_the_kpi_value(sample, cards, without_value):
    ws = sample_ws(sample)
    at = overview_app(ws)
    assert untranslated(at) == []
    ids = available_kpis(ws)
    values = compute_kpis(ws, *data_range(ws), ids=ids)
    shown = [kpi_id for group in card_order(ids).values() for kpi_id in group]
    assert len(at.metric) == len(shown) == cards
    assert [m.label for m in at.metric] == [tr(METRICS[k].label_key) for k in shown]
    assert [m.value for m in at.metric] == [format_value(METRICS[k], values[k].value) for k in shown]
    assert {k for k in shown if values[k].value is None} == without_value
    assert {values[k].reason_code for k in without_value} <= {"missing_input"}
    assert 3 <= len(findings(at)) <= 5
    # the whole range starts with the data: no previous period, the page says so and offers shorter ones
    assert all(m.delta in ("", None) for m in at.metric)
    assert [b.label for b in at.button if b.key and b.key.startswith("ov_last_")] == ["Last 30 days", "Last 90 days"]


@needs_samples
def test_findings_read_like_an_audit_summary():
    at = overview_app(sample_ws("support"))
    assert findings(at) == [
        "1. :red[:material/error:] **First response time** is 2:34:13, outside the target (≤ 1 min).",
        "2. :red[:material/error:] **Resolution time**: the median is 12:28:38, but one case in ten takes longer "
        "than 2d 08:16:21 (target ≤ 24 h): the average hides a long tail.",
        "3. :green[:material/check_circle:] **Resolution time** is 23:59:13, within the target (≤ 24 h)."]
    at = overview_app(sample_ws("tiktok"))
    assert findings(at)[0] == ("1. :red[:material/error:] **Weekly follower growth** is 3.9 %, below the market "
                               "average (5–7 %); the optimal range is 8–12 %.")
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert badges[:4] == [":red-badge[:material/speed: Below market]", ":orange-badge[:material/speed: Market average]",
                          ":gray-badge[:material/speed: No benchmark]", ":green-badge[:material/speed: Optimal]"]


@needs_samples
def test_cards_show_the_change_against_the_previous_equal_period():
    ws = sample_ws("app")
    at = overview_app(ws, date_range_value=LAST_90)
    comps = compare_periods(ws, *LAST_90, ids=available_kpis(ws))
    shown = [k for group in card_order(available_kpis(ws)).values() for k in group]
    deltas = {k: m.delta for k, m in zip(shown, at.metric)}
    assert deltas["new_users"] == "+23.4 %"
    assert deltas["effective_new_user_share"] == "-1.3 pp"
    for kpi_id, delta in deltas.items():
        assert delta == (fmt_change(METRICS[kpi_id], comps[kpi_id].change, "en") or ""), kpi_id
    text = findings(at)
    assert text[0].startswith("1. :red[:material/error:] **influencer** brings 37 % of new users, but only 12 %")
    assert any("**Daily active users (DAU)** rose by :green[125.6 %] against the previous 90 days (115 → 260)" in x
               for x in text)
    assert any("**New users** grew (+23.4 %), but **Effective new users, share** fell (-1.3 pp)" in x for x in text)
    assert any(m.value.startswith(":material/date_range: Period: 2026-08-23 – 2026-11-20 (90 days). Changes are "
                                  "against 2026-05-25 – 2026-08-22 (90 days).") for m in at.markdown)


@needs_samples
def test_channel_quality_flags_volume_without_quality():
    at = overview_app(sample_ws("app", "support"))
    table = at.dataframe[0].value
    assert list(table["channel"]) == ["influencer", "organic", "paid_social", "search_ads", "referral"]
    assert table.iloc[0][["new_users", "share", "effective_share", "cac", "verdict"]].tolist() == [
        "1,443", "38 %", "11 %", "1.89", "⚠ Volume without quality"]
    assert set(table["verdict"][1:]) == {"OK"}
    assert table["cac"].tolist() == ["1.89", "—", "4.41", "5.94", "—"]   # the guide's cheap-but-poor channel
    assert len(at.get("vega_lite_chart")) == 1
    # with support tickets loaded, users per support agent counts the agents in the file
    assert at.metric[[m.label for m in at.metric].index("Users per support agent")].value != "—"


@needs_samples
def test_numbers_not_in_the_data_are_asked_once_and_remembered():
    ws = sample_ws("shop")
    at = overview_app(ws)
    labels = [m.label for m in at.metric]
    assert at.metric[labels.index("GMV per operations employee")].value == "—"
    assert "Enter “operations headcount” to compute this KPI." in [c.value for c in at.caption]
    at.number_input(key="ov_input_ops_headcount").set_value(5).run()
    assert not at.exception
    assert at.session_state["kpi_user_inputs"] == {"ops_headcount": 5.0}
    expected = compute_kpis(ws, *data_range(ws), user_inputs={"ops_headcount": 5}, ids=["gmv_per_head"])
    assert at.metric[labels.index("GMV per operations employee")].value == \
        format_value(METRICS["gmv_per_head"], expected["gmv_per_head"].value) == "303,112"
    at.switch_page("pages/benchmarks.py").run()               # another page, and back: still there
    at.switch_page(PAGE).run()
    assert at.metric[labels.index("GMV per operations employee")].value == "303,112"
    assert at.number_input(key="ov_input_ops_headcount").value == 5
    # a definition: the goods type picks the repurchase band (durable goods: 10 % and more is optimal)
    at.selectbox(key="ov_setting_goods_type").set_value("durable").run()
    assert at.session_state["kpi_settings"]["goods_type"] == "durable"
    badge = [m.value for m in at.markdown if "-badge[" in m.value][labels.index("Repurchase rate")]
    assert badge == ":green-badge[:material/speed: Optimal]"


@needs_samples
def test_breakdown_explorer_splits_the_change_between_segments():
    ws = sample_ws("app")
    at = overview_app(ws, date_range_value=LAST_90)
    at.selectbox(key="ov_bd_kpi").set_value("effective_new_user_share").run()
    at.selectbox(key="ov_bd_dim_effective_new_user_share").set_value("channel").run()
    assert not at.exception
    result = attribute(compare_segments(ws, "effective_new_user_share", "channel", LAST_90, previous_period(*LAST_90)),
                       Mode.RATE)
    table = at.dataframe[-1].value
    assert list(table["segment"]) == [s.segment for s in result.segments]
    assert list(table["current"]) == [fmt_value(METRICS["effective_new_user_share"], s.current, "en")
                                      for s in result.segments]
    summary = next(m.value for m in at.markdown if m.value.startswith("**Effective new users, share** went from"))
    assert summary.startswith("**Effective new users, share** went from 38.9 % to 37.6 % (-1.3 pp).")
    contribution = chart_data(at.get("vega_lite_chart")[-1])[0]
    assert contribution["label"].tolist() == list(table["segment"])
    assert contribution["x"].sum() == pytest.approx(100 * result.change)   # the bars add up to the change
    # the same period a year earlier is not in the data: the current split only, and why
    at.segmented_control(key="ov_bd_compare").set_value("last_year").run()
    assert [i.value for i in at.info][-1].startswith("The data does not cover the comparison period, 2025-08-23")
    assert list(at.dataframe[-1].value.columns) == ["segment", "current", "current_weight"]


@needs_samples
@pytest.mark.parametrize("lang, value, status", [
    ("ru", "37,6\u202f%", ":orange-badge[:material/speed: На уровне рынка]"),
    ("zh", "37.6%", ":orange-badge[:material/speed: 市场平均水平]"),
])
def test_every_language_is_translated(lang, value, status):
    at = overview_app(sample_ws("app", "support"), lang, date_range_value=LAST_90)
    assert untranslated(at) == []
    labels = [m.label for m in at.metric]
    assert at.metric[labels.index(tr("kpi.effective_new_user_share.label", lang))].value == value
    assert status in [m.value for m in at.markdown]
    assert 3 <= len(findings(at)) <= 5


def test_no_data_shows_the_empty_state():
    at = overview_app(None)
    assert [m.value for m in at.markdown][0].startswith("#### :material/info:")
    assert len(at.metric) == 0
    assert {b.key for b in at.button} >= {"sample_overview_tiktok", "sample_overview_app"}


def test_volume_kpis_stand_beside_their_quality_partner():
    ids = ["views_per_video", "engagement_rate", "new_users", "cac", "effective_new_user_share", "dau", "mau",
           "stickiness", "gmv", "net_revenue", "refund_rate", "impressions", "ctr"]
    assert {str(c): group for c, group in card_order(ids).items()} == {
        "social": ["engagement_rate", "views_per_video"],   # ER comes first in the registry: no reordering
        "user": ["new_users", "effective_new_user_share", "cac", "dau", "stickiness", "mau"],
        "revenue": ["gmv", "refund_rate", "net_revenue"],
        "content": ["impressions", "ctr"]}


def test_chinese_bold_labels_close_before_chinese_text():
    """CommonMark does not close "**" after "）" when a Chinese character follows: keep a space there."""
    import re
    from ui.i18n import catalogs
    bad = {k: v for k, v in catalogs()["zh"].items() if k.startswith("overview.")
           and re.search(r"\}\*\*[\u4e00-\u9fff]", v)}
    assert bad == {}
