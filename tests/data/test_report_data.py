"""The audit report's numbers (data/report.py) from small inline files, asserted as literal values."""
from __future__ import annotations

from datetime import date

import duckdb
import pytest

from data import report as rep
from data.report import Action, ReportOptions, build_report, data_key, recommended_actions
from data.store import GoalStore, StoreError
from kpi import goals as G
from kpi import retention as kr
from kpi.benchmarks import Status
from tests.helpers import csv_bytes, workspace_with

TODAY = date(2026, 3, 6)

# six users: 6 sign up, 5 view a product, 3 add to cart, 2 buy
EVENTS = csv_bytes(["user_id", "event", "timestamp", "channel"], [
    ["u1", "sign_up", "2026-03-02 09:00:00", "organic"], ["u1", "view_product", "2026-03-02 09:05:00", "organic"],
    ["u1", "add_to_cart", "2026-03-02 09:10:00", "organic"], ["u1", "purchase", "2026-03-03 10:00:00", "organic"],
    ["u2", "sign_up", "2026-03-02 10:00:00", "paid"], ["u2", "view_product", "2026-03-03 10:00:00", "paid"],
    ["u2", "add_to_cart", "2026-03-03 10:05:00", "paid"],
    ["u3", "sign_up", "2026-03-02 11:00:00", "paid"], ["u3", "view_product", "2026-03-02 11:30:00", "paid"],
    ["u4", "sign_up", "2026-03-03 12:00:00", "organic"], ["u4", "view_product", "2026-03-04 12:00:00", "organic"],
    ["u5", "sign_up", "2026-03-03 13:00:00", "paid"],
    ["u6", "sign_up", "2026-03-04 14:00:00", "organic"], ["u6", "view_product", "2026-03-05 14:00:00", "organic"],
    ["u6", "add_to_cart", "2026-03-05 14:10:00", "organic"], ["u6", "purchase", "2026-03-05 14:20:00", "organic"],
])
# engagement rate (10 + 5 + 5) / 1000 = 2 %: below the 4–6 % market band
DAILY = csv_bytes(["Date", "Video Views", "Likes", "Comments", "Shares"], [
    ["2026-03-02", 1000, 10, 5, 5], ["2026-03-03", 1000, 10, 5, 5],
    ["2026-03-04", 1000, 10, 5, 5], ["2026-03-05", 1000, 10, 5, 5],
])
ORDERS = csv_bytes(["order_id", "customer_id", "order_date", "amount", "status"], [
    ["o1", "c1", "2026-01-05 10:00:00", 100, "paid"], ["o2", "c1", "2026-02-07 10:00:00", 50, "paid"],
    ["o3", "c2", "2026-01-20 10:00:00", 80, "paid"], ["o4", "c3", "2026-02-03 10:00:00", 60, "cancelled"],
    ["o5", "c3", "2026-03-01 10:00:00", 70, "paid"],
])
TICKETS = csv_bytes(["ticket_id", "created", "first_response", "resolved"], [
    ["t1", "2026-03-02 10:00:00", "2026-03-02 10:30:00", "2026-03-02 12:00:00"],
    ["t2", "2026-03-03 10:00:00", "2026-03-03 11:30:00", "2026-03-04 10:00:00"],
])


def app_and_account():
    return workspace_with(events__csv=EVENTS, overview__csv=DAILY)


@pytest.fixture(scope="module")
def report():
    return build_report(app_and_account(), ReportOptions(today=TODAY), store=GoalStore(None))


def test_empty_workspace_gives_an_empty_report():
    r = build_report(workspace_with(), ReportOptions(today=TODAY), store=GoalStore(None))
    assert (r.empty, r.period, r.kpis, r.funnel, r.retention, r.content, r.highlights, r.actions) == \
        (True, None, (), None, None, None, (), ())
    assert (r.goals.entries, r.goals.suggestions, r.goals.error) == ((), (), None)


def test_cover_facts(report):
    assert report.generated == TODAY
    assert report.period == (date(2026, 3, 2), date(2026, 3, 5))
    assert [(d.label, d.kind, d.rows, d.rows_rejected) for d in report.datasets] == [
        ("events.csv", "events", 16, 0), ("overview.csv", "social_daily", 4, 0)]


@pytest.mark.parametrize("kpi_id, value, status", [
    ("engagement_rate", 0.02, Status.BELOW_MARKET),
    ("new_users", 6.0, None),
    ("retention_d1", 4 / 9, Status.MARKET),
    ("stickiness", 2.5 / 6, Status.OPTIMAL),
    ("funnel_conversion", 2 / 6, None),
    ("cac", None, None),            # no spend file and no spend typed in
])
def test_kpi_rows(report, kpi_id, value, status):
    row = next(r for r in report.kpis if r.id == kpi_id)
    assert row.value.value == pytest.approx(value) if value is not None else row.value.value is None
    assert row.status == status
    assert row.change is None       # the whole data: no previous period of the same length


