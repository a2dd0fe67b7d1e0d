from dataclasses import replace

from kpi.goals import REVIEW_TASK
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.goals import (ACHIEVABLE_FAIL, ACHIEVABLE_WARN, GOAL_KPIS, STAGE_FOCUS, TASK_PLANS, BadRecord,
                       BusinessGoal, BusinessStage, CheckName, Goal, GoalStatus, Review, Task, TaskStatus,
                       TargetMode, TrackStatus, Verdict, add_months, baseline_window, blocking, check_achievable,
                       check_goal, default_target, measurement_windows,
                       check_measurable, check_relevant, check_specific, check_time_bound, default_tasks,
                       goal_from_dict, goal_to_dict, log_growth_per_period, review_state, statement,
                       suggest_goals, suggested_tasks, summary, target_value, track)
from kpi.registry import METRICS

TODAY = date(2026, 11, 23)


def goal(**kw) -> Goal:
    base = dict(kpi_id="engagement_rate", baseline=0.05, target=0.07, deadline=date(2027, 1, 23), created=TODAY,
                scope="TikTok account", business_goal=BusinessGoal.BRAND_AWARENESS, stage=BusinessStage.STARTUP,
                baseline_start=date(2026, 10, 24), baseline_end=date(2026, 11, 20))
    base.update(kw)
    return Goal(**base)


def weekly(values, end=TODAY):
    """A weekly history ending at ``end``: [(date, value), ...]."""
    n = len(values)
    return [(end - timedelta(days=7 * (n - 1 - i)), v) for i, v in enumerate(values)]


# ---- time-bound --------------------------------------------------------------------------------

@pytest.mark.parametrize("deadline, verdict, code", [
    (None, "fail", "no_deadline"),
    (date(2026, 11, 22), "fail", "past"),
    (date(2026, 11, 23), "fail", "past"),            # today is not in the future
    (date(2026, 11, 24), "warn", "too_soon"),        # 1 day
    (date(2026, 11, 29), "warn", "too_soon"),        # 6 days
    (date(2026, 11, 30), "pass", "ok"),              # 7 days
    (date(2027, 5, 25), "pass", "ok"),               # 183 days
    (date(2027, 5, 26), "warn", "far"),              # 184 days
    (date(2027, 11, 23), "warn", "far"),             # 365 days
    (date(2027, 11, 24), "fail", "too_far"),         # 366 days
])
def test_time_bound_boundaries(deadline, verdict, code):
    c = check_time_bound(goal(deadline=deadline), TODAY)
    assert (c.name, c.verdict, c.code) == (CheckName.TIME_BOUND, verdict, code)


# ---- specific ----------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, verdict, code", [
    ({}, "pass", "ok"),
    ({"kpi_id": "no_such_kpi"}, "fail", "no_kpi"),
    ({"kpi_id": ""}, "fail", "no_kpi"),
    ({"target": None}, "fail", "no_target"),
    ({"scope": "   "}, "warn", "no_scope"),
    ({"scope": "TikTok, Instagram"}, "warn", "many_scopes"),
    ({"scope": "抖音、快手"}, "warn", "many_scopes"),
    ({"scope": "TikTok + YouTube"}, "warn", "many_scopes"),
    ({"target": 0.05}, "warn", "no_change"),
    ({"target": 0.04}, "warn", "worse_target"),                            # lower engagement
    ({"kpi_id": "first_response_time", "baseline": 120.0, "target": 60.0}, "pass", "ok"),
    ({"kpi_id": "first_response_time", "baseline": 120.0, "target": 180.0}, "warn", "worse_target"),
    ({"baseline": None}, "pass", "ok"),                                    # measurable says what is missing
])
def test_specific(changes, verdict, code):
    c = check_specific(goal(**changes))
    assert (c.verdict, c.code) == (verdict, code)


def test_specific_names_the_scope():
    assert check_specific(goal(scope="  Shop  ")).params == {"kpi": "engagement_rate", "scope": "Shop"}


