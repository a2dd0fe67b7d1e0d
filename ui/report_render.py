"""The audit report in one language: one self-contained HTML file, a ZIP of Markdown + PNG charts, a CSV.

Pure of streamlit, so the Report page and ``audit.py --html`` run the same code. The report is first laid
out as a short list of blocks (headings, paragraphs, lists, tables, figures); two small writers turn
the blocks into HTML and into Markdown, so both formats say exactly the same thing.

Safety and portability:

* every string that comes from the user's files (file names, event names, post titles, goal text) is
  escaped: ``html.escape`` in HTML, backslashes in Markdown;
* charts are the app's own Altair charts, rendered once per report with vl-convert (offline, data
  inlined); the SVG is inlined without its ``xmlns`` attributes (HTML5 does not need them) and with
  element ids made unique per chart, so the HTML holds no ``http://`` or ``https://`` at all: no web
  fonts (a system font stack with CJK fonts), no images, no scripts, no post links;
* CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a CR) get a
  leading ``'``; plain numbers (``-0.05``) are left as numbers.
"""
from __future__ import annotations

import csv
import html
import io
import math
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import altair as alt

from data.report import (RETENTION_ONLY_FOR_APPS, FunnelPart, GoalEntry, Highlight, KpiRow, Report, ReportOptions,
                         build_report)
from data.session import Workspace
from kpi import funnel as fk
from kpi import goals as G
from kpi import retention as kr
from kpi.registry import METRICS, Band, Direction, Metric, Unit
from kpi.report import reason_text
from ui.charts import content as cch
from ui.charts import funnel as fch
from ui.charts import kpi as kch
from ui.charts import retention as rch
from ui.i18n import LANG_NAMES, has, tr, tr_issue

FONT_STACK = ("-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', 'Noto Sans CJK SC', "
              "'PingFang SC', 'Microsoft YaHei', sans-serif, 'Apple Color Emoji', 'Segoe UI Emoji', "
              "'Noto Color Emoji'")
# the font vl-convert measures and draws with (a long list of fonts makes it several times slower);
# the inline SVG then asks the reader's browser for FONT_STACK
VEGA_FONT = {"zh": "'Noto Sans CJK SC', sans-serif"}
CHART_WIDTH = 680
DASH = "—"
NBSP = "\u202f"
HTML_LANG = {"en": "en", "ru": "ru", "zh": "zh-CN"}
VEGA_LOCALE = {"en": "en-US", "ru": "ru-RU", "zh": "zh-CN"}
STATUS_TONE = {"below_market": "bad", "market": "warn", "optimal": "good", "above_optimal": "good"}
VERDICT_TONE = {"pass": "good", "warn": "warn", "fail": "bad"}
TRACK_TONE = {"achieved": "good", "on_track": "good", "off_track": "warn", "missed": "bad", "no_data": "info"}
CATEGORY_ORDER = ("social", "user", "revenue", "efficiency", "content")
HEATMAP_COHORTS = 24
HEATMAP_COLUMNS = 16
MAX_GAUGES = 8
TOP_POSTS = 5
CSV_SPECIAL = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


# ---- numbers and dates in the report's language ---------------------------------------------------------

def _trim(x: float, lang: str, digits: int = 2) -> str:
    text = f"{x:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", NBSP).replace(".", ",") if lang == "ru" else text


def _pct_sign(num: str, lang: str) -> str:
    return f"{num}{NBSP}%" if lang == "ru" else f"{num}%"


