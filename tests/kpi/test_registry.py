"""The registry is consistent: ids, inputs, sources, bands, translations and documentation."""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from data.detect import KIND_NAMES, SPEC_BY_KIND
from kpi import abtest, benchmarks
from kpi.registry import (METRICS, Band, Category, DatasetKind, Direction, Kind, Stage, Unit, _METRICS, format_band,
                          format_duration, format_value, render_metric_table, render_metrics_doc)
from kpi.result import Reason
from ui.i18n import LANGS, catalogs

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_IDS = (
    "follower_growth_weekly engagement_rate engagement_rate_followers views_per_video lead_conversion_rate new_users "
    "effective_new_user_share cac channel_conversion_rate retention_d1 retention_d7 retention_d30 churn_rate dau mau "
    "stickiness gmv net_revenue refund_rate arr funnel_conversion repurchase_rate aov arpu ltv gmv_per_head "
    "users_per_agent first_response_time resolution_time impressions ctr interaction_rate content_conversion_rate"
).split()


def test_ids_unique_snake_case_and_complete():
    ids = [m.id for m in _METRICS]
    assert len(ids) == len(set(ids)) == len(METRICS)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids), ids
    assert sorted(ids) == sorted(REQUIRED_IDS)


@pytest.mark.parametrize("metric", _METRICS, ids=lambda m: m.id)
def test_metric_is_well_formed(metric):
    assert isinstance(metric.category, Category) and isinstance(metric.stage, Stage)
    assert isinstance(metric.kind, Kind) and isinstance(metric.unit, Unit)
    assert isinstance(metric.direction, Direction)
    assert metric.formula.__module__ == "kpi.formulas"
    assert metric.inputs and all(p.kind is p.POSITIONAL_OR_KEYWORD
                                 for p in inspect.signature(metric.formula).parameters.values())
    assert set(metric.user_inputs) <= set(metric.inputs)
    assert metric.sources
    for source in metric.sources:
        spec = SPEC_BY_KIND[str(source.kind)]
        assert set(source.roles) <= set(spec.required + spec.optional) | {"amount"}, (metric.id, source)
    if metric.quality_partner:
        assert metric.quality_partner in METRICS
    if metric.unit is Unit.RATIO:
        assert metric.kind in (Kind.RATIO, Kind.DERIVED)
    assert "|" not in metric.formula_text or "\\|" in render_metric_table()


def test_dataset_kinds_match_detection():
    assert sorted(k.value for k in DatasetKind) == sorted(KIND_NAMES)


@pytest.mark.parametrize("metric", [m for m in _METRICS if m.benchmarks], ids=lambda m: m.id)
def test_bands_are_ordered_with_a_source(metric):
    variants = [b.variant for b in metric.benchmarks]
    assert len(variants) == len(set(variants))
    for bench in metric.benchmarks:
        assert bench.source in ("tiktok_audit", "ops_guide")
        for band in (bench.market, bench.optimal):
            assert band.lo_or_inf <= band.hi_or_inf
        assert benchmarks.validate_benchmark(metric.id, bench) == []


def test_d1_retention_has_a_band_per_product_type():
    assert {b.variant: (b.market, b.optimal) for b in METRICS["retention_d1"].benchmarks} == {
        "tools": (Band(0.30, 0.50), Band(0.50, 1.0)),
        "social": (Band(0.40, 0.60), Band(0.60, 1.0)),
        "content": (Band(0.70, 1.0), Band(0.70, 1.0)),
    }


# ---- translations ------------------------------------------------------------------------------

def _kpi_keys() -> set[str]:
    return {k for k in catalogs()["en"] if k.startswith("kpi.")}


def test_every_metric_has_label_definition_and_alt_in_every_language():
    cats = catalogs()
    for m in _METRICS:
        wanted = [m.label_key, m.definition_key] + ([m.alt_key] if m.alt_key else [])
        for lang in LANGS:
            for key in wanted:
                assert cats[lang].get(key), (lang, key)
        assert (f"kpi.{m.id}.alt" in cats["en"]) == bool(m.alternatives), m.id