# ---- measurable --------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, available, verdict, code", [
    ({}, {"engagement_rate"}, "pass", "ok"),
    ({}, set(), "fail", "not_in_data"),
    ({"baseline": None}, {"engagement_rate"}, "fail", "no_baseline"),
    ({"target": 1.0}, {"engagement_rate"}, "pass", "ok"),                     # 100 % is possible
    ({"target": 1.01}, {"engagement_rate"}, "fail", "impossible_target"),     # a ratio over 100 %
    ({"target": -0.01}, {"engagement_rate"}, "fail", "impossible_target"),
    ({"kpi_id": "gmv", "baseline": 1000.0, "target": 5000.0}, {"gmv"}, "pass", "ok"),  # money may exceed 1
    ({"data_baseline": 0.05}, {"engagement_rate"}, "pass", "ok"),
    ({"data_baseline": 0.048}, {"engagement_rate"}, "warn", "baseline_edited"),
])
def test_measurable(changes, available, verdict, code):
    c = check_measurable(goal(**changes), available)
    assert (c.verdict, c.code) == (verdict, code)


def test_measurable_not_in_data_names_the_kinds():
    c = check_measurable(goal(kpi_id="repurchase_rate"), set())
    assert c.params == {"kpi": "repurchase_rate", "kinds": ["orders"]}


# ---- achievable --------------------------------------------------------------------------------

GROWING = weekly([100, 102, 104.04, 106.1208])      # +2 % a week
SHRINKING = weekly([100, 98, 96.04, 94.1192])       # −2 % a week


@pytest.mark.parametrize("kpi, target, history, verdict, code, ratio", [
    # 28 days = 4 weeks ahead, baseline 100; history +2 %/week
    ("gmv", 112.5, GROWING, "pass", "ok", 1.4942),         # needs +2.99 %/week: 1.49 ×
    ("gmv", 112.6, GROWING, "warn", "faster", 1.5056),     # needs +3.01 %/week: 1.51 ×
    ("gmv", 126.2, GROWING, "warn", "faster", 2.9950),     # 2.99 ×
    ("gmv", 126.3, GROWING, "fail", "much_faster", 3.0055),
    # lower is better: response times falling 2 %/week is the historical improvement
    ("first_response_time", 88.6, SHRINKING, "pass", "ok", 1.4903),
    ("first_response_time", 88.5, SHRINKING, "warn", "faster", 1.5040),
    ("first_response_time", 78.2, SHRINKING, "warn", "faster", 2.9812),
    ("first_response_time", 78.0, SHRINKING, "fail", "much_faster", 3.0113),
])
def test_achievable_boundaries(kpi, target, history, verdict, code, ratio):
    g = goal(kpi_id=kpi, baseline=100.0, target=target, deadline=TODAY + timedelta(days=28), baseline_end=TODAY)
    c = check_achievable(g, history, TODAY, "week")
    assert (c.verdict, c.code) == (verdict, code)
    assert c.params["ratio"] == pytest.approx(ratio, abs=1e-4)
    # shown as the change of the value per period: response times fall by 2 % a week
    assert c.params["historical"] == pytest.approx(0.02 if kpi == "gmv" else -0.02)
    assert (c.params["required"] > 0) == (kpi == "gmv")
    assert (c.params["start"], c.params["end"], c.params["periods"]) == (date(2026, 11, 2), TODAY, 4)


def test_achievable_thresholds_are_the_issue_numbers():
    assert (ACHIEVABLE_WARN, ACHIEVABLE_FAIL) == (1.5, 3.0)


