"""The audit report's numbers: every section gathered from the data layer into one plain structure.

No SQL of its own and no text: it calls the public functions of ``data.kpis``, ``data.funnel``,
``data.retention``, ``data.content`` and ``data.store`` (with the maths in ``kpi/``) and keeps their
results (KPI values, funnel and retention reports, content findings, goals with their checks) as
language-neutral codes and numbers. ``ui.report_render`` turns a ``Report`` into HTML, Markdown + PNG
and CSV in one language; the Report page and ``audit.py --html`` both start here.

What the summary picks (``summarise``), in this order:

* KPIs below their market band, largest relative gap first (retention and stickiness measured on
  orders only are left out: the bands are for products people open daily; the retention section says so);
* the funnel's worst step and, with a breakdown, the segment that converts worst;
* active-user D1 retention against the band of the product type (below 20 % is an alarm);
* the first content findings when social posts are loaded;
* KPIs at the market average (room to reach the optimal band), then KPIs in or above their optimal
  band (strengths);
* goals: how many are on track.

Each section is built on its own: a query that fails leaves that section with an ``error`` and the
others intact.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from data import funnel as dfun
from data.issues import Issue
from data import retention as R
from data.content import load_content
from data.kpis import available_kpis, compare_periods, compute_kpis, data_range, kpi_series
from data.session import Workspace
from data.store import GoalStore, StoreError
from kpi import funnel as fk
from kpi import goals as G
from kpi import retention as kr
from kpi.benchmarks import Benchmark, BenchmarkProfile, Status, assess, builtin_profile
from kpi.change import Change
from kpi.content import ContentAudit, ContentConfig, analyse
from kpi.content import Finding as ContentFinding
from kpi.registry import METRICS, Band
from kpi.result import KpiValue

MAX_KPI_HIGHLIGHTS = 5
MAX_CONTENT_HIGHLIGHTS = 3
MAX_STRENGTHS = 3
MAX_MARKET = 3
MAX_ACTIONS = 6
RETENTION_ONLY_FOR_APPS = ("retention_d1", "retention_d7", "retention_d30", "churn_rate", "stickiness")


# ---- options ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportOptions:
    """What the report is about. The defaults are the app's defaults (all data, weekly, tool products)."""

    date_range: tuple[date, date] | None = None     # the sidebar filter (inclusive); None: all data
    grain: str = "week"                              # cohorts (monthly for orders), funnel periods
    product_type: str = "tools"                      # D1 band: tools | social | content
    goods_type: str = "fmcg"                         # repurchase band: fmcg | durable
    user_inputs: Mapping[str, float] = field(default_factory=dict)   # spend, headcounts, leads
    effective_days: int = 3                          # a new user buying within this many days is effective
    lead_denominator: str = "profile_views"          # profile_views | link_clicks
    profile: BenchmarkProfile | None = None          # None: the built-in bands
    goals_workspace: str = "default"
    today: date | None = None                        # the report's date; None: date.today()
    funnel_steps: tuple[str, ...] | None = None      # event names; None: the default funnel
    funnel_window: int = fk.DEFAULT_WINDOW
    funnel_order: str = "ordered"
    retention_rule: str = "on"
    active_events: tuple[str, ...] | None = None


# ---- sections -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatasetInfo:
    label: str
    kind: str | None
    rows: int
    rows_rejected: int
    date_range: tuple[date, date] | None
    columns: Mapping[str, str]           # role -> the file's column
    warnings: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class KpiRow:
    id: str
    value: KpiValue
    benchmark: Benchmark | None
    status: Status | None
    change: Change | None                # against the previous range of equal length
    previous_period: tuple[date, date] | None

    @property
    def gap(self) -> float | None:
        """How far below the market band (relative to the value): larger is worse."""
        if self.status is not Status.BELOW_MARKET or self.benchmark is None or self.value.value is None:
            return None
        metric = METRICS[self.id]
        edge = self.benchmark.market.lo if metric.direction.value == "higher" else self.benchmark.market.hi
        if edge is None:
            return None
        v = self.value.value
        return math.inf if v == 0 else abs(edge - v) / abs(v)