def test_kpis_are_the_available_ones_in_registry_order(report):
    assert [r.id for r in report.kpis] == [
        "engagement_rate", "new_users", "effective_new_user_share", "cac", "channel_conversion_rate",
        "retention_d1", "retention_d7", "retention_d30", "churn_rate", "dau", "mau", "stickiness",
        "funnel_conversion", "users_per_agent"]


def test_change_against_the_previous_period():
    ws = app_and_account()
    r = build_report(ws, ReportOptions(date_range=(date(2026, 3, 4), date(2026, 3, 5)), today=TODAY),
                     store=GoalStore(None))
    er = next(k for k in r.kpis if k.id == "engagement_rate")
    assert er.previous_period == (date(2026, 3, 2), date(2026, 3, 3))
    assert (er.change.previous, er.change.absolute) == (pytest.approx(0.02), pytest.approx(0.0))


def test_funnel_is_the_default_event_funnel(report):
    f = report.funnel
    assert (f.kind, f.label, f.breakdown, f.order, f.window_seconds, f.skipped_rows) == (
        "events", "events.csv", "channel", "ordered", 7 * 86_400, 0)
    assert [(s.name, s.users) for s in f.report.funnel.steps] == [
        ("sign_up", 6), ("view_product", 5), ("add_to_cart", 3), ("purchase", 2)]
    assert f.report.funnel.finding.code == "worst_step"
    assert dict(f.report.funnel.finding.params) == {"from_step": "view_product", "to_step": "add_to_cart",
                                                    "drop_off": pytest.approx(0.4), "lost": 2,
                                                    "from_previous": pytest.approx(0.6)}
    assert f.report.segments.finding.code == "segments_too_small"   # 3 users per channel < 30


def test_funnel_with_chosen_steps_and_bad_steps():
    ws = app_and_account()
    ok = build_report(ws, ReportOptions(funnel_steps=("sign_up", "purchase"), today=TODAY), store=GoalStore(None))
    assert [s.users for s in ok.funnel.report.funnel.steps] == [6, 2]
    bad = build_report(ws, ReportOptions(funnel_steps=("sign_up",), today=TODAY), store=GoalStore(None))
    assert bad.funnel.report is None
    assert [i.code for i in bad.funnel.issues] == ["funnel_too_few_steps"]


def test_social_funnel_when_there_is_no_event_log():
    profile = csv_bytes(["Date", "Video Views", "Profile Views", "Likes"], [
        ["2026-03-02", 1000, 40, 10], ["2026-03-03", 1000, 60, 10]])
    followers = csv_bytes(["Date", "Difference in followers from previous day"], [
        ["2026-03-02", 5], ["2026-03-03", 15]])
    r = build_report(workspace_with(a__csv=profile, b__csv=followers), ReportOptions(today=TODAY),
                     store=GoalStore(None))
    assert (r.funnel.kind, r.funnel.steps_are_roles) == ("social", True)
    assert [(s.name, s.users) for s in r.funnel.report.funnel.steps] == [
        ("views", 2000), ("profile_views", 100), ("new_followers", 20)]
    assert r.retention is None


def test_retention_of_the_event_log(report):
    r = report.retention
    assert (r.kind, r.period, r.rule, r.product_type) == ("events", "week", "on", "tools")
    assert [(d.k, d.active_users.value, d.active_inputs) for d in r.days][0] == (1, pytest.approx(4 / 9), (4, 9))
    assert [d.active_users.reason for d in r.days[1:]] == ["range_too_short", "range_too_short"]
    assert r.d1_status is kr.D1Status.IN_BAND
    assert [(c.start, c.size) for c in r.matrix.cohorts] == [(date(2026, 3, 2), 6)]
    assert r.stickiness_status == "above"


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_orders_retention_uses_monthly_cohorts(grain):
    r = build_report(workspace_with(shop__csv=ORDERS), ReportOptions(grain=grain, today=TODAY),
                     store=GoalStore(None))
    assert (r.retention.kind, r.retention.period) == ("orders", "month")
    assert [(c.start, c.size) for c in r.retention.matrix.cohorts] == [
        (date(2026, 1, 1), 2), (date(2026, 3, 1), 1)]
    assert [h.kind for h in r.highlights][:1] == ["retention"]
    assert r.highlights[0].params["orders"] is True


def test_retention_part_explains_an_unusable_file():
    orders = csv_bytes(["order_date", "amount"], [["2026-03-02", 10]])      # no customer column
    r = build_report(workspace_with(o__csv=orders), ReportOptions(today=TODAY), store=GoalStore(None))
    assert (r.retention.issue.code, r.retention.matrix) == ("retention_missing_role", None)