@pytest.mark.parametrize("changes, history, verdict, code", [
    ({"target": 100.0}, GROWING, "pass", "no_growth_needed"),
    ({"target": 90.0}, GROWING, "pass", "no_growth_needed"),
    ({"baseline": 0.0, "target": 10.0}, GROWING, "warn", "zero_baseline"),
    ({"kpi_id": "first_response_time", "target": 0.0}, SHRINKING, "fail", "zero_target"),
    ({}, weekly([100]), "warn", "no_history"),
    ({}, [], "warn", "no_history"),
    ({}, weekly([None, 0, 100]), "warn", "no_history"),                   # one usable point
    ({}, GROWING[::-1], "pass", "ok"),                                    # order of the points does not matter
    ({}, weekly([100, 100, 100, 100]), "warn", "no_growth_history"),
    ({}, weekly([106.1208, 104.04, 102, 100]), "warn", "no_growth_history"),
    ({"deadline": None}, GROWING, "warn", "not_assessed"),
    ({"deadline": TODAY}, GROWING, "warn", "not_assessed"),
    ({"target": None}, GROWING, "warn", "not_assessed"),
])
def test_achievable_cases(changes, history, verdict, code):
    base = dict(kpi_id="gmv", baseline=100.0, target=108.0, deadline=TODAY + timedelta(days=28), baseline_end=TODAY)
    base.update(changes)
    c = check_achievable(goal(**base), history, TODAY, "week")
    assert (c.verdict, c.code) == (verdict, code)


def test_achievable_window_is_as_long_as_the_horizon():
    # 8 weeks ahead: the window is the last 8 weekly points (flat, then +2 %): the log fit's slope is
    # 17/42 · ln 1.02, i.e. +0.80 % a week
    history = weekly([100, 100, 100, 100, 100, 102, 104.04, 106.1208])
    g = goal(kpi_id="gmv", baseline=100.0, target=110.0, deadline=TODAY + timedelta(days=56), baseline_end=TODAY)
    c = check_achievable(g, history, TODAY, "week")
    assert c.params["periods"] == 8
    assert c.params["historical"] == pytest.approx(0.0080476, abs=1e-6)
    # points after the baseline's end are not history
    c2 = check_achievable(replace(g, baseline_end=TODAY - timedelta(days=21)), history, TODAY, "week")
    assert (c2.params["periods"], c2.params["end"]) == (5, date(2026, 11, 2))


def test_achievable_monthly_grain():
    history = [(date(2026, 7, 1), 100.0), (date(2026, 8, 1), 110.0), (date(2026, 9, 1), 121.0),
               (date(2026, 10, 1), 133.1)]
    g = goal(kpi_id="gmv", baseline=133.1, target=161.051, deadline=date(2027, 1, 22), baseline_end=date(2026, 10, 31))
    c = check_achievable(g, history, TODAY, "month")
    # 60 days = 1.971 months (of 30.4375 days); 1.21× in that time is +10.15 % a month
    assert c.params["required"] == pytest.approx(0.10153, abs=1e-5)
    assert c.params["historical"] == pytest.approx(0.10)
    assert c.verdict is Verdict.PASS


def test_seasonality_note_when_last_year_is_in_the_data():
    history = [(date(2025, 11, 24), 80.0), (date(2025, 12, 22), 120.0), (date(2026, 1, 19), 90.0), *GROWING]
    g = goal(kpi_id="gmv", baseline=100.0, target=108.0, deadline=date(2027, 1, 23), baseline_end=TODAY)
    c = check_achievable(g, history, TODAY, "week")
    assert [n.code for n in c.notes] == ["seasonal"]
    assert dict(c.notes[0].params) == {"change": 0.125, "start": date(2025, 11, 24), "end": date(2026, 1, 19),
                                       "first": 80.0, "last": 90.0}
    assert check_achievable(g, GROWING, TODAY, "week").notes == ()


@pytest.mark.parametrize("values, growth", [
    ([100, 110, 121], 0.10),
    ([121, 110, 100], -0.0909091),
    ([5, 5], 0.0),
    ([100, None, 121], 0.10),   # a missing period is skipped, the points keep their index
    ([7], None),
    ([0, -1, 3], None),
])
def test_log_growth_per_period(values, growth):
    got = log_growth_per_period(values)
    assert got == (None if growth is None else pytest.approx(growth, abs=1e-6))