def fmt_kpi(metric: Metric, value: float | None, lang: str) -> str:
    """A KPI value as a reader expects it: 4.99%, 19,293, 60.23, 2.6 h; "—" without a value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if metric.unit is Unit.RATIO:
        return fch.fmt_pct(value, lang, max(1, metric.decimals))
    if metric.unit is Unit.DURATION:
        return fch.fmt_duration(value, lang)
    return fch.fmt_num(value, lang, metric.decimals)


def fmt_band(band: Band, metric: Metric, lang: str) -> str:
    """A benchmark band: 4–6%, ≥ 15,000, ≤ 1 min, ≥ 50% (a rate's 100 % and a duration's 0 are open ends)."""
    ratio = metric.unit is Unit.RATIO

    def edge(x: float) -> str:
        if metric.unit is Unit.DURATION:
            return fch.fmt_duration(x, lang)
        return _trim(x * 100 if ratio else x, lang)

    lo = None if band.lo is None or (band.lo == 0 and metric.direction is Direction.LOWER_IS_BETTER) else band.lo
    hi = None if band.hi is None or (ratio and band.hi >= 1.0) else band.hi
    if lo is None and hi is None:
        return DASH
    if lo is None:
        text = f"≤{NBSP}{edge(hi)}"
    elif hi is None:
        text = f"≥{NBSP}{edge(lo)}"
    else:
        text = f"{edge(lo)}–{edge(hi)}"
    return _pct_sign(text, lang) if ratio else text


def fmt_date(d: date | None) -> str:
    return DASH if d is None else d.isoformat()


def fmt_long_date(d: date | None, lang: str) -> str:
    """31 March 2027 / 31 марта 2027 / 2027年3月31日 (the Goals page's format)."""
    if d is None:
        return DASH
    return tr("goals.date", lang, day=d.day, month=tr(f"goals.month.{d.month}", lang), year=d.year)


def fmt_range(rng: tuple[date, date] | None, lang: str) -> str:
    if rng is None:
        return DASH
    return tr("report.range", lang, start=fmt_date(rng[0]), end=fmt_date(rng[1]), days=(rng[1] - rng[0]).days + 1)


def fmt_change(row: KpiRow, lang: str) -> tuple[str, str | None]:
    """The change against the previous period and its tone (good/bad by the KPI's direction)."""
    ch = row.change
    metric = METRICS[row.id]
    if ch is None or ch.absolute is None:
        return DASH, None
    sign = "+" if ch.absolute > 0 else ("−" if ch.absolute < 0 else "±")
    if metric.unit is Unit.RATIO:
        text = tr("kpi.change.points", lang, value=sign + _trim(abs(ch.absolute) * 100, lang, 1))
    elif ch.relative is None:
        return DASH, None
    else:
        text = sign + _pct_sign(_trim(abs(ch.relative) * 100, lang, 1), lang)
    if ch.absolute == 0:
        return text, None
    better = (ch.absolute > 0) == (metric.direction is Direction.HIGHER_IS_BETTER)
    return text, "good" if better else "bad"


def kpi_label(kpi_id: str, lang: str) -> str:
    return tr(f"kpi.{kpi_id}.label", lang)


def _in_sentence(label: str, lang: str) -> str:
    """English labels start lower case inside a sentence ("Increase weekly follower growth")."""
    if lang != "en" or len(label) < 2 or not label[1].islower():
        return label
    return label[0].lower() + label[1:]


def _role(role: str, lang: str) -> str:
    return tr(f"role.{role}", lang) if has(f"role.{role}", lang) else role


def _join(items: Sequence[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _list(items: Sequence[str], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(items)


def _kind(kind: str | None, lang: str) -> str:
    return tr(f"kind.{kind}", lang) if kind else tr("kind.unknown", lang)


# ---- the document model -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rich:
    """A translated sentence (``**bold**`` allowed) and its parameters, kept apart so each writer
    escapes the parameters (user text) its own way."""

    template: str
    params: Mapping[str, str] = field(default_factory=dict)


def lit(text: object) -> Rich:
    """Literal text (user data or a number): never read as a template or markup."""
    return Rich("{v}", {"v": str(text)})


@dataclass(frozen=True)
class Heading:
    level: int
    text: Rich
    anchor: str | None = None


@dataclass(frozen=True)
class Para:
    text: Rich
    cls: str | None = None            # lead | muted | tone-bad | tone-warn | tone-good | tone-info


@dataclass(frozen=True)
class Items:
    items: tuple[tuple[Rich, str | None], ...]    # (text, tone)
    ordered: bool = False
    cls: str | None = None            # findings: coloured left border per tone


@dataclass(frozen=True)
class Cell:
    text: Rich
    tone: str | None = None           # shown as a coloured badge
    num: bool = False
    notes: tuple[Rich, ...] = ()      # smaller sentences after the text


@dataclass(frozen=True)
class Table:
    columns: tuple[tuple[str, bool], ...]          # (label, numeric)
    rows: tuple[tuple[Cell, ...] | str, ...]        # a str row is a group heading


@dataclass(frozen=True)
class Cards:
    cards: tuple[tuple[str, str, str | None, str | None], ...]   # (label, value, status text, tone)


@dataclass(frozen=True)
class Gauges:
    items: tuple[tuple[str, str, str | None, str | None], ...]   # (chart key, label, status text, tone)


@dataclass(frozen=True)
class Figure:
    chart: str                         # key in the chart set
    caption: Rich | None = None


Block = Heading | Para | Items | Table | Cards | Gauges | Figure


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    blocks: tuple[Block, ...]


# ---- charts: the app's Altair charts, rendered offline once per report ------------------------------------

@dataclass(frozen=True)
class RenderedChart:
    name: str
    title: str
    svg: str           # inline-ready: no xmlns, ids prefixed
    raw_svg: str       # as vl-convert gave it (for PNG)
    _png: list = field(default_factory=list, compare=False, repr=False)

    def png(self) -> bytes:
        if not self._png:
            import vl_convert as vlc
            self._png.append(vlc.svg_to_png(self.raw_svg, scale=2))
        return self._png[0]


def _fix_spec(chart: alt.TopLevelMixin, width: int | None, lang: str = "en") -> dict:
    spec = chart.to_dict()
    if width is not None and "facet" not in spec:
        spec["width"] = width
    config = spec.setdefault("config", {})
    config["font"] = VEGA_FONT.get(lang, "sans-serif")
    config.setdefault("background", "white")
    return spec


def inline_svg(svg: str, prefix: str) -> str:
    """vl-convert's SVG made fit to paste into an HTML page: no namespace URLs, ids unique per chart."""
    svg = re.sub(r'\s+xmlns(:[a-zA-Z]+)?="[^"]*"', "", svg)
    svg = re.sub(r'font-family="[^"]*"', f'font-family="{FONT_STACK}"', svg)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    return svg


def render_chart(name: str, title: str, chart: alt.TopLevelMixin, lang: str,
                 width: int | None = CHART_WIDTH) -> RenderedChart | None:
    """SVG of one chart; None when it cannot be drawn (the report then says so)."""
    import vl_convert as vlc
    try:
        raw = vlc.vegalite_to_svg(_fix_spec(chart, width, lang), format_locale=VEGA_LOCALE.get(lang, "en-US"),
                                  time_format_locale=VEGA_LOCALE.get(lang, "en-US"))
    except Exception:  # noqa: BLE001 - vl-convert raises plain ValueError/RuntimeError on a bad spec
        return None
    return RenderedChart(name, title, inline_svg(raw, f"c-{name}"), raw)


def _display_funnel(part: FunnelPart, lang: str) -> fk.Funnel:
    """The funnel with role step names (views, profile views …) in the report's language."""
    f = part.report.funnel  # type: ignore[union-attr]
    if not part.steps_are_roles:
        return f
    return fk.from_counts([_role(s.name, lang) for s in f.steps], [s.users for s in f.steps])


def gauge_rows(report: Report) -> list[KpiRow]:
    """KPIs shown as a benchmark gauge: those with a value and a band (retention-type KPIs measured on
    orders only are left to the retention section)."""
    skip = set(RETENTION_ONLY_FOR_APPS) if report.retention is not None and report.retention.kind == "orders" \
        else set()
    rows = [r for r in report.kpis if r.benchmark is not None and r.value.value is not None and r.id not in skip]
    return rows[:MAX_GAUGES]


def chart_specs(report: Report, lang: str) -> list[tuple[str, str, Callable[[], alt.TopLevelMixin], int | None]]:
    """(name, title, builder, width) of the charts the report shows, reusing the pages' builders."""
    out: list[tuple[str, str, Callable[[], alt.TopLevelMixin], int | None]] = []
    for row in gauge_rows(report):
        metric, bench, value = METRICS[row.id], row.benchmark, row.value.value
        out.append((f"gauge_{row.id}", kpi_label(row.id, lang),
                    lambda m=metric, b=bench, v=value: kch.gauge_chart(m, b, v, lang), None))
    f = report.funnel
    if f is not None and f.report is not None and f.report.funnel.steps:
        out.append(("funnel", tr("report.funnel.chart", lang), lambda: fch.funnel_chart(_display_funnel(f, lang), lang),
                    CHART_WIDTH))
    r = report.retention
    if r is not None and r.days and r.band is not None and r.kind != "orders":
        product = tr(f"retention.product.{r.product_type}", lang)
        points = [(d.k, d.active_users.value) for d in r.days]
        out.append(("retention_curve", tr("report.retention.curve", lang),
                    lambda: rch.curve_chart(r.daily_curve, points, r.band, product, lang), CHART_WIDTH - 40))
    if r is not None and r.matrix is not None and not r.matrix.empty:
        page = kr.cohort_pages(len(r.matrix.cohorts), HEATMAP_COHORTS)[0]
        out.append(("retention_heatmap", tr(f"report.retention.heatmap.{r.period}", lang),
                    lambda: rch.heatmap(r.matrix, page, lang, max_columns=HEATMAP_COLUMNS), CHART_WIDTH - 180))
    c = report.content
    if c is not None and c.audit is not None:
        if c.audit.topics:
            out.append(("content_topics", tr("report.content.topics", lang),
                        lambda: cch.groups_chart(c.audit.topics, c.audit.overall.median_views, lang, limit=10),
                        CHART_WIDTH))
        if c.heatmap is not None and len(c.heatmap):
            out.append(("content_heatmap", tr("report.content.heatmap", lang),
                        lambda: cch.heatmap_chart(c.heatmap, lang), CHART_WIDTH))
    return out


def render_charts(report: Report, lang: str) -> dict[str, RenderedChart | None]:
    """Every chart of the report as SVG, rendered once (the first one takes about a second)."""
    out: dict[str, RenderedChart | None] = {}
    for name, title, build, width in chart_specs(report, lang):
        try:
            chart = build()
        except (ValueError, KeyError, TypeError):
            out[name] = None
            continue
        out[name] = render_chart(name, title, chart, lang, width)
    return out


# ---- sentences ---------------------------------------------------------------------------------------

class _Lang:
    """Translation bound to a language, returning Rich sentences."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        return tr(key, self.lang, **params)

    def rich(self, key: str, **params: object) -> Rich:
        return Rich(tr(key, self.lang), {k: str(v) for k, v in params.items()})


def _funnel_params(f: fk.Finding, lang: str, dimension: str) -> dict[str, str]:
    out = {"dimension": dimension}
    for key, value in f.params.items():
        if key == "segment":
            out[key] = fch.seg_label(value, lang)
        elif key in ("drop_off", "rate", "overall", "from_previous"):
            out[key] = fch.fmt_pct(value, lang)
        elif key in ("lost", "min"):
            out[key] = fch.fmt_int(value, lang)
        else:
            out[key] = str(value)
    return out


def funnel_finding(f: fk.Finding, part: FunnelPart, lang: str) -> Rich:
    dimension = "" if part.breakdown is None else _role(part.breakdown, lang).lower()
    params = _funnel_params(f, lang, dimension)
    if part.steps_are_roles:
        for key in ("from_step", "to_step", "step"):
            if key in params:
                params[key] = _role(params[key], lang)
    return Rich(tr(f.key, lang), params)


def content_finding(f: Any, lang: str) -> Rich:
    params = cch.finding_params(f, lang)
    key = f"content.finding.{f.code}"
    metric = f.params.get("metric")
    if metric and has(f"{key}.{metric}", lang):
        key = f"{key}.{metric}"
    parts = [tr(key, lang)] + [tr(f"content.caveat.{c}", lang) for c in f.caveats]
    return Rich(cch.join_sentences(parts, lang), params)


def _kpi_sentence_params(row: KpiRow, lang: str) -> dict[str, str]:
    metric = METRICS[row.id]
    bench = row.benchmark
    return {"kpi": kpi_label(row.id, lang), "value": fmt_kpi(metric, row.value.value, lang),
            "market": DASH if bench is None else fmt_band(bench.market, metric, lang),
            "optimal": DASH if bench is None else fmt_band(bench.optimal, metric, lang)}


def highlight_text(h: Highlight, report: Report, lang: str) -> Rich:
    T = _Lang(lang)
    if h.kind in ("kpi_below", "kpi_market", "kpi_strong") and h.kpi is not None:
        return T.rich(f"report.highlight.{h.kind}", **_kpi_sentence_params(h.kpi, lang))
    if h.kind in ("funnel", "segment") and report.funnel is not None and h.finding is not None:
        return funnel_finding(h.finding, report.funnel, lang)  # type: ignore[arg-type]
    if h.kind == "content" and h.finding is not None:
        return content_finding(h.finding, lang)
    if h.kind == "retention" and report.retention is not None:
        r = report.retention
        value = fch.fmt_pct(h.params.get("value"), lang)
        if h.params.get("orders"):
            return T.rich("report.highlight.retention_orders", value=value)
        band = DASH if r.band is None else rch.fmt_band(r.band, lang)
        product = _in_sentence(T(f"retention.product.{r.product_type}"), lang)
        return Rich(cch.join_sentences([T("report.highlight.retention"), T(f"retention.band.{h.params['status']}")],
                                       lang),
                    {"value": value, "band": band, "product": product})
    if h.kind == "goals":
        return T.rich("report.highlight.goals", n=h.params["n"], on_track=h.params["on_track"],
                      off_track=h.params["off_track"])
    return lit("")


def goal_statement(goal: G.Goal, lang: str) -> Rich:
    s = G.statement(goal)
    metric = METRICS[goal.kpi_id]
    kpi = _in_sentence(kpi_label(goal.kpi_id, lang), lang)
    if s.period_days:
        kpi = tr("goals.statement.per_days", lang, kpi=kpi, n=s.period_days)
    template = tr(f"goals.statement.{s.verb}", lang)
    params = {"kpi": kpi, "baseline": fmt_kpi(metric, s.baseline, lang), "target": fmt_kpi(metric, s.target, lang),
              "deadline": fmt_long_date(s.deadline, lang)}
    if s.scope:
        template += tr("goals.statement.scope", lang)
        params["scope"] = s.scope
    return Rich(template, params)


def _check_params(check: G.Check | G.Note, metric: Metric | None, lang: str) -> dict[str, str]:
    p = dict(check.params)
    out: dict[str, str] = {}
    for key, value in p.items():
        if value is None:
            out[key] = DASH
        elif key in ("kpi", "partner"):
            out[key] = kpi_label(value, lang)
        elif key == "suggested":
            out[key] = ", ".join(kpi_label(k, lang) for k in value) or DASH
        elif key == "kinds":
            out[key] = ", ".join(_kind(k, lang) for k in value) or DASH
        elif key == "goal":
            out[key] = tr(f"goals.business.{value}", lang)
        elif key == "stage":
            out[key] = tr(f"goals.stage.{value}", lang)
        elif key in ("required", "historical", "change"):
            out[key] = ("−" if value < 0 else "+") + fch.fmt_pct(abs(value), lang)
        elif key == "ratio":
            out[key] = _trim(value, lang, 1) + "×"
        elif key in ("baseline", "data_baseline", "target", "first", "last"):
            out[key] = fmt_kpi(metric, value, lang) if metric else str(value)
        elif isinstance(value, date):
            out[key] = fmt_long_date(value, lang)
        else:
            out[key] = str(value)
    out["per"] = tr(f"goals.per.{p.get('grain', 'week')}", lang)
    return out


# ---- the sections ------------------------------------------------------------------------------------

def _status_cell(row: KpiRow, lang: str) -> Cell:
    if row.status is None:
        return Cell(lit(DASH))
    return Cell(lit(tr(f"kpi.status.{row.status}", lang)), STATUS_TONE[str(row.status)])


def _glance(report: Report, lang: str) -> Cards | None:
    """The first KPIs with a value (registry order), benchmarked ones first; retention-type KPIs
    measured on orders only are left to the retention section."""
    skip = set(RETENTION_ONLY_FOR_APPS) if report.retention is not None and report.retention.kind == "orders" \
        else set()
    rows = [r for r in report.kpis if r.value.value is not None and r.id not in skip]
    rows.sort(key=lambda r: r.status is None)
    cards = []
    for r in rows[:6]:
        metric = METRICS[r.id]
        cards.append((kpi_label(r.id, lang), fmt_kpi(metric, r.value.value, lang),
                      None if r.status is None else tr(f"kpi.status.{r.status}", lang),
                      None if r.status is None else STATUS_TONE[str(r.status)]))
    return Cards(tuple(cards)) if cards else None


def section_summary(report: Report, lang: str) -> Section:
    T = _Lang(lang)
    blocks: list[Block] = []
    blocks.append(Para(T.rich("report.summary.lead", period=fmt_range(report.period, lang)), "lead"))
    glance = _glance(report, lang)
    if glance is not None:
        blocks += [Heading(3, T.rich("report.summary.glance")), glance]
    blocks.append(Heading(3, T.rich("report.summary.findings")))
    if report.highlights:
        blocks.append(Items(tuple((highlight_text(h, report, lang), h.tone) for h in report.highlights),
                            cls="findings"))
    else:
        blocks.append(Para(T.rich("report.summary.no_findings"), "muted"))
    if report.actions:
        blocks.append(Heading(3, T.rich("report.summary.actions")))
        blocks.append(Items(tuple((Rich(T("report.action"), {"task": T(f"goals.task.{a.code}"),
                                                             "kpi": kpi_label(a.kpi_id, lang)}), None)
                                  for a in report.actions), ordered=True))
    return Section("summary", T("report.section.summary"), tuple(blocks))


def section_kpis(report: Report, lang: str) -> Section:
    T = _Lang(lang)
    blocks: list[Block] = []
    if report.kpi_error:
        blocks.append(Para(T.rich("report.section_failed", detail=report.kpi_error), "tone-bad"))
    if not report.kpis:
        blocks.append(Para(T.rich("report.kpis.none"), "muted"))
        return Section("kpis", T("report.section.kpis"), tuple(blocks))
    blocks.append(Para(T.rich("report.kpis.intro", period=fmt_range(report.period, lang))))
    gauges = gauge_rows(report)
    if gauges:
        blocks.append(Gauges(tuple((f"gauge_{r.id}", kpi_label(r.id, lang),
                                    None if r.status is None else T(f"kpi.status.{r.status}"),
                                    None if r.status is None else STATUS_TONE[str(r.status)]) for r in gauges)))
    with_change = any(r.change is not None for r in report.kpis)
    columns = ((T("report.col.kpi"), False), (T("report.col.value"), True),
               *(((T("report.col.change"), True),) if with_change else ()),
               (T("kpi.band.market"), True), (T("kpi.band.optimal"), True), (T("report.col.status"), False))
    rows: list[tuple[Cell, ...] | str] = []
    by_cat: dict[str, list[KpiRow]] = {}
    for r in report.kpis:
        by_cat.setdefault(str(METRICS[r.id].category), []).append(r)
    for cat in [c for c in CATEGORY_ORDER if c in by_cat] + [c for c in by_cat if c not in CATEGORY_ORDER]:
        rows.append(T(f"kpi.category.{cat}"))
        for r in by_cat[cat]:
            metric = METRICS[r.id]
            change, tone = fmt_change(r, lang)
            bench = r.benchmark
            rows.append((Cell(lit(kpi_label(r.id, lang))), Cell(lit(fmt_kpi(metric, r.value.value, lang)), num=True),
                         *((Cell(lit(change), tone, num=True),) if with_change else ()),
                         Cell(lit(DASH if bench is None else fmt_band(bench.market, metric, lang)), num=True),
                         Cell(lit(DASH if bench is None else fmt_band(bench.optimal, metric, lang)), num=True),
                         _status_cell(r, lang)))
    blocks.append(Table(columns, tuple(rows)))
    prev = next((r.previous_period for r in report.kpis if r.previous_period), None)
    notes = [T("report.kpis.change_note", period=fmt_range(prev, lang)) if prev else T("report.kpis.no_change")]
    blocks.append(Para(lit(" ".join(notes)), "muted"))
    missing = [r for r in report.kpis if r.value.value is None]
    if missing:
        blocks.append(Heading(3, T.rich("report.kpis.missing")))
        translate = lambda key, **p: tr(key, lang, **p)  # noqa: E731
        blocks.append(Items(tuple((T.rich("report.pair", name=kpi_label(r.id, lang),
                                         text=reason_text(r.value, translate) or DASH), None) for r in missing)))
    return Section("kpis", T("report.section.kpis"), tuple(blocks))


def section_funnel(report: Report, charts: Mapping[str, RenderedChart | None], lang: str) -> Section:
    T = _Lang(lang)
    part = report.funnel
    blocks: list[Block] = []
    if part is None:
        blocks.append(Para(T.rich("report.funnel.none"), "muted"))
        return Section("funnel", T("report.section.funnel"), tuple(blocks))
    if part.error:
        blocks.append(Para(T.rich("report.section_failed", detail=part.error), "tone-bad"))
    for issue in part.issues:
        blocks.append(Para(lit(tr_issue(issue, lang)), "tone-bad"))
    if part.report is None:
        return Section("funnel", T("report.section.funnel"), tuple(blocks))
    rep = part.report
    f = _display_funnel(part, lang)
    if part.kind == "events":
        blocks.append(Para(T.rich("report.funnel.about_events", file=part.label,
                                  window=fch.fmt_edge(part.window_seconds or fk.DEFAULT_WINDOW, lang),
                                  order=T(f"funnel.order.{part.order or 'ordered'}").lower()), "muted"))
    else:
        blocks.append(Para(T.rich(f"report.funnel.about_{part.kind}", file=part.label), "muted"))
    lines = [(funnel_finding(x, part, lang), None) for x in rep.findings]
    if rep.ttc_median is not None:
        lines.append((lit(fch.ttc_text(rep.ttc_median, rep.ttc_p90, lang)), None))
    blocks.append(Items(tuple(lines)))
    blocks.append(Figure("funnel", T.rich("report.funnel.caption")))
    columns = ((T("funnel.col.step"), False), (T("funnel.col.users"), True), (T("funnel.col.from_previous"), True),
               (T("funnel.col.from_start"), True), (T("funnel.col.drop_off"), True), (T("funnel.col.lost"), True))
    rows = []
    for i, s in enumerate(f.steps, start=1):
        tone = "bad" if f.worst is not None and i - 1 == f.worst and s.drop_off else None
        rows.append((Cell(lit(f"{i}. {s.name}")), Cell(lit(fch.fmt_int(s.users, lang)), num=True),
                     Cell(lit(fch.fmt_pct(s.from_previous, lang)), num=True),
                     Cell(lit(fch.fmt_pct(s.from_start, lang)), num=True),
                     Cell(lit(fch.fmt_pct(s.drop_off, lang)), tone, num=True),
                     Cell(lit(fch.fmt_int(s.lost, lang)), num=True)))
    blocks.append(Table(columns, tuple(rows)))
    notes = [T("report.funnel.dash_first")]
    if any(s.reason == "zero_denominator" for s in f.steps):
        notes.append(T("report.funnel.dash_zero"))
    if part.skipped_rows:
        notes.append(T("report.funnel.skipped", n=fch.fmt_int(part.skipped_rows, lang)))
    blocks.append(Para(lit(" ".join(notes)), "muted"))
    seg = rep.segments
    if seg is not None and seg.funnels:
        dimension = _role(part.breakdown or "segment", lang)
        blocks.append(Heading(3, T.rich("report.funnel.segments", dimension=_in_sentence(dimension, lang))))
        columns = ((dimension, False), (T("funnel.metric.entered"), True), (T("funnel.metric.converted"), True),
                   (T("funnel.metric.overall"), True))
        rows = []
        for name, sf in seg.funnels[:fch.MAX_SEGMENTS]:
            tone = "bad" if seg.worst is not None and name == seg.worst else None
            rows.append((Cell(lit(fch.seg_label(name, lang))), Cell(lit(fch.fmt_int(sf.entered, lang)), num=True),
                         Cell(lit(fch.fmt_int(sf.converted, lang)), num=True),
                         Cell(lit(fch.fmt_pct(sf.overall, lang)), tone, num=True)))
        blocks.append(Table(columns, tuple(rows)))
        blocks.append(Para(T.rich("report.funnel.segments_note", min=seg.min_users), "muted"))
    return Section("funnel", T("report.section.funnel"), tuple(blocks))


def section_retention(report: Report, lang: str) -> Section:
    T = _Lang(lang)
    r = report.retention
    blocks: list[Block] = []
    title = T("report.section.retention")
    if r is None:
        blocks.append(Para(T.rich("report.retention.none"), "muted"))
        return Section("retention", title, tuple(blocks))
    if r.issue is not None:
        blocks.append(Para(lit(tr_issue(r.issue, lang)), "tone-bad"))
        return Section("retention", title, tuple(blocks))
    if r.error:
        blocks.append(Para(T.rich("report.section_failed", detail=r.error), "tone-bad"))
        return Section("retention", title, tuple(blocks))
    if r.matrix is None or r.matrix.empty:
        blocks.append(Para(T.rich("report.retention.no_cohorts", file=r.label), "muted"))
        return Section("retention", title, tuple(blocks))
    blocks.append(Para(T.rich(f"report.retention.about_{r.kind}", file=r.label), "muted"))
    if r.days:
        columns = ((T("report.col.day"), False), (T("report.retention.col_active"), True),
                   (T("report.retention.col_base"), True), (T("report.retention.col_cohort"), True))
        rows = []
        for d in r.days:
            active = fch.fmt_pct(d.active_users.value, lang) if d.active_users.value is not None \
                else rch.reason_text(d.active_users, lang)
            cohort = fch.fmt_pct(d.cohort.value, lang) if d.cohort.value is not None \
                else rch.reason_text(d.cohort, lang)
            kept, base = d.active_inputs
            rows.append((Cell(lit(f"D{d.k}")), Cell(lit(active), num=d.active_users.value is not None),
                         Cell(lit(T("retention.days.of", kept=fch.fmt_int(kept, lang), base=fch.fmt_int(base, lang))),
                              num=True),
                         Cell(lit(cohort), num=d.cohort.value is not None)))
        blocks.append(Table(columns, tuple(rows)))
        d1 = next(d for d in r.days if d.k == 1)
        product = T(f"retention.product.{r.product_type}")
        band = DASH if r.band is None else rch.fmt_band(r.band, lang)
        if r.kind == "orders":
            blocks.append(Para(T.rich("retention.band.orders_note"), "tone-info"))
        elif r.d1_status is None:
            blocks.append(Para(T.rich("retention.band.no_value", product=product, band=band), "tone-info"))
        else:
            tone = {"alarm": "bad", "below": "warn", "in_band": "good", "above": "good"}[str(r.d1_status)]
            blocks.append(Para(Rich(cch.join_sentences([T("retention.band.text"), T(f"retention.band.{r.d1_status}")],
                                                       lang),
                                    {"value": fch.fmt_pct(d1.active_users.value, lang), "product": product,
                                     "band": band}), f"tone-{tone}"))
        blocks.append(Para(T.rich("report.retention.definitions"), "muted"))
        if r.kind != "orders":
            blocks.append(Figure("retention_curve", T.rich("report.retention.curve_caption")))
    a = r.activity
    if a is not None:
        blocks.append(Heading(3, T.rich("report.retention.activity")))
        blocks.append(Cards((
            (T("kpi.dau.label"), fch.fmt_int(a.dau.value, lang), None, None),
            (T("kpi.mau.label"), fch.fmt_int(a.mau.value, lang), None, None),
            (T("kpi.stickiness.label"), rch.fmt_num(a.stickiness.value, lang), None,
             None if r.stickiness_status is None else {"below": "warn", "typical": "good", "above": "good"}[
                 r.stickiness_status]))))
        if r.stickiness_status is not None:
            blocks.append(Para(T.rich(f"retention.stickiness.status.{r.stickiness_status}"), "muted"))
    shown = min(len(r.matrix.cohorts), HEATMAP_COHORTS)
    caption = T(f"retention.heatmap.caption.{r.period}", rule=T(f"retention.rule.{r.rule}").lower(),
                last=fmt_date(r.matrix.last_date))
    if shown < len(r.matrix.cohorts):
        caption += " " + T("report.retention.newest", n=shown, total=len(r.matrix.cohorts))
    blocks.append(Figure("retention_heatmap", lit(caption)))
    return Section("retention", title, tuple(blocks))


def section_content(report: Report, lang: str) -> Section | None:
    T = _Lang(lang)
    c = report.content
    if c is None:
        return None
    blocks: list[Block] = []
    title = T("report.section.content")
    if c.error:
        blocks.append(Para(T.rich("report.section_failed", detail=c.error), "tone-bad"))
        return Section("content", title, tuple(blocks))
    if c.audit is None or c.range is None:
        blocks.append(Para(T.rich("report.content.no_posts", file=c.label), "muted"))
        return Section("content", title, tuple(blocks))
    o = c.audit.overall
    blocks.append(Para(T.rich("report.content.about", file=c.label, posts=fch.fmt_int(o.posts, lang),
                              period=fmt_range(c.range, lang)), "muted"))
    blocks.append(Cards((
        (T("content.metric.posts"), fch.fmt_int(o.posts, lang), None, None),
        (T("content.metric.median_views"), fch.fmt_int(o.median_views, lang), None, None),
        (T("content.metric.er"), fch.fmt_pct(o.engagement_rate.value, lang), None, None),
        (T("content.metric.posts_per_week"), fch.fmt_num(o.posts_per_week, lang), None, None))))
    if c.skipped:
        blocks.append(Para(T.rich("report.content.skipped", n=fch.fmt_int(c.skipped, lang)), "muted"))
    blocks.append(Heading(3, T.rich("content.findings_title")))
    if c.audit.findings:
        blocks.append(Items(tuple((content_finding(f, lang), None) for f in c.audit.findings), ordered=True))
    else:
        blocks.append(Para(T.rich("content.no_findings", posts=o.posts, min_posts=c.min_posts), "muted"))
    if c.audit.topics:
        blocks.append(Figure("content_topics", T.rich("report.content.topics_caption",
                                                      median=fch.fmt_int(o.median_views, lang),
                                                      min_posts=c.min_posts)))
    blocks.append(Figure("content_heatmap", T.rich("report.content.heatmap_caption")))
    top = c.audit.ranking.top_views[:TOP_POSTS]
    if top:
        blocks.append(Heading(3, T.rich("report.content.top_posts")))
        columns = ((T("content.col.post_time"), False), (T("content.col.title"), False),
                   (T("content.col.views"), True), (T("content.col.er"), True))
        rows = tuple((Cell(lit(DASH if p.post_time is None else p.post_time.strftime("%Y-%m-%d %H:%M"))),
                      Cell(lit(p.title or DASH)), Cell(lit(fch.fmt_int(p.views, lang)), num=True),
                      Cell(lit(fch.fmt_pct(p.engagement_rate.value, lang)), num=True)) for p in top)
        blocks.append(Table(columns, rows))
    return Section("content", title, tuple(blocks))


def _goal_blocks(e: GoalEntry, lang: str) -> list[Block]:
    T = _Lang(lang)
    goal = e.goal
    metric = METRICS.get(goal.kpi_id)
    blocks: list[Block] = [Heading(3, goal_statement(goal, lang))]
    tr_ = e.tracking
    status = T(f"goals.track.{tr_.status}")
    if goal.status is not G.GoalStatus.ACTIVE:
        status += " · " + T(f"goals.status.{goal.status}")
    blocks.append(Cards((
        (T("report.goal.status"), status, None, TRACK_TONE[str(tr_.status)]),
        (T("report.goal.baseline"), fmt_kpi(metric, goal.baseline, lang) if metric else DASH, None, None),
        (T("report.goal.current"), fmt_kpi(metric, tr_.current, lang) if metric else DASH, None, None),
        (T("report.goal.target"), fmt_kpi(metric, goal.target, lang) if metric else DASH, None, None))))
    blocks.append(Para(T.rich("goals.meta", owner=goal.owner or DASH, created=fmt_long_date(goal.created, lang),
                              business=T(f"goals.business.{goal.business_goal}"),
                              stage=T(f"goals.stage_name.{goal.stage}")), "muted"))
    if tr_.progress is not None:
        blocks.append(Para(T.rich(f"goals.track_text.{tr_.status}", progress=fch.fmt_pct(tr_.progress, lang),
                                  expected=fch.fmt_pct(tr_.expected, lang), date=fmt_long_date(tr_.as_of, lang))))
    rows = []
    for c in e.checks:
        notes = tuple(Rich(tr(f"goals.note.{n.code}", lang), _check_params(n, metric, lang)) for n in c.notes)
        rows.append((Cell(lit(T(f"goals.check.{c.name}"))), Cell(lit(T(f"report.verdict.{c.verdict}")),
                                                                  VERDICT_TONE[str(c.verdict)]),
                     Cell(Rich(tr(c.key, lang), _check_params(c, metric, lang)), notes=notes)))
    blocks.append(Table(((T("report.goal.check"), False), (T("report.goal.verdict"), False),
                         (T("report.goal.why"), False)), tuple(rows)))
    if goal.notes:
        blocks.append(Para(Rich(T("report.goal.notes"), {"notes": goal.notes}), "muted"))
    if goal.tasks:
        task_rows = tuple((Cell(lit(T(f"goals.task.{t.code}") if t.code and has(f"goals.task.{t.code}", lang)
                                    else (t.title or DASH))),
                           Cell(lit(t.owner or DASH)), Cell(lit(fmt_date(t.due)), num=True),
                           Cell(lit(T(f"goals.task_status.{t.status}")),
                                {"done": "good", "doing": "info", "todo": None}[str(t.status)]))
                          for t in goal.tasks)
        blocks.append(Table(((T("report.goal.task"), False), (T("report.goal.owner"), False),
                             (T("report.goal.due"), True), (T("report.goal.task_status"), False)), task_rows))
    else:
        blocks.append(Para(T.rich("report.goal.no_tasks"), "muted"))
    return blocks


def section_goals(report: Report, lang: str) -> Section:
    T = _Lang(lang)
    g = report.goals
    blocks: list[Block] = []
    if g.error is not None:
        blocks.append(Para(lit(tr_issue(g.error, lang)), "tone-bad"))
    if g.entries:
        blocks.append(Para(T.rich("report.goals.intro", n=len(g.entries), workspace=g.workspace)))
        for e in g.entries:
            blocks += _goal_blocks(e, lang)
    else:
        blocks.append(Para(T.rich("report.goals.none", workspace=g.workspace), "muted"))
        if not g.persistent:
            blocks.append(Para(T.rich("report.goals.memory"), "muted"))
    if g.suggestions:
        blocks.append(Heading(3, T.rich("report.goals.suggested")))
        items = []
        for s in g.suggestions:
            goal = G.Goal(kpi_id=s.kpi_id, baseline=s.baseline, target=s.target, deadline=s.deadline,
                          created=report.generated)
            statement = goal_statement(goal, lang)
            tasks = [T(f"goals.task.{c}") for c in G.suggested_tasks(s.kpi_id) if c != G.REVIEW_TASK][:3]
            items.append((Rich(statement.template + T("report.goals.suggested_tasks"),
                               {**statement.params, "tasks": "; ".join(tasks)}), None))
        blocks.append(Items(tuple(items)))
        blocks.append(Para(T.rich("report.goals.suggested_note", period=fmt_range(g.suggestion_window, lang)),
                           "muted"))
    return Section("goals", T("report.section.goals"), tuple(blocks))


def section_data(report: Report, lang: str) -> Section:
    T = _Lang(lang)
    blocks: list[Block] = [Para(T.rich("report.data.intro"))]
    columns = ((T("report.col.file"), False), (T("report.col.kind"), False), (T("report.col.rows"), True),
               (T("report.col.rejected"), True), (T("report.col.dates"), False))
    rows = tuple((Cell(lit(d.label)), Cell(lit(_kind(d.kind, lang))), Cell(lit(fch.fmt_int(d.rows, lang)), num=True),
                  Cell(lit(fch.fmt_int(d.rows_rejected, lang)), "warn" if d.rows_rejected else None, num=True),
                  Cell(lit(DASH if d.date_range is None else f"{d.date_range[0]} – {d.date_range[1]}")))
                 for d in report.datasets)
    blocks.append(Table(columns, rows))
    rejected = sum(d.rows_rejected for d in report.datasets)
    blocks.append(Para(T.rich("report.data.rejected", n=fch.fmt_int(rejected, lang)) if rejected
                       else T.rich("report.data.none_rejected"), "muted"))
    warnings = [(d.label, w) for d in report.datasets for w in d.warnings]
    if warnings:
        blocks.append(Heading(3, T.rich("report.data.warnings")))
        blocks.append(Items(tuple((T.rich("report.pair", name=label, text=tr_issue(w, lang)), "warn")
                                  for label, w in warnings)))
    blocks.append(Heading(3, T.rich("report.data.columns")))
    blocks.append(Items(tuple((T.rich("report.pair", name=d.label, text=_join(
        [f"{_role(role, lang)} ← {col}" for role, col in d.columns.items()], lang) or DASH), None)
        for d in report.datasets)))
    blocks.append(Heading(3, T.rich("report.data.definitions")))
    items = []
    for r in report.kpis:
        parts = [T(f"kpi.{r.id}.definition")]
        if r.value.value is not None and r.value.variant and has(f"kpi.variant.{r.value.variant}", lang):
            parts.append(T(f"kpi.variant.{r.value.variant}"))
        items.append((T.rich("report.pair_bold", name=kpi_label(r.id, lang), text=cch.join_sentences(parts, lang)),
                      None))
    if items:
        blocks.append(Items(tuple(items)))
    sources = sorted({r.benchmark.source for r in report.kpis if r.benchmark is not None})
    general = [T("report.data.period", period=fmt_range(report.period, lang)),
               T("report.data.filter_on" if report.options.date_range else "report.data.filter_off")]
    if sources:
        general.append(T("report.data.sources", sources="; ".join(
            T(f"kpi.source.{s}") if has(f"kpi.source.{s}", lang) else s for s in sources)))
    general.append(T("report.data.status_legend"))
    blocks.append(Heading(3, T.rich("report.data.reading")))
    blocks.append(Items(tuple((lit(x), None) for x in general)))
    return Section("data", T("report.section.data"), tuple(blocks))


def build_sections(report: Report, charts: Mapping[str, RenderedChart | None], lang: str) -> list[Section]:
    out = [section_summary(report, lang), section_kpis(report, lang), section_funnel(report, charts, lang),
           section_retention(report, lang)]
    content = section_content(report, lang)
    if content is not None:
        out.append(content)
    out += [section_goals(report, lang), section_data(report, lang)]
    return out


# ---- HTML writer -------------------------------------------------------------------------------------

def _format(template: str, params: Mapping[str, str]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


BOLD = re.compile(r"\*\*(.+?)\*\*")


def rich_html(text: Rich) -> str:
    template = html.escape(text.template, quote=False)
    params = {k: html.escape(v, quote=False) for k, v in text.params.items()}
    return BOLD.sub(r"<strong>\1</strong>", _format(template, params))


def _badge_html(inner: str, tone: str | None) -> str:
    return inner if tone is None else f'<span class="badge tone-{tone}">{inner}</span>'


def _cell_html(c: Cell) -> str:
    inner = _badge_html(rich_html(c.text), c.tone)
    return inner + "".join(f'<br><span class="muted">{rich_html(n)}</span>' for n in c.notes)


def _block_html(block: Block, charts: Mapping[str, RenderedChart | None], lang: str) -> str:
    if isinstance(block, Heading):
        anchor = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{rich_html(block.text)}</h{block.level}>"
    if isinstance(block, Para):
        cls = f' class="{block.cls}"' if block.cls else ""
        return f"<p{cls}>{rich_html(block.text)}</p>"
    if isinstance(block, Items):
        tag = "ol" if block.ordered else "ul"
        cls = f' class="{block.cls}"' if block.cls else ""
        lis = "".join(f'<li class="tone-{tone}">{rich_html(t)}</li>' if tone else f"<li>{rich_html(t)}</li>"
                      for t, tone in block.items)
        return f"<{tag}{cls}>{lis}</{tag}>"
    if isinstance(block, Table):
        num_cls = ' class="num"'
        head = "".join(f"<th{num_cls if num else ''}>{html.escape(label)}</th>" for label, num in block.columns)
        body = []
        for row in block.rows:
            if isinstance(row, str):
                body.append(f'<tr class="group"><td colspan="{len(block.columns)}">{html.escape(row)}</td></tr>')
                continue
            cells = "".join(f"<td{num_cls if c.num else ''}>{_cell_html(c)}</td>" for c in row)
            body.append(f"<tr>{cells}</tr>")
        return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    if isinstance(block, Cards):
        cards = []
        for label, value, status, tone in block.cards:
            status_html = f'<div class="status">{_badge_html(html.escape(status), tone)}</div>' if status else ""
            value_cls = f' tone-text-{tone}' if tone and not status else ""
            cards.append(f'<div class="card"><div class="label">{html.escape(label)}</div>'
                         f'<div class="value{value_cls}">{html.escape(value)}</div>{status_html}</div>')
        return f'<div class="cards">{"".join(cards)}</div>'
    if isinstance(block, Gauges):
        items = []
        for key, label, status, tone in block.items:
            chart = charts.get(key)
            if chart is None:
                continue
            badge = f'<div class="status">{_badge_html(html.escape(status), tone)}</div>' if status else ""
            items.append(f'<div class="gauge"><div class="chart" role="img" aria-label="{html.escape(label)}">'
                         f'{chart.svg}</div><div class="label">{html.escape(label)}</div>{badge}</div>')
        return f'<div class="gauges">{"".join(items)}</div>' if items else ""
    if isinstance(block, Figure):
        chart = charts.get(block.chart)
        caption = f"<figcaption>{rich_html(block.caption)}</figcaption>" if block.caption else ""
        if chart is None:
            if block.chart not in charts:
                return ""
            return f'<figure><p class="muted">{html.escape(tr("report.chart_failed", lang))}</p>{caption}</figure>'
        return (f'<figure><div class="figtitle">{html.escape(chart.title)}</div>'
                f'<div class="chart" role="img" aria-label="{html.escape(chart.title)}">{chart.svg}</div>'
                f"{caption}</figure>")
    return ""


CSS = """
:root{--ink:#1d2433;--muted:#5b6473;--line:#e2e5ea;--accent:#1f5fa8;--paper:#fff;
--bad:#a8261b;--bad-bg:#fdecea;--warn:#8a5300;--warn-bg:#fff3dc;--good:#17693b;--good-bg:#e4f4ea;
--info:#1f4f8a;--info-bg:#e8f0fa}
*{box-sizing:border-box}
html{font-family:FONTS;color:var(--ink);background:#eef0f3;font-size:15px;line-height:1.55;
-webkit-text-size-adjust:100%}
body{margin:0}
main{max-width:880px;margin:24px auto;background:var(--paper);padding:48px 56px 40px;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:30px;line-height:1.2;margin:6px 0 6px;letter-spacing:-.01em}
h2{font-size:22px;line-height:1.3;margin:0 0 14px;padding-bottom:6px;border-bottom:2px solid var(--accent)}
h3{font-size:16.5px;margin:26px 0 8px}
p{margin:8px 0}
.eyebrow{text-transform:uppercase;letter-spacing:.09em;color:var(--accent);font-size:12px;font-weight:700;margin:0}
.subtitle{font-size:17px;color:var(--muted);margin:0 0 18px}
.cover{border-bottom:1px solid var(--line);padding-bottom:20px;margin-bottom:22px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0;font-size:14px}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0}
nav.toc h2{font-size:15px;border:0;margin:0 0 4px;padding:0;color:var(--muted);text-transform:uppercase;
letter-spacing:.06em}
nav.toc ol{margin:0;padding-left:22px;columns:2;column-gap:32px}
nav.toc a{color:var(--accent);text-decoration:none}
section{margin-top:44px}
.lead{font-size:16px}
.muted{color:var(--muted);font-size:13px}
table{width:100%;border-collapse:collapse;font-size:13.5px;margin:8px 0 14px}
th{text-align:left;font-weight:600;color:var(--muted);border-bottom:2px solid var(--line);padding:6px 8px;
vertical-align:bottom}
td{border-bottom:1px solid var(--line);padding:6px 8px;vertical-align:top}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.group td{background:#f5f7fa;font-weight:700;color:var(--ink);padding-top:8px}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.tone-bad{background:var(--bad-bg);color:var(--bad)}
.badge.tone-warn{background:var(--warn-bg);color:var(--warn)}
.badge.tone-good{background:var(--good-bg);color:var(--good)}
.badge.tone-info{background:var(--info-bg);color:var(--info)}
p.tone-bad,p.tone-warn,p.tone-good,p.tone-info{padding:8px 12px;border-radius:6px}
p.tone-bad{background:var(--bad-bg)}p.tone-warn{background:var(--warn-bg)}
p.tone-good{background:var(--good-bg)}p.tone-info{background:var(--info-bg)}
ul.findings{list-style:none;padding:0;margin:8px 0}
ul.findings li{border-left:4px solid var(--line);background:#f7f8fa;padding:7px 12px;margin:6px 0;
border-radius:0 6px 6px 0}
ul.findings li.tone-bad{border-color:var(--bad);background:var(--bad-bg)}
ul.findings li.tone-warn{border-color:#e0a030;background:var(--warn-bg)}
ul.findings li.tone-good{border-color:var(--good);background:var(--good-bg)}
ul.findings li.tone-info{border-color:var(--accent);background:var(--info-bg)}
li{margin:4px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px;margin:8px 0 12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .label{font-size:12.5px;color:var(--muted);line-height:1.3}
.card .value{font-size:21px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .status{margin-top:4px}
.tone-text-bad{color:var(--bad)}.tone-text-warn{color:var(--warn)}.tone-text-good{color:var(--good)}
.tone-text-info{color:var(--info)}
.gauges{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px 14px;margin:10px 0 16px}
.gauge{text-align:center;break-inside:avoid}
.gauge .chart svg{margin:0 auto;max-width:170px}
.gauge .label{font-size:12.5px;color:var(--ink);line-height:1.3;margin-top:2px}
.gauge .status{margin-top:3px}
figure{margin:14px 0 20px}
.figtitle{font-weight:600;font-size:14px;margin-bottom:6px}
.chart svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:var(--muted);margin-top:6px}
footer{margin-top:48px;font-size:12px;color:var(--muted);border-top:1px solid var(--line);padding-top:12px}
@page{size:A4;margin:14mm 13mm 16mm}
@media print{
html{background:#fff;font-size:12.5px}
main{max-width:none;margin:0;padding:0;box-shadow:none}
section.major{break-before:page;margin-top:0}
h2,h3{break-after:avoid}
tr,figure,.card,ul.findings li{break-inside:avoid}
thead{display:table-header-group}
nav.toc a{color:inherit}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
@media (max-width:700px){main{padding:24px 18px;margin:0}nav.toc ol{columns:1}}
""".replace("FONTS", FONT_STACK)


def _cover_html(report: Report, lang: str) -> str:
    T = _Lang(lang)
    names = " · ".join(d.label for d in report.datasets) or DASH
    profile = report.options.profile
    bands = T("kpi.band.builtin") if profile is None or profile.name == "builtin" else profile.name
    rows = [(T("report.cover.data"), names), (T("report.cover.period"), fmt_range(report.period, lang)),
            (T("report.cover.generated"), fmt_long_date(report.generated, lang)),
            (T("report.cover.language"), LANG_NAMES.get(lang, lang)), (T("report.cover.benchmarks"), bands)]
    meta = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return (f'<header class="cover"><p class="eyebrow">{html.escape(T("app.name"))}</p>'
            f'<h1>{html.escape(T("report.title"))}</h1>'
            f'<p class="subtitle">{html.escape(_subtitle(report, lang))}</p><dl class="meta">{meta}</dl></header>')


def _subtitle(report: Report, lang: str) -> str:
    kinds = list(dict.fromkeys(_kind(d.kind, lang) for d in report.datasets))
    return tr("report.subtitle", lang, kinds=_join(kinds, lang) or DASH)


def to_html(report: Report, lang: str, charts: Mapping[str, RenderedChart | None] | None = None) -> str:
    """The whole report as one self-contained, printable HTML document (UTF-8, no external references)."""
    charts = render_charts(report, lang) if charts is None else charts
    sections = build_sections(report, charts, lang)
    T = _Lang(lang)
    toc = "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in sections)
    body = []
    for s in sections:
        inner = "".join(_block_html(b, charts, lang) for b in s.blocks)
        body.append(f'<section class="major" id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{inner}</section>')
    footer = T("report.footer", date=fmt_long_date(report.generated, lang))
    title = f'{T("report.title")} · {T("app.name")}'
    return (f'<!DOCTYPE html>\n<html lang="{HTML_LANG.get(lang, lang)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="KPI Workbench">\n<title>{html.escape(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n{_cover_html(report, lang)}\n"
            f'<nav class="toc"><h2>{html.escape(T("report.toc"))}</h2><ol>{toc}</ol></nav>\n'
            + "\n".join(body) + f"\n<footer>{html.escape(footer)}</footer>\n</main>\n</body>\n</html>\n")


# ---- Markdown writer ---------------------------------------------------------------------------------

MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")


def md_escape(text: str) -> str:
    return MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def rich_md(text: Rich) -> str:
    return _format(text.template, {k: md_escape(v) for k, v in text.params.items()})


def _cell_md(c: Cell) -> str:
    text = rich_md(c.text)
    if c.tone == "bad":
        text = f"**{text}**"
    text = " ".join([text, *(rich_md(n) for n in c.notes)])
    return text.replace("|", "\\|")


def _block_md(block: Block, charts: Mapping[str, RenderedChart | None], lang: str) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + rich_md(block.text)
    if isinstance(block, Para):
        return rich_md(block.text)
    if isinstance(block, Items):
        return "\n".join((f"{i}. " if block.ordered else "- ") + rich_md(t)
                         for i, (t, _) in enumerate(block.items, start=1))
    if isinstance(block, Table):
        head = "| " + " | ".join(md_escape(label) for label, _ in block.columns) + " |"
        sep = "|" + "|".join("---:" if num else "---" for _, num in block.columns) + "|"
        lines = [head, sep]
        for row in block.rows:
            if isinstance(row, str):
                lines.append("| **" + md_escape(row) + "** |" + " |" * (len(block.columns) - 1))
            else:
                lines.append("| " + " | ".join(_cell_md(c) for c in row) + " |")
        return "\n".join(lines)
    if isinstance(block, Cards):
        return "\n".join(f"- {md_escape(label)}: **{md_escape(value)}**" + (f" ({md_escape(status)})" if status else "")
                         for label, value, status, _ in block.cards)
    if isinstance(block, Gauges):
        return "\n".join(f"![{md_escape(label)}](charts/{key}.png) {md_escape(label)}"
                         + (f": **{md_escape(status)}**" if status else "") + "  "
                         for key, label, status, _ in block.items if charts.get(key) is not None)
    if isinstance(block, Figure):
        chart = charts.get(block.chart)
        caption = rich_md(block.caption) if block.caption else ""
        if chart is None:
            return "" if block.chart not in charts else f"_{md_escape(tr('report.chart_failed', lang))}_"
        return f"![{md_escape(chart.title)}](charts/{chart.name}.png)\n\n_{caption}_" if caption else \
            f"![{md_escape(chart.title)}](charts/{chart.name}.png)"
    return ""


def to_markdown(report: Report, lang: str, charts: Mapping[str, RenderedChart | None] | None = None) -> str:
    charts = render_charts(report, lang) if charts is None else charts
    T = _Lang(lang)
    sections = build_sections(report, charts, lang)
    profile = report.options.profile
    bands = T("kpi.band.builtin") if profile is None or profile.name == "builtin" else profile.name
    lines = [f"# {md_escape(T('report.title'))}", "", f"_{md_escape(_subtitle(report, lang))}_", "",
             f"- {md_escape(T('report.cover.data'))}: {md_escape(' · '.join(d.label for d in report.datasets))}",
             f"- {md_escape(T('report.cover.period'))}: {md_escape(fmt_range(report.period, lang))}",
             f"- {md_escape(T('report.cover.generated'))}: {md_escape(fmt_long_date(report.generated, lang))}",
             f"- {md_escape(T('report.cover.language'))}: {md_escape(LANG_NAMES.get(lang, lang))}",
             f"- {md_escape(T('report.cover.benchmarks'))}: {md_escape(bands)}", "",
             f"## {md_escape(T('report.toc'))}", ""]
    lines += [f"{i}. {md_escape(s.title)}" for i, s in enumerate(sections, start=1)]
    for s in sections:
        lines += ["", f"## {md_escape(s.title)}", ""]
        for b in s.blocks:
            text = _block_md(b, charts, lang)
            if text:
                lines += [text, ""]
    lines += ["---", "", md_escape(T("report.footer", date=fmt_long_date(report.generated, lang))), ""]
    return "\n".join(lines)


def to_zip(report: Report, lang: str, charts: Mapping[str, RenderedChart | None] | None = None) -> bytes:
    """report.md, charts/*.png and kpis.csv in one ZIP."""
    charts = render_charts(report, lang) if charts is None else charts
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.md", to_markdown(report, lang, charts).encode("utf-8"))
        for chart in charts.values():
            if chart is not None:
                z.writestr(f"charts/{chart.name}.png", chart.png())
        z.writestr("kpis.csv", to_csv(report, lang))
    return buf.getvalue()


# ---- CSV ---------------------------------------------------------------------------------------------

def csv_cell(value: object) -> str:
    """Text for one CSV cell; a formula-looking text gets a leading ' (plain numbers stay numbers)."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = "" if not math.isfinite(value) else repr(round(value, 6))
    else:
        text = str(value)
    if text and text[0] in CSV_SPECIAL and not NUMBER.match(text):
        return "'" + text
    return text


CSV_COLUMNS = ("id", "kpi", "category", "value", "value_text", "unit", "status", "market", "optimal", "source",
               "previous", "change", "period_start", "period_end", "definition", "note")


def to_csv(report: Report, lang: str) -> bytes:
    """Every KPI of the report, one row each: raw value (ratios as fractions, durations in seconds),
    the formatted value, benchmark and status, the previous period's value and the change."""
    T = _Lang(lang)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_cell(T(f"report.csv.{c}")) for c in CSV_COLUMNS])
    translate = lambda key, **p: tr(key, lang, **p)  # noqa: E731
    for r in report.kpis:
        metric = METRICS[r.id]
        bench = r.benchmark
        ch = r.change
        note = reason_text(r.value, translate) if r.value.value is None else (
            T(f"kpi.variant.{r.value.variant}") if r.value.variant and has(f"kpi.variant.{r.value.variant}", lang)
            else "")
        w.writerow([csv_cell(x) for x in (
            r.id, kpi_label(r.id, lang), T(f"kpi.category.{metric.category}"), r.value.value,
            fmt_kpi(metric, r.value.value, lang), T(f"report.unit.{metric.unit}"),
            "" if r.status is None else T(f"kpi.status.{r.status}"),
            "" if bench is None else fmt_band(bench.market, metric, lang),
            "" if bench is None else fmt_band(bench.optimal, metric, lang),
            "" if bench is None else (T(f"kpi.source.{bench.source}") if has(f"kpi.source.{bench.source}", lang)
                                      else bench.source),
            None if ch is None else ch.previous, None if ch is None else ch.relative,
            None if report.period is None else report.period[0].isoformat(),
            None if report.period is None else report.period[1].isoformat(),
            T(f"kpi.{r.id}.definition"), note)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# ---- everything at once ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bundle:
    html: bytes
    zip: bytes
    csv: bytes
    stem: str          # file name without extension: kpi-report-2026-11-21-en


def file_stem(report: Report, lang: str) -> str:
    return f"kpi-report-{report.generated.isoformat()}-{lang}"


def render_all(report: Report, lang: str) -> Bundle:
    """The three downloads, with the charts rendered once for both HTML and ZIP."""
    charts = render_charts(report, lang)
    return Bundle(to_html(report, lang, charts).encode("utf-8"), to_zip(report, lang, charts),
                  to_csv(report, lang), file_stem(report, lang))


def write_report(ws: Workspace, out_path: str | Path, lang: str = "en", options: ReportOptions | None = None,
                 *, store: Any = None) -> Path:
    """Build the report of ``ws`` and write it to ``out_path``: ``.zip`` gives Markdown + PNG, ``.csv``
    the KPI table, anything else the HTML file. Returns the path written."""
    path = Path(out_path)
    report = build_report(ws, options or ReportOptions(), store=store)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        data = to_zip(report, lang)
    elif suffix == ".csv":
        data = to_csv(report, lang)
    else:
        data = to_html(report, lang).encode("utf-8")
    path.write_bytes(data)
    return path


__all__ = ["Bundle", "RenderedChart", "Rich", "build_sections", "csv_cell", "fmt_band", "fmt_kpi", "inline_svg",
           "md_escape", "render_all", "render_charts", "rich_html", "to_csv", "to_html", "to_markdown", "to_zip",
           "write_report"]