@dataclass(frozen=True)
class FunnelPart:
    kind: str                            # events | funnel_counts | social | content
    label: str                           # file name(s)
    report: fk.Report | None
    steps_are_roles: bool = False        # social/content funnels: step names are role ids
    window_seconds: int | None = None
    order: str | None = None
    breakdown: str | None = None         # role of the segments (events), "segment" (step counts)
    skipped_rows: int = 0
    issues: tuple[Issue, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class RetentionPart:
    label: str
    kind: str                            # events | orders
    period: str
    rule: str
    product_type: str
    matrix: kr.CohortMatrix | None = None
    daily_curve: tuple[kr.CurvePoint, ...] = ()
    days: tuple[R.DayRetention, ...] = ()
    band: Band | None = None
    d1_status: kr.D1Status | None = None
    activity: kr.ActivitySummary | None = None
    stickiness_status: str | None = None
    issue: Issue | None = None
    error: str | None = None


@dataclass(frozen=True)
class ContentPart:
    label: str
    range: tuple[date, date] | None
    skipped: int
    audit: ContentAudit | None
    heatmap: Any = None                  # posting-time frame (dow, hour, posts, mean_views)
    min_posts: int = ContentConfig().min_posts
    error: str | None = None


@dataclass(frozen=True)
class GoalEntry:
    goal: G.Goal
    checks: tuple[G.Check, ...]
    tracking: G.Tracking
    current: KpiValue | None


@dataclass(frozen=True)
class GoalsPart:
    workspace: str
    persistent: bool
    entries: tuple[GoalEntry, ...] = ()
    suggestions: tuple[G.Suggestion, ...] = ()
    suggestion_window: tuple[date, date] | None = None
    error: Issue | None = None


@dataclass(frozen=True)
class Highlight:
    """One line of the summary: ``kind`` says which object it carries."""

    kind: str      # kpi_below | kpi_strong | funnel | segment | retention | content | goals
    tone: str      # bad | warn | good | info
    kpi: KpiRow | None = None
    finding: fk.Finding | ContentFinding | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """A recommended task (``goals.task.<code>``) and the KPI it serves."""

    code: str
    kpi_id: str


@dataclass(frozen=True)
class Report:
    generated: date
    period: tuple[date, date] | None
    options: ReportOptions
    datasets: tuple[DatasetInfo, ...]
    kpis: tuple[KpiRow, ...]
    funnel: FunnelPart | None
    retention: RetentionPart | None
    content: ContentPart | None
    goals: GoalsPart
    highlights: tuple[Highlight, ...] = ()
    actions: tuple[Action, ...] = ()
    kpi_error: str | None = None

    @property
    def empty(self) -> bool:
        return not self.datasets


# ---- building -----------------------------------------------------------------------------------------

def _detail(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def datasets_info(ws: Workspace) -> tuple[DatasetInfo, ...]:
    return tuple(DatasetInfo(d.label, d.kind, d.rows, d.rows_rejected, d.date_range, dict(d.roles),
                             tuple(d.warnings)) for d in ws.datasets)


def _kpi_kwargs(options: ReportOptions) -> dict[str, Any]:
    """The KPI definitions the options pick (the same keywords as ``compute_kpis``)."""
    return {"user_inputs": dict(options.user_inputs), "product_type": options.product_type,
            "goods_type": options.goods_type, "effective_days": options.effective_days,
            "lead_denominator": options.lead_denominator}


def kpi_rows(ws: Workspace, period: tuple[date, date] | None, options: ReportOptions) -> tuple[KpiRow, ...]:
    """The KPIs the loaded data can give, in registry order, with status and change."""
    ids = available_kpis(ws)
    if not ids:
        return ()
    kwargs = dict(_kpi_kwargs(options), ids=ids)
    rows = []
    comparisons = compare_periods(ws, *(period or (None, None)), **kwargs) if period else {}
    values = {k: c.current for k, c in comparisons.items()} or compute_kpis(ws, None, None, **kwargs)
    profile = options.profile or builtin_profile()
    for kpi_id in ids:
        value = values.get(kpi_id)
        if value is None:
            continue
        bench = profile.get(kpi_id, value.benchmark_variant)
        found = assess(kpi_id, value.value, profile, value.benchmark_variant)
        comp = comparisons.get(kpi_id)
        rows.append(KpiRow(kpi_id, value, bench, None if found is None else found.status,
                           None if comp is None or comp.previous is None else comp.change,
                           None if comp is None or comp.previous is None else comp.previous_period))
    return tuple(rows)


def funnel_part(ws: Workspace, options: ReportOptions) -> FunnelPart | None:
    """The first funnel the data gives (event log first), as the Funnel page shows it by default."""
    sources = dfun.sources(ws)
    if not sources:
        return None
    source = sources[0]
    try:
        if source.kind == "events":
            ds = ws.get(source.datasets[0])
            assert ds is not None
            steps = list(options.funnel_steps or dfun.default_steps(ws.con, ds.view, options.date_range))
            dims = dfun.breakdown_roles(ds)
            breakdown = dims[0] if dims else None
            spec = dfun.FunnelSpec(tuple((s,) for s in steps), options.funnel_window, options.funnel_order)
            data = dfun.event_funnel(ws.con, ds.view, spec, date_range=options.date_range, breakdown=breakdown,
                                     grain=options.grain, seg_roles=tuple(dims))
            skipped = dfun.unusable_rows(ws.con, ds.view)
            if data.issues:
                return FunnelPart("events", ds.label, None, window_seconds=spec.window_seconds, order=spec.order,
                                  skipped_rows=skipped, issues=tuple(data.issues))
            report = fk.event_report(data.step_names, data.depths, breakdown=breakdown is not None,
                                     over_time_rows=data.over_time, ttc_bin_rows=data.ttc_bins,
                                     ttc_median=data.ttc_median, ttc_p90=data.ttc_p90,
                                     window_seconds=spec.window_seconds, grain=options.grain,
                                     data_end=data.data_end)
            return FunnelPart("events", ds.label, report, window_seconds=spec.window_seconds, order=spec.order,
                              breakdown=breakdown, skipped_rows=skipped)
        names, rows = dfun.aggregated(ws, source, options.date_range)
        if len(names) < dfun.MIN_STEPS:
            return None
        report = fk.counts_report(names, rows)
        return FunnelPart(source.kind, source.label, report, steps_are_roles=source.kind != "funnel_counts",
                          breakdown="segment" if report.segments is not None else None)
    except (duckdb.Error, ValueError) as exc:
        return FunnelPart(source.kind, source.label, None, error=_detail(exc))


def retention_part(ws: Workspace, options: ReportOptions) -> RetentionPart | None:
    """Cohorts, D1/D7/D30 and activity of the first event log (else orders file), as on the Retention page."""
    usable = R.usable_datasets(ws)
    candidates = [d for kind in R.KINDS for d in ws.of_kind(kind)]
    period = options.grain if options.grain in ("day", "week", "month") else "week"
    common = {"period": period, "rule": options.retention_rule, "product_type": options.product_type}
    if not usable:
        if not candidates:
            return None
        d = candidates[0]
        return RetentionPart(d.label, str(d.kind), issue=R.check(d), **common)
    ds = usable[0]
    if ds.kind == "orders":  # people do not shop daily: monthly cohorts say more than daily or weekly ones
        period = "month"
        common["period"] = period
    events = options.active_events or None
    rng = options.date_range
    try:
        matrix = R.cohort_matrix(ws.con, ds, period, events, options.retention_rule, rng)
        if matrix.empty:
            return RetentionPart(ds.label, str(ds.kind), matrix=matrix, **common)
        daily = matrix if period == "day" else R.cohort_matrix(ws.con, ds, "day", events, options.retention_rule,
                                                                rng, max_k=max(kr.RETENTION_DAYS))
        days = R.day_retention(ws.con, ds, events, options.retention_rule, rng, daily=daily)
        act = R.activity(ws.con, ds, events, rng)
    except R.RetentionUnavailable as exc:
        return RetentionPart(ds.label, str(ds.kind), issue=exc.issue, **common)
    except (duckdb.Error, ValueError) as exc:
        return RetentionPart(ds.label, str(ds.kind), error=_detail(exc), **common)
    d1 = next((d for d in days if d.k == 1), None)
    summary = None if act is None else act.summary
    return RetentionPart(
        ds.label, str(ds.kind), matrix=matrix, daily_curve=kr.pooled_curve(daily, 30), days=tuple(days),
        band=kr.d1_band(options.product_type),
        d1_status=None if d1 is None else kr.d1_status(d1.active_users.value, options.product_type),
        activity=summary,
        stickiness_status=None if summary is None else kr.stickiness_status(summary.stickiness.value), **common)


def content_part(ws: Workspace, options: ReportOptions) -> ContentPart | None:
    """The content audit of the largest social posts file (None when none is loaded)."""
    config = ContentConfig()
    try:
        data = load_content(ws, None, options.date_range, options.grain, config)
    except (duckdb.Error, ValueError) as exc:
        return ContentPart("", None, 0, None, error=_detail(exc))
    if data is None:
        return None
    audit = analyse(data.inputs, config) if data.range is not None else None
    return ContentPart(data.dataset.label, data.range, data.skipped, audit, data.heatmap, config.min_posts)


def _history(ws: Workspace, kpi_id: str, grain: str, end: date) -> list[tuple[date, float | None]]:
    frame = kpi_series(ws, kpi_id, grain, None, end)
    out = []
    for p, v in zip(frame["period"], frame["value"]):
        out.append((p, None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)))
    return out


def goals_part(ws: Workspace, period: tuple[date, date] | None, options: ReportOptions, today: date,
               store: GoalStore | None = None) -> GoalsPart:
    """Saved goals of the workspace name with their SMART checks and tracking, as on the Goals page;
    with no active goal, the goals the audit suggests (KPIs below the market band, last four weeks)."""
    base = store if store is not None else GoalStore.open()
    scoped = base.scoped(options.goals_workspace)
    try:
        goals = scoped.goals()
    except StoreError as err:
        return GoalsPart(scoped.workspace, base.persistent, error=err.issue())
    available = set(available_kpis(ws))
    span = data_range(ws)
    as_of = period[1] if period else None
    entries = []
    for goal in goals:
        current = None
        if as_of and goal.kpi_id in available:
            days = goal.period_days or G.BASELINE_DAYS
            lo = as_of - timedelta(days=days - 1)
            if span:
                lo = max(lo, span[0])
            current = compute_kpis(ws, lo, as_of, ids=[goal.kpi_id], **_kpi_kwargs(options)).get(goal.kpi_id)
        tracking = G.track(goal, None if current is None else current.value, as_of if current else None, today)
        history = _history(ws, goal.kpi_id, goal.grain, goal.baseline_end or goal.created) \
            if goal.kpi_id in available else []
        checks = G.check_goal(goal, today=goal.created, available=available, history=history, grain=goal.grain)
        entries.append(GoalEntry(goal, tuple(checks), tracking, current))
    suggestions: list[G.Suggestion] = []
    window = G.baseline_window(*period) if period else None
    if window and available and not any(g.status is G.GoalStatus.ACTIVE for g in goals):
        values = compute_kpis(ws, *window, ids=sorted(available), **_kpi_kwargs(options))
        profile = options.profile or builtin_profile()
        bands = {k: b for k, v in values.items() if (b := profile.get(k, v.benchmark_variant)) is not None}
        if not any(d.kind == "events" for d in ws.datasets):  # retention bands are for apps, not shops
            values = {k: v for k, v in values.items() if k not in RETENTION_ONLY_FOR_APPS}
        suggestions = G.suggest_goals({k: v.value for k, v in values.items()}, bands, today)
    return GoalsPart(scoped.workspace, base.persistent, tuple(entries), tuple(suggestions), window)


def build_report(ws: Workspace, options: ReportOptions = ReportOptions(), *,
                 store: GoalStore | None = None) -> Report:
    """Every section of the audit report for the loaded data. ``store``: where goals are read
    (default: ``GoalStore.open()``, the app's store)."""
    today = options.today or date.today()
    period = options.date_range or data_range(ws)
    kpi_error = None
    try:
        kpis = kpi_rows(ws, period, options)
    except (duckdb.Error, ValueError) as exc:
        kpis, kpi_error = (), _detail(exc)
    funnel = funnel_part(ws, options)
    retention = retention_part(ws, options)
    content = content_part(ws, options)
    goals = goals_part(ws, period, options, today, store)
    report = Report(today, period, options, datasets_info(ws), kpis, funnel, retention, content, goals,
                    kpi_error=kpi_error)
    highlights = summarise(report)
    return Report(today, period, options, report.datasets, kpis, funnel, retention, content, goals,
                  highlights, recommended_actions(report), kpi_error)


# ---- the summary ---------------------------------------------------------------------------------------

def _orders_only(report: Report) -> bool:
    return report.retention is not None and report.retention.kind == "orders"


def _retention_highlight(report: Report) -> Highlight | None:
    r = report.retention
    if r is None or not r.days:
        return None
    d1 = next(d for d in r.days if d.k == 1)
    if r.kind == "orders":
        return Highlight("retention", "info", params={"value": d1.active_users.value, "orders": True})
    if r.d1_status is None:
        return None
    tone = {kr.D1Status.ALARM: "bad", kr.D1Status.BELOW: "warn", kr.D1Status.IN_BAND: "good",
            kr.D1Status.ABOVE: "good"}[r.d1_status]
    return Highlight("retention", tone, params={"value": d1.active_users.value, "status": str(r.d1_status)})


def _ranked(report: Report, status: Status, skip: set[str]) -> list[KpiRow]:
    rows = [r for r in report.kpis if r.status is status and r.id not in skip]
    rows.sort(key=lambda r: (-(r.gap if r.gap is not None else 0.0), r.id))
    return rows


def summarise(report: Report) -> tuple[Highlight, ...]:
    """The summary's lines, most pressing first (see the module docstring)."""
    out: list[Highlight] = []
    skip = set(RETENTION_ONLY_FOR_APPS) if _orders_only(report) else set()
    retention = _retention_highlight(report)
    if retention is not None:
        skip.add("retention_d1")  # said once, against the band of the chosen product type
    below = _ranked(report, Status.BELOW_MARKET, skip)[:MAX_KPI_HIGHLIGHTS]
    out += [Highlight("kpi_below", "bad", kpi=r) for r in below]
    f = report.funnel
    if f is not None and f.report is not None:
        finding = f.report.funnel.finding
        tone = {"worst_step": "bad", "nobody_continues": "bad", "no_loss": "good"}.get(finding.code, "info")
        out.append(Highlight("funnel", tone, finding=finding))
        seg = f.report.segments
        if seg is not None and seg.finding is not None and seg.finding.code.startswith("worst_segment") \
                and f.report.funnel.entered:
            out.append(Highlight("segment", "warn", finding=seg.finding))
    if retention is not None:
        out.append(retention)
    c = report.content
    if c is not None and c.audit is not None:
        out += [Highlight("content", "info", finding=x) for x in c.audit.findings[:MAX_CONTENT_HIGHLIGHTS]]
    out += [Highlight("kpi_market", "warn", kpi=r) for r in _ranked(report, Status.MARKET, skip)[:MAX_MARKET]]
    strong = [r for r in report.kpis if r.status in (Status.OPTIMAL, Status.ABOVE_OPTIMAL) and r.id not in skip]
    out += [Highlight("kpi_strong", "good", kpi=r) for r in strong[:MAX_STRENGTHS]]
    active = [e for e in report.goals.entries if e.goal.status is G.GoalStatus.ACTIVE]
    if active:
        on = sum(1 for e in active if e.tracking.status in (G.TrackStatus.ON_TRACK, G.TrackStatus.ACHIEVED))
        off = sum(1 for e in active if e.tracking.status in (G.TrackStatus.OFF_TRACK, G.TrackStatus.MISSED))
        out.append(Highlight("goals", "good" if off == 0 else "warn",
                             params={"n": len(active), "on_track": on, "off_track": off}))
    return tuple(out)


def recommended_actions(report: Report, limit: int = MAX_ACTIONS) -> tuple[Action, ...]:
    """Action-plan tasks (the goals' suggested tasks) for the KPIs below the market band, then for those
    at the market average, taking each KPI's first task before anyone's second, without repeats; the
    funnel's worst step first when there is one."""
    out: list[Action] = []
    seen: set[str] = set()
    f = report.funnel
    if f is not None and f.kind in ("events", "funnel_counts") and f.report is not None \
            and f.report.funnel.finding.code == "worst_step":
        out.append(Action("fix_worst_step", "funnel_conversion"))
        seen.add("fix_worst_step")
    skip = set(RETENTION_ONLY_FOR_APPS) if _orders_only(report) else set()
    weak = _ranked(report, Status.BELOW_MARKET, skip) + _ranked(report, Status.MARKET, skip)
    plans = [[c for c in G.suggested_tasks(r.id) if c != G.REVIEW_TASK] for r in weak]
    for depth in range(max((len(p) for p in plans), default=0)):
        for r, plan in zip(weak, plans):
            if depth < len(plan) and plan[depth] not in seen and len(out) < limit:
                out.append(Action(plan[depth], r.id))
                seen.add(plan[depth])
    return tuple(out[:limit])


def data_key(ws: Workspace) -> tuple:
    """What the report depends on in the workspace (for caching built reports)."""
    return tuple((d.name, d.label, d.rows, d.kind, tuple(sorted(d.roles.items()))) for d in ws.datasets)