# ---- relevant ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kpi, business_goal, stage, verdict, code", [
    ("retention_d1", "customer_base", "startup", "pass", "ok"),
    ("stickiness", "customer_base", "growth", "pass", "ok"),
    ("repurchase_rate", "sales", "growth", "pass", "ok"),
    ("arpu", "sales", "mature", "pass", "ok"),
    ("gmv_per_head", "sales", "mature", "pass", "ok"),
    ("engagement_rate", "brand_awareness", "startup", "pass", "ok"),
    ("engagement_rate", "brand_awareness", "mature", "warn", "not_stage_focus"),
    ("arpu", "sales", "startup", "warn", "not_stage_focus"),
    ("engagement_rate", "sales", "startup", "fail", "not_for_goal"),
    ("first_response_time", "brand_awareness", "mature", "fail", "not_for_goal"),
    ("first_response_time", "other", "mature", "pass", "ok"),
    ("aov", "other", "startup", "warn", "not_stage_focus"),
])
def test_relevant(kpi, business_goal, stage, verdict, code):
    c = check_relevant(goal(kpi_id=kpi, business_goal=BusinessGoal(business_goal), stage=BusinessStage(stage)))
    assert (c.verdict, c.code) == (verdict, code)


def test_relevant_suggests_the_stage_focus_kpis_available_first():
    g = goal(kpi_id="arpu", business_goal=BusinessGoal.SALES, stage=BusinessStage.GROWTH)
    c = check_relevant(g, available={"repurchase_rate", "gmv", "arpu"})
    assert c.params["suggested"] == ["repurchase_rate", "gmv", "stickiness", "dau"]
    c = check_relevant(goal(kpi_id="views_per_video", business_goal=BusinessGoal.SALES),
                       available={"views_per_video", "lead_conversion_rate", "gmv"})
    assert c.params["suggested"] == ["gmv", "lead_conversion_rate"]


def test_relevant_notes_the_quality_partner_of_a_volume_kpi():
    c = check_relevant(goal(kpi_id="new_users", business_goal=BusinessGoal.CUSTOMER_BASE,
                            stage=BusinessStage.GROWTH))
    assert [(n.code, dict(n.params)) for n in c.notes] == [("pair", {"partner": "effective_new_user_share"})]


def test_stage_focus_starts_with_the_notes_examples():
    assert STAGE_FOCUS[BusinessStage.STARTUP][:1] == ("retention_d1",)
    assert {"stickiness", "repurchase_rate"} <= set(STAGE_FOCUS[BusinessStage.GROWTH])
    assert STAGE_FOCUS[BusinessStage.MATURE][:2] == ("arpu", "gmv_per_head")


def test_tables_name_only_registered_kpis_and_cover_every_kpi():
    ids = set(METRICS)
    for kpis in GOAL_KPIS.values():
        assert kpis <= ids
    for kpis in STAGE_FOCUS.values():
        assert set(kpis) <= ids
    served = set().union(*(v for k, v in GOAL_KPIS.items() if k is not BusinessGoal.OTHER))
    assert served == ids
    assert set(TASK_PLANS) == ids


# ---- all five, blocking ------------------------------------------------------------------------

def test_check_goal_returns_the_five_in_order():
    checks = check_goal(goal(), today=TODAY, available={"engagement_rate"}, history=[], grain="week")
    assert [(c.name, c.verdict, c.code) for c in checks] == [
        ("specific", "pass", "ok"), ("measurable", "pass", "ok"), ("achievable", "warn", "no_history"),
        ("relevant", "pass", "ok"), ("time_bound", "pass", "ok")]
    assert summary(checks) is Verdict.WARN
    assert blocking(checks) == []


def test_blocking_only_for_specific_measurable_time_bound():
    checks = check_goal(goal(target=None, deadline=None, business_goal=BusinessGoal.SALES), today=TODAY,
                        available={"engagement_rate"})
    assert [(c.name, c.code) for c in blocking(checks)] == [("specific", "no_target"), ("time_bound", "no_deadline")]
    assert summary(checks) is Verdict.FAIL


# ---- targets, statement, dates -----------------------------------------------------------------

