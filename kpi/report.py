"""KPI values as plain dicts for reports and ``audit.py --json``.

Pure: text comes from a ``translate(key, **params) -> str`` callable the caller passes in (the UI's
``tr`` bound to a language), so kpi/ still holds no user-facing text and reads no files. A translate
function returns the key itself for an unknown key (as ``ui.i18n.tr`` does).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kpi.benchmarks import BenchmarkProfile, assess, builtin_profile
from kpi.registry import METRICS
from kpi.result import KpiValue, Reason

Translate = Callable[..., str]
DIGITS = 6


def _maybe(translate: Translate, key: str, fallback: str) -> str:
    text = translate(key)
    return fallback if text == key else text


def _names(translate: Translate, prefix: str, joined: str, sep: str) -> str:
    return ", ".join(_maybe(translate, f"{prefix}.{x.strip()}", x.strip()) for x in joined.split(sep) if x.strip())


def reason_text(value: KpiValue, translate: Translate) -> str | None:
    """Why a KPI has no value, in the translator's language; None when it has one."""
    if value.reason_code is None:
        return None
    params: dict[str, Any] = dict(value.reason_params)
    if "input" in params:
        params["input"] = _maybe(translate, f"kpi.input.{params['input']}", str(params["input"]))
    text = translate(f"kpi.reason.{value.reason_code}", **params)
    if value.reason_code == Reason.MISSING_DATA and params.get("kinds"):
        needs = translate("kpi.reason.needs", kinds=_names(translate, "kind", str(params["kinds"]), ","),
                          roles="; ".join(_names(translate, "role", part, ",")
                                          for part in str(params.get("roles", "")).split(";")))
        text = f"{text} {needs}"
    return text


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), DIGITS)


def kpi_entry(value: KpiValue, translate: Translate, profile: BenchmarkProfile | None = None) -> dict[str, Any]:
    """{"value", "unit", "label", "definition", "variant", "details", "benchmark", "reason"?} for one KPI.

    ``details`` holds secondary numbers (median and p90 of durations, a volume KPI's quality partner).
    """
    metric = METRICS[value.id]
    bench = (profile or builtin_profile()).get(value.id, value.benchmark_variant)
    benchmark = None
    if bench is not None:
        found = assess(value.id, value.value, profile, value.benchmark_variant)
        benchmark = {"status": None if found is None else str(found.status),
                     "variant": bench.variant,
                     "market": [_round(x) for x in bench.market.as_list()],
                     "optimal": [_round(x) for x in bench.optimal.as_list()],
                     "source": _maybe(translate, f"kpi.source.{bench.source}", bench.source)}
    entry: dict[str, Any] = {
        "value": _round(value.value),
        "unit": str(metric.unit),
        "label": translate(metric.label_key),
        "definition": translate(metric.definition_key),
        "variant": value.variant,
        "details": {k: _round(v) for k, v in value.details.items()},
        "benchmark": benchmark,
    }
    if value.value is None:
        entry["reason"] = reason_text(value, translate)
    return entry


def kpi_report(values: Mapping[str, KpiValue], translate: Translate, profile: BenchmarkProfile | None = None,
               only: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """{id: entry} in registry order, for the ids in ``only`` (e.g. ``data.kpis.available_kpis``)."""
    keep = set(values) if only is None else set(only) & set(values)
    return {kpi_id: kpi_entry(values[kpi_id], translate, profile) for kpi_id in METRICS if kpi_id in keep}
