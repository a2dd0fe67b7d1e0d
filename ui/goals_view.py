"""Presentation helpers of the Goals page: number and date formats, statements, checks, the
progress chart and the action-plan table. Streamlit only for ``show_checks``; no SQL, no maths."""
from __future__ import annotations

import math
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from kpi import goals as G
from kpi.registry import METRICS, Metric, Unit, format_duration
from ui.state import grain, lang, t

VERDICT_ICON = {"pass": ":material/check_circle:", "warn": ":material/warning:", "fail": ":material/cancel:"}
VERDICT_COLOR = {"pass": "green", "warn": "orange", "fail": "red"}
NBSP = "\u00a0"


def fmt_date(d: date | None) -> str:
    if d is None:
        return "—"
    return t("goals.date", day=d.day, month=t(f"goals.month.{d.month}"), year=d.year)


def _number(x: float, decimals: int, trim: bool = True) -> str:
    text = f"{x:,.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang() == "ru":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def fmt_value(metric: Metric, value: float | None, trim: bool = True) -> str:
    """A KPI value; ``trim`` drops trailing zeros (targets: "8 %"), measured values keep them ("4.0 %")."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if metric.unit is Unit.RATIO:
        return _number(value * 100, max(metric.decimals, 1), trim) + ("%" if lang() == "zh" else NBSP + "%")
    if metric.unit is Unit.DURATION:
        return format_duration(value)
    return _number(value, metric.decimals, trim)


def fmt_pct(x: float | None, signed: bool = True) -> str:
    if x is None:
        return "—"
    text = _number(abs(x) * 100, 1) + ("%" if lang() == "zh" else NBSP + "%")
    sign = "−" if x < 0 else ("+" if signed else "")
    return sign + text


def kpi_label(kpi_id: str) -> str:
    return t(f"kpi.{kpi_id}.label")


def kpi_in_sentence(kpi_id: str) -> str:
    label = kpi_label(kpi_id)
    if lang() != "en" or len(label) < 2 or not label[1].islower():
        return label
    return label[0].lower() + label[1:]


def statement_text(goal: G.Goal) -> str:
    s = G.statement(goal)
    metric = METRICS[goal.kpi_id]
    kpi = kpi_in_sentence(goal.kpi_id)
    if s.period_days:
        kpi = t("goals.statement.per_days", kpi=kpi, n=s.period_days)
    text = t(f"goals.statement.{s.verb}", kpi=kpi, baseline=fmt_value(metric, s.baseline, trim=False),
             target=fmt_value(metric, s.target), deadline=fmt_date(s.deadline))
    if s.scope:
        text += t("goals.statement.scope", scope=s.scope)
    return text


def join_labels(ids, prefix: str = "kpi") -> str:
    if prefix == "kpi":
        return ", ".join(kpi_label(k) for k in ids) or "—"
    return ", ".join(t(f"{prefix}.{k}") for k in ids) or "—"


def check_params(check: G.Check | G.Note, metric: Metric | None) -> dict[str, str]:
    p = dict(check.params)
    out: dict[str, str] = {}
    for key, value in p.items():
        if key in ("kpi", "partner"):
            out[key] = kpi_label(value) if value else "—"
        elif key in ("suggested",):
            out[key] = join_labels(value)
        elif key == "kinds":
            out[key] = join_labels(value, "kind")
        elif key == "goal":
            out[key] = t(f"goals.business.{value}")
        elif key == "stage":
            out[key] = t(f"goals.stage.{value}")
        elif key in ("required", "historical", "change"):
            out[key] = fmt_pct(value)
        elif key == "ratio":
            out[key] = _number(value, 1) + "×"
        elif key in ("baseline", "data_baseline", "target", "first", "last"):
            out[key] = fmt_value(metric, value) if metric else str(value)
        elif isinstance(value, date):
            out[key] = fmt_date(value)
        else:
            out[key] = str(value)
    out["per"] = t(f"goals.per.{p.get('grain', grain())}")
    return out


def show_checks(checks: list[G.Check], metric: Metric | None) -> None:
    for c in checks:
        params = check_params(c, metric)
        name, text = st.columns([1.5, 5], vertical_alignment="top")
        name.badge(t(f"goals.check.{c.name}"), icon=VERDICT_ICON[c.verdict], color=VERDICT_COLOR[c.verdict])
        text.markdown(t(c.key, **params))
        for note in c.notes:
            text.caption(":material/info: " + t(f"goals.note.{note.code}", **check_params(note, metric)))


def progress_chart(goal: G.Goal, metric: Metric, points: list[tuple[date, float | None]]) -> alt.LayerChart | None:
    if goal.baseline is None or goal.target is None or goal.deadline is None:
        return None
    scale = G.input_scale(metric.unit)
    days = goal.period_days or G.BASELINE_DAYS
    actual_label, path_label = t("goals.chart.actual", n=days), t("goals.chart.path")
    points = [(d, v) for d, v in points if v is not None]
    actual = pd.DataFrame({"date": [pd.Timestamp(d) for d, _ in points],
                           "value": [v * scale for _, v in points], "what": actual_label})
    path = pd.DataFrame({"date": [pd.Timestamp(goal.created), pd.Timestamp(goal.deadline)],
                         "value": [goal.baseline * scale, goal.target * scale], "what": path_label})
    frame = pd.concat([actual, path], ignore_index=True) if len(actual) else path
    colour = alt.Color("what:N", title=None, legend=alt.Legend(orient="bottom"),
                       scale=alt.Scale(domain=[actual_label, path_label], range=["#1f77b4", "#ff7f0e"]))
    base = alt.Chart(frame).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%Y-%m-%d", labelAngle=0)),
        y=alt.Y("value:Q", title=t(f"goals.unit.{metric.unit}") or None, scale=alt.Scale(zero=False)),
        color=colour, tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"), alt.Tooltip("value:Q", format=",.4g")])
    lines = base.mark_line(point=True).encode(strokeDash=alt.condition(
        alt.datum.what == path_label, alt.value([6, 4]), alt.value([1, 0])))
    return lines.properties(height=220)


def tasks_frame(goal: G.Goal) -> pd.DataFrame:
    rows = [{"id": tk.id, "code": tk.code or "", "what": t(f"goals.task.{tk.code}") if tk.code else tk.title,
             "owner": tk.owner, "due": tk.due, "status": str(tk.status)} for tk in goal.tasks]
    return pd.DataFrame(rows, columns=["id", "code", "what", "owner", "due", "status"])


def tasks_from_frame(frame: pd.DataFrame) -> list[G.Task]:
    out = []
    for row in frame.to_dict("records"):
        what = "" if row.get("what") is None or (isinstance(row.get("what"), float)) else str(row["what"]).strip()
        if not what:
            continue
        code = row.get("code") if isinstance(row.get("code"), str) and row.get("code") else None
        if code and what != t(f"goals.task.{code}"):
            code = None
        due = row.get("due")
        if isinstance(due, pd.Timestamp):
            due = due.date()
        if not isinstance(due, date):
            due = None
        status = row.get("status") if row.get("status") in list(G.TaskStatus) else "todo"
        owner = row.get("owner") if isinstance(row.get("owner"), str) else ""
        tid = row.get("id") if isinstance(row.get("id"), str) else ""
        out.append(G.Task(title="" if code else what, code=code, owner=owner.strip(), due=due,
                          status=G.TaskStatus(status), id=tid))
    return out