@pytest.mark.parametrize("mode, entered, baseline, expected", [
    ("absolute", 0.08, 0.052, 0.08),
    ("percent", 10.0, 200.0, 220.0),
    ("percent", -25.0, 120.0, 90.0),
    ("percent", 10.0, None, None),
    ("absolute", None, 5.0, None),
    ("absolute", float("nan"), 5.0, None),
])
def test_target_value(mode, entered, baseline, expected):
    got = target_value(TargetMode(mode), entered, baseline)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 11, 23), 1, date(2026, 12, 23)),
    (date(2026, 11, 23), 2, date(2027, 1, 23)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2027, 12, 15), 1, date(2028, 1, 15)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize("changes, verb, per", [
    ({}, "increase", None),
    ({"target": 0.04}, "decrease", None),
    ({"target": 0.05}, "keep", None),
    ({"baseline": None}, "reach", None),
    ({"kpi_id": "gmv", "baseline": 1000.0, "target": 1200.0}, "increase", 28),   # a sum: "per 28 days"
])
def test_statement_parts(changes, verb, per):
    s = statement(goal(**changes))
    assert (s.verb, s.period_days) == (verb, per)
    assert s.deadline == date(2027, 1, 23)


def test_statement_example_from_the_issue():
    s = statement(goal(kpi_id="follower_growth_weekly", baseline=0.052, target=0.08, deadline=date(2027, 3, 31)))
    assert (s.verb, s.kpi_id, s.baseline, s.target, s.deadline) == (
        "increase", "follower_growth_weekly", 0.052, 0.08, date(2027, 3, 31))


# ---- suggestions -------------------------------------------------------------------------------

def test_suggestions_for_kpis_below_the_market_band():
    values = {"engagement_rate": 0.03, "follower_growth_weekly": 0.045, "views_per_video": 12_000.0,
              "first_response_time": 120.0, "stickiness": None, "gmv": 5000.0}
    bands = {k: METRICS[k].benchmark() for k in values if METRICS[k].benchmark()}
    got = suggest_goals(values, bands, TODAY)
    assert [(s.kpi_id, s.baseline, s.target, s.deadline, s.stretch) for s in got] == [
        # biggest gap first: 120 s → 60 s is 50 %, 3 % → 4 % is 33 %: two months; 4.5 % → 5 % is 11 %: one
        ("first_response_time", 120.0, 60, date(2027, 1, 23), None),
        ("engagement_rate", 0.03, 0.04, date(2027, 1, 23), 0.07),
        ("follower_growth_weekly", 0.045, 0.05, date(2026, 12, 23), 0.08),
    ]
    assert all(s.stretch_deadline == date(2027, 1, 23) for s in got)


def test_suggestion_edge_of_the_band_is_not_below_it():
    bands = {"engagement_rate": METRICS["engagement_rate"].benchmark()}
    assert suggest_goals({"engagement_rate": 0.04}, bands, TODAY) == []
    assert [s.deadline for s in suggest_goals({"engagement_rate": 0.034}, bands, TODAY)] == [date(2026, 12, 23)]
    assert [s.deadline for s in suggest_goals({"engagement_rate": 0.0333}, bands, TODAY)] == [date(2027, 1, 23)]


# ---- action plan -------------------------------------------------------------------------------

def test_engagement_plan_is_the_articles_list():
    assert suggested_tasks("engagement_rate") == ("content_plan", "format_tests", "posting_time", "reply_comments",
                                                  "review_progress")


def test_default_tasks_spread_to_the_deadline():
    tasks = default_tasks(goal(owner="Ann"), TODAY)   # 61 days
    assert [(t.code, t.due, t.owner, t.position) for t in tasks] == [
        ("content_plan", date(2026, 12, 5), "Ann", 0),
        ("format_tests", date(2026, 12, 17), "Ann", 1),
        ("posting_time", date(2026, 12, 30), "Ann", 2),
        ("reply_comments", date(2027, 1, 11), "Ann", 3),
        ("review_progress", date(2026, 12, 23), "Ann", 4),
    ]
    assert all(t.status is TaskStatus.TODO for t in tasks)


# ---- tracking ----------------------------------------------------------------------------------

CREATED, DEADLINE = date(2026, 11, 1), date(2026, 12, 31)   # 60 days