def test_summary_order(report):
    assert [(h.kind, h.tone, h.kpi.id if h.kpi else getattr(h.finding, "code", None)) for h in report.highlights] == [
        ("kpi_below", "bad", "engagement_rate"),
        ("funnel", "bad", "worst_step"),
        ("retention", "good", None),          # D1 said once, against the band: not again as a KPI
        ("kpi_strong", "good", "stickiness"),
    ]


def test_recommended_actions(report):
    assert report.actions == (
        Action("fix_worst_step", "funnel_conversion"), Action("content_plan", "engagement_rate"),
        Action("onboarding_review", "retention_d1"), Action("format_tests", "engagement_rate"),
        Action("core_action_push", "retention_d1"), Action("posting_time", "engagement_rate"))
    assert recommended_actions(report, limit=2) == report.actions[:2]


def test_support_tickets_only():
    r = build_report(workspace_with(t__csv=TICKETS), ReportOptions(today=TODAY), store=GoalStore(None))
    assert [(k.id, k.value.value, k.status) for k in r.kpis] == [
        ("first_response_time", 3600.0, Status.BELOW_MARKET), ("resolution_time", 46800.0, Status.OPTIMAL)]
    assert [h.kind for h in r.highlights] == ["kpi_below", "kpi_strong"]
    assert [a.code for a in r.actions] == ["canned_replies", "shift_coverage", "ticket_triage"]
    assert (r.funnel, r.retention, r.content) == (None, None, None)


# ---- goals -----------------------------------------------------------------------------------------

def test_no_goals_gives_suggestions(report):
    g = report.goals
    assert (g.workspace, g.persistent, g.entries) == ("default", False, ())
    assert [(s.kpi_id, s.baseline, s.target, s.deadline) for s in g.suggestions] == [
        ("engagement_rate", pytest.approx(0.02), 0.04, date(2026, 5, 6))]
    assert g.suggestion_window == (date(2026, 3, 2), date(2026, 3, 5))


def test_saved_goals_with_checks_and_tracking():
    store = GoalStore(None)
    goal = G.Goal("engagement_rate", 0.02, 0.03, date(2026, 4, 1), date(2026, 3, 2), scope="overview.csv",
                  owner="Ann", business_goal=G.BusinessGoal.BRAND_AWARENESS, stage=G.BusinessStage.STARTUP,
                  tasks=(G.Task(code="content_plan", owner="Ann", due=date(2026, 3, 20)),))
    store.scoped("team a").save_goal(goal)
    other = build_report(app_and_account(), ReportOptions(today=TODAY), store=store)
    assert other.goals.entries == ()                          # another workspace name
    r = build_report(app_and_account(), ReportOptions(goals_workspace="team a", today=TODAY), store=store)
    [entry] = r.goals.entries
    assert entry.goal.owner == "Ann" and [t.code for t in entry.goal.tasks] == ["content_plan"]
    assert entry.current.value == pytest.approx(0.02)
    assert entry.tracking.status is G.TrackStatus.OFF_TRACK
    assert [(c.name, c.verdict) for c in entry.checks] == [
        ("specific", "pass"), ("measurable", "pass"), ("achievable", "warn"), ("relevant", "pass"),
        ("time_bound", "pass")]
    assert r.goals.suggestions == ()                          # an active goal: no suggestions
    assert r.highlights[-1].kind == "goals"
    assert dict(r.highlights[-1].params) == {"n": 1, "on_track": 0, "off_track": 1}


def test_goal_store_error_is_reported(monkeypatch):
    store = GoalStore(None)
    monkeypatch.setattr(GoalStore, "goals", lambda self: (_ for _ in ()).throw(StoreError("busy", "locked")))
    r = build_report(app_and_account(), ReportOptions(today=TODAY), store=store)
    assert (r.goals.error.code, r.goals.entries) == ("goals_store_busy", ())


# ---- robustness ---------------------------------------------------------------------------------------

def test_a_failing_section_leaves_the_others(monkeypatch):
    def boom(*args, **kwargs):
        raise duckdb.BinderException("Binder Error: boom")
    monkeypatch.setattr(rep.dfun, "event_funnel", boom)
    r = build_report(app_and_account(), ReportOptions(today=TODAY), store=GoalStore(None))
    assert (r.funnel.report, r.funnel.error) == (None, "Binder Error: boom")
    assert r.retention.d1_status is kr.D1Status.IN_BAND
    assert [h.kind for h in r.highlights] == ["kpi_below", "retention", "kpi_strong"]


def test_data_key_changes_with_the_data():
    ws = workspace_with(events__csv=EVENTS)
    before = data_key(ws)
    ws.add_file("overview.csv", DAILY)
    assert data_key(ws) != before
    assert data_key(ws) == data_key(ws)