def test_enum_values_and_codes_are_translated():
    keys = _kpi_keys()
    wanted = {f"kpi.category.{c}" for c in Category} | {f"kpi.stage.{s}" for s in Stage}
    wanted |= {f"kpi.status.{s}" for s in benchmarks.Status} | {f"kpi.reason.{r}" for r in Reason}
    wanted |= {f"kpi.ab.verdict.{v}" for v in abtest.Verdict}
    wanted |= {f"kpi.source.{b.source}" for m in _METRICS for b in m.benchmarks}
    wanted |= {f"kpi.benchmark_variant.{b.variant}" for m in _METRICS for b in m.benchmarks}
    wanted |= {f"kpi.input.{name}" for m in _METRICS for name in m.inputs}
    wanted |= {f"kpi.user_input.{name}.label" for m in _METRICS for name in m.user_inputs}
    assert wanted - keys == set()


def test_problem_codes_used_in_benchmarks_are_translated():
    source = (ROOT / "kpi" / "benchmarks.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'Problem\("([a-z_]+)"', source))
    assert codes and {f"kpi.problem.{c}" for c in codes} <= _kpi_keys()


# ---- documentation ---------------------------------------------------------------------------------

def test_docs_metrics_md_matches_the_registry():
    doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert doc == render_metrics_doc(), "regenerate: .venv/bin/python -m kpi.registry > docs/metrics.md"


def test_readme_lists_every_metric_with_its_formula():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [line for line in render_metric_table().splitlines()[2:] if line not in readme]
    assert missing == [], "paste the table from docs/metrics.md into README.md"


def test_table_has_one_row_per_metric():
    rows = render_metric_table().splitlines()
    assert rows[:2] == ["| id | category | formula | benchmark |", "|---|---|---|---|"]
    assert [r.split("|")[1].strip(" `") for r in rows[2:]] == [m.id for m in _METRICS]
    assert "| `retention_d1` | user | Σ users active on day N and on day N+1 / Σ users active on day N | tools: " \
           "market 30–50 %, optimal ≥ 50 % (ops_guide); social: market 40–60 %, optimal ≥ 60 % (ops_guide); " \
           "content: target ≥ 70 % (ops_guide) |" in rows


@pytest.mark.parametrize("band, unit, text", [
    (Band(0.04, 0.06), Unit.RATIO, "4–6 %"),
    (Band(0.0543, None), Unit.RATIO, "≥ 5.43 %"),
    (Band(0.7, 1.0), Unit.RATIO, "≥ 70 %"),
    (Band(10_000, 15_000), Unit.COUNT, "10,000–15,000"),
    (Band(0, 60), Unit.DURATION, "≤ 1 min"),
    (Band(0, 86_400), Unit.DURATION, "≤ 24 h"),
    (Band(0, 90), Unit.DURATION, "≤ 90 s"),
])
def test_format_band(band, unit, text):
    assert format_band(band, unit) == text


@pytest.mark.parametrize("kpi_id, value, text", [
    ("engagement_rate", 0.0543, "5.43 %"),
    ("retention_d1", 0.25, "25.0 %"),
    ("dau", 1234.4, "1,234"),
    ("aov", 60.229, "60.23"),
    ("first_response_time", 9253.4, "2:34:13"),
    ("resolution_time", 90061, "1d 01:01:01"),
    ("cac", None, "—"),
])
def test_format_value(kpi_id, value, text):
    assert format_value(METRICS[kpi_id], value) == text


def test_format_duration_negative():
    assert format_duration(-61) == "−0:01:01"


# ---- purity ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted((ROOT / "kpi").glob("*.py")), ids=lambda p: p.name)
def test_kpi_package_is_pure(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"streamlit", "duckdb", "data", "ui", "pathlib", "os"}, imported
    calls = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
             for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert not calls & {"open", "read_text", "read_bytes", "read_csv", "eval", "exec"}, calls