@pytest.mark.parametrize("kpi, baseline, target, current, as_of, status, progress, expected", [
    ("gmv", 100.0, 200.0, 150.0, date(2026, 12, 1), "on_track", 0.5, 0.5),      # on the line
    ("gmv", 100.0, 200.0, 149.0, date(2026, 12, 1), "off_track", 0.49, 0.5),
    ("gmv", 100.0, 200.0, 200.0, date(2026, 12, 1), "achieved", 1.0, 0.5),
    ("gmv", 100.0, 200.0, 250.0, date(2027, 1, 5), "achieved", 1.5, 1.0),
    ("gmv", 100.0, 200.0, 180.0, date(2027, 1, 5), "missed", 0.8, 1.0),
    ("gmv", 100.0, 200.0, 90.0, date(2026, 10, 20), "off_track", -0.1, 0.0),    # data older than the goal
    ("gmv", 100.0, 200.0, 100.0, date(2026, 10, 20), "on_track", 0.0, 0.0),
    ("gmv", 100.0, 200.0, None, date(2026, 12, 1), "no_data", None, None),
    ("first_response_time", 100.0, 50.0, 75.0, date(2026, 12, 1), "on_track", 0.5, 0.5),
    ("first_response_time", 100.0, 50.0, 80.0, date(2026, 12, 1), "off_track", 0.4, 0.5),
    ("first_response_time", 100.0, 50.0, 45.0, date(2026, 11, 10), "achieved", 1.1, 0.15),
])
def test_tracking(kpi, baseline, target, current, as_of, status, progress, expected):
    g = goal(kpi_id=kpi, baseline=baseline, target=target, created=CREATED, deadline=DEADLINE)
    tr = track(g, current, as_of, TODAY)
    assert tr.status == status
    assert tr.progress == (None if progress is None else pytest.approx(progress))
    assert tr.expected == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("reviewed, today, state, due", [
    (None, date(2026, 11, 30), "not_yet", date(2026, 12, 1)),    # 29 days
    (None, date(2026, 12, 1), "due", date(2026, 12, 1)),         # 30 days
    (None, date(2027, 1, 1), "due", date(2026, 12, 1)),          # 61 days
    (None, date(2027, 1, 2), "overdue", date(2026, 12, 1)),      # 62 days
    (date(2026, 12, 15), date(2027, 1, 13), "not_yet", date(2027, 1, 14)),
    (date(2026, 12, 15), date(2027, 1, 14), "due", date(2027, 1, 14)),
])
def test_review_due_one_to_two_months_after_creation(reviewed, today, state, due):
    assert review_state(goal(created=CREATED, reviewed=reviewed), today) == (Review(state), due)


@settings(max_examples=80, deadline=None)
@given(baseline=st.floats(1, 1e6), step=st.floats(0.01, 1e6), share=st.floats(-2, 3))
def test_tracking_progress_is_the_share_of_the_way(baseline, step, share):
    target = baseline + step
    current = baseline + share * step
    tr = track(goal(kpi_id="gmv", baseline=baseline, target=target, created=CREATED, deadline=DEADLINE),
               current, date(2026, 12, 1), TODAY)
    assert tr.progress == pytest.approx(share, abs=1e-6)
    assert (tr.status is TrackStatus.ACHIEVED) == (current >= target)


# ---- plain dicts -------------------------------------------------------------------------------

def test_goal_dict_round_trip():
    g = goal(id="g1", owner="Анна", notes="примечание", target_mode=TargetMode.PERCENT, target_input=40.0,
             data_baseline=0.05, reviewed=date(2026, 12, 1), status=GoalStatus.DONE,
             tasks=(Task(code="content_plan", due=date(2026, 12, 5), id="t1", goal_id="g1"),
                    Task(title="回复评论", status=TaskStatus.DOING, id="t2", goal_id="g1", position=1)))
    d = goal_to_dict(g)
    assert d["deadline"] == "2027-01-23" and d["stage"] == "startup" and d["tasks"][1]["status"] == "doing"
    assert goal_from_dict(d) == g


