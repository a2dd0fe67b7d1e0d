"""KPI values as report dicts (the ``kpis`` part of ``audit.py --json``)."""
from __future__ import annotations

from functools import partial

from kpi.benchmarks import builtin_profile
from kpi.registry import Band, Benchmark
from kpi.report import kpi_entry, kpi_report, reason_text
from kpi.result import KpiValue, Reason
from ui.i18n import tr


def test_entry_with_value_and_benchmark():
    value = KpiValue("engagement_rate", 0.0543, inputs={"views": 1000.0}, variant="daily")
    assert kpi_entry(value, partial(tr, lang="en")) == {
        "value": 0.0543,
        "unit": "ratio",
        "label": "Engagement rate (ER)",
        "definition": tr("kpi.engagement_rate.definition", "en"),
        "variant": "daily",
        "details": {},
        "benchmark": {"status": "market", "variant": "default", "market": [0.04, 0.06], "optimal": [0.07, 0.1],
                      "source": "TikTok account audit article (market average and optimal values)"},
    }


def test_entry_without_value_has_a_translated_reason():
    value = KpiValue.missing("gmv_per_head", Reason.MISSING_INPUT, input="ops_headcount")
    entry = kpi_entry(value, partial(tr, lang="ru"))
    assert entry["value"] is None and entry["benchmark"] is None
    assert entry["reason"] == ("Чтобы рассчитать показатель, введите значение "
                               "«численность команды».")


def test_missing_data_names_the_kinds_and_roles():
    value = KpiValue.missing("ctr", Reason.MISSING_DATA, kinds="content", roles="impressions, clicks")
    text = reason_text(value, partial(tr, lang="en"))
    assert text.startswith("The loaded files do not have the data this KPI needs. Needs: ")
    assert tr("kind.content", "en") in text and tr("role.clicks", "en") in text


def test_benchmark_variant_and_user_profile_are_used():
    value = KpiValue("retention_d1", 0.45, benchmark_variant="social")
    profile = builtin_profile().with_benchmark(
        "retention_d1", Benchmark(Band(0.5, 0.6), Band(0.6, None), "my niche", "social"))
    entry = kpi_entry(value, partial(tr, lang="zh"), profile)
    assert entry["benchmark"] == {"status": "below_market", "variant": "social", "market": [0.5, 0.6],
                                  "optimal": [0.6, None], "source": "my niche"}
    assert kpi_entry(value, partial(tr, lang="zh"))["benchmark"]["status"] == "market"


def test_report_keeps_registry_order_and_filters():
    values = {k: KpiValue(k, 1.0) for k in ("dau", "gmv", "new_users")}
    assert list(kpi_report(values, partial(tr, lang="en"))) == ["new_users", "dau", "gmv"]
    assert list(kpi_report(values, partial(tr, lang="en"), only=["gmv", "ctr"])) == ["gmv"]


def test_values_are_rounded_fractions_and_details_reported():
    value = KpiValue("first_response_time", 65.0, details={"median": 45.0, "p90": 105.00000004})
    entry = kpi_entry(value, partial(tr, lang="en"))
    assert (entry["value"], entry["details"]) == (65.0, {"median": 45.0, "p90": 105.0})
    assert kpi_entry(KpiValue("refund_rate", 0.096540202732996), partial(tr, lang="en"))["value"] == 0.09654