@pytest.mark.parametrize("changes, code, field", [
    ({"kpi_id": "nope"}, "unknown_kpi", "kpi_id"),
    ({"created": None}, "bad_date", "created"),
    ({"deadline": "31/03/2027"}, "bad_date", "deadline"),
    ({"baseline": "five"}, "bad_number", "baseline"),
    ({"target": float("inf")}, "bad_number", "target"),
    ({"target": True}, "bad_number", "target"),
    ({"stage": "unicorn"}, "bad_value", "stage"),
    ({"tasks": [{"title": "", "code": None}]}, "empty_task", "title"),
    ({"tasks": "x"}, "bad_task", "tasks"),
])
def test_goal_from_dict_reports_what_is_wrong(changes, code, field):
    d = {**goal_to_dict(goal()), **changes}
    with pytest.raises(BadRecord) as err:
        goal_from_dict(d)
    assert (err.value.code, err.value.field) == (code, field)


# ---- defaults for the form ---------------------------------------------------------------------

@pytest.mark.parametrize("kpi, value, target", [
    ("engagement_rate", 0.03, 0.04),          # below the market band: its lower edge
    ("engagement_rate", 0.05, 0.07),          # in the market band: the optimal band's edge
    ("engagement_rate", 0.08, 0.088),         # optimal already: 10 % better
    ("engagement_rate", 0.95, 1.0),           # a ratio stops at 100 %
    ("first_response_time", 120.0, 60.0),     # lower is better: the band's upper edge
    ("first_response_time", 50.0, 45.0),      # inside it: 10 % lower
    ("gmv", 1000.0, 1100.0),                  # no band: 10 % better
    ("gmv", None, None),
])
def test_default_target(kpi, value, target):
    got = default_target(kpi, value, METRICS[kpi].benchmark())
    assert got == (None if target is None else pytest.approx(target))


@pytest.mark.parametrize("lo, hi, window", [
    (date(2026, 5, 25), date(2026, 11, 20), (date(2026, 10, 24), date(2026, 11, 20))),
    (date(2026, 11, 10), date(2026, 11, 20), (date(2026, 11, 10), date(2026, 11, 20))),
])
def test_baseline_window_is_the_last_four_weeks(lo, hi, window):
    assert baseline_window(lo, hi) == window


def test_input_scale():
    from kpi.goals import input_scale
    from kpi.registry import Unit
    assert [input_scale(u) for u in (Unit.RATIO, Unit.DURATION, Unit.COUNT, Unit.MONEY)] == [100.0, 1 / 60, 1.0, 1.0]


@pytest.mark.parametrize("as_of, days, first, windows", [
    (date(2026, 11, 28), 28, date(2026, 10, 1), [(date(2026, 10, 4), date(2026, 10, 31)),
                                                 (date(2026, 11, 1), date(2026, 11, 28))]),
    (date(2026, 11, 28), 28, date(2026, 11, 1), [(date(2026, 11, 1), date(2026, 11, 28))]),
    (date(2026, 11, 28), 28, date(2026, 11, 2), []),
    (date(2026, 11, 28), 7, date(2020, 1, 1), [(date(2026, 10, 18), date(2026, 10, 24)),
                                               (date(2026, 10, 25), date(2026, 10, 31)),
                                               (date(2026, 11, 1), date(2026, 11, 7)),
                                               (date(2026, 11, 8), date(2026, 11, 14)),
                                               (date(2026, 11, 15), date(2026, 11, 21)),
                                               (date(2026, 11, 22), date(2026, 11, 28))]),
])
def test_measurement_windows(as_of, days, first, windows):
    assert measurement_windows(as_of, days, first) == windows


def test_default_tasks_put_content_findings_first_and_spread_due_dates():
    goal = Goal(kpi_id="views_per_video", baseline=9000.0, target=12000.0, deadline=date(2027, 1, 31),
                  created=date(2026, 11, 23), owner="Anna")
    tasks = default_tasks(goal, date(2026, 11, 23), extra=("Post more #unboxing videos", "  "))
    assert tasks[0].title == "Post more #unboxing videos" and tasks[0].code is None
    assert tasks[0].owner == "Anna"
    assert [t.position for t in tasks] == list(range(len(tasks)))
    assert tasks[-1].code == REVIEW_TASK
    assert tasks[0].due < tasks[1].due <= tasks[-2].due
    assert len(tasks) == len(default_tasks(goal, date(2026, 11, 23))) + 1
