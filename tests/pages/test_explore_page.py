"""Explore page: the tables, the SQL cell, refusals in the user's language, the result, chart and download."""
from __future__ import annotations

from datetime import date

import pytest

from data.demo import load_sample
from data.session import Workspace
from tests.helpers import csv_bytes, workspace_with
from tests.pages.conftest import new_app, untranslated
from ui.i18n import tr

PAGE = "pages/explore.py"


def explore(lang: str = "en", sample: str | None = "shop"):
    at = new_app(lang)
    if sample:
        ws = Workspace()
        load_sample(ws, sample)
        at.session_state["workspace"] = ws
    return at.switch_page(PAGE).run()


def run_sql(at, sql: str, lang: str = "en"):
    at.text_area(key="explore_sql").input(sql)
    next(b for b in at.button if b.label == tr("explore.run", lang)).click()
    return at.run()



@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_tables_and_a_first_result(lang):
    at = explore(lang)
    assert not at.exception
    assert untranslated(at) == []
    assert [e.label.split(" ")[0] for e in at.expander][:2] == ["`shop_orders`", "`shop_orders_clean`"]
    # the first example runs by itself: revenue per week from the clean table, with a line chart
    assert "FROM shop_orders_clean" in at.text_area(key="explore_sql").value
    result = at.dataframe[-1].value
    assert list(result.columns) == ["week", "amount"]
    assert len(result) == 56
    assert len(at.get("vega_lite_chart")) == 1
    assert at.get("download_button")[0].label == tr("explore.download", lang)
    assert at.error == []


def test_refusals_are_translated_and_nothing_runs():
    at = explore("ru")
    cases = [
        ("SELECT * FROM read_csv('/etc/passwd')", "issue.sql_no_files", {}),
        ("COPY shop_orders TO '/tmp/kpiwb_page_probe.csv'", "issue.sql_no_files", {}),
        ("ATTACH '/tmp/kpiwb_page_probe.db'", "issue.sql_no_attach", {}),
        ("INSTALL httpfs", "issue.sql_no_extensions", {}),
        ("DROP TABLE shop_orders", "issue.sql_read_only", {"statement": "DROP"}),
        ("SELECT 1; SELECT 2", "issue.sql_several", {"n": 2}),
    ]
    for sql, key, params in cases:
        run_sql(at, sql, "ru")
        assert not at.exception
        assert [e.value for e in at.error] == [tr(key, "ru", **params)], sql
        assert at.get("download_button") == []
    assert untranslated(at) == []
    run_sql(at, "SELECT count(*) AS n FROM shop_orders", "ru")
    assert at.error == []
    assert at.dataframe[-1].value["n"].tolist() == [25163]


def test_syntax_error_shows_duckdbs_text_and_pointer():
    at = run_sql(explore(), "SELECT amount FROM shop_orders_clean WHERE")
    assert not at.exception
    assert at.error[0].value.startswith("The query has a syntax error. DuckDB: Parser Error:")
    assert "LINE 1:" in at.code[0].value


def test_unknown_table_of_another_session():
    other = explore("en", "support")
    assert not other.exception
    at = run_sql(explore("en", "shop"), "SELECT * FROM support_tickets")
    assert [e.value.split(" DuckDB:")[0] for e in at.error] == [
        "Unknown table, column or function: the tables and their columns are listed on the left."]


def test_example_picker_fills_and_runs():
    at = explore()
    options = at.selectbox(key="explore_example").options
    assert options == ["First 100 rows of shop_orders", "amount by week: shop_orders_clean",
                       "amount by channel: shop_orders_clean"]
    at.selectbox(key="explore_example").set_value(2).run()
    assert not at.exception
    assert at.text_area(key="explore_sql").value.startswith("SELECT channel,")
    result = at.dataframe[-1].value
    assert list(result.columns) == ["channel", "amount"]
    assert len(result) == 5
    assert len(at.get("vega_lite_chart")) == 1


def test_big_result_is_capped_with_a_note():
    at = run_sql(explore("en", "app"), "SELECT * FROM app_events")
    assert not at.exception
    assert len(at.dataframe[-1].value) == 10_000
    assert any(i.value.startswith("Only the first 10\u202f000 rows") for i in at.info)
    assert any("no quick chart" in c.value.lower() for c in at.caption)


def test_date_range_applies_to_clean_tables_and_reruns_the_query():
    at = explore()
    at.session_state["date_range_value"] = (date(2026, 1, 1), date(2026, 1, 31))
    run_sql(at, "SELECT count(*) AS n FROM shop_orders_clean")
    assert not at.exception
    jan = at.dataframe[-1].value["n"].tolist()[0]
    at.session_state["date_range_value"] = (date(2026, 1, 1), date(2026, 2, 28))
    at.run()
    jan_feb = at.dataframe[-1].value["n"].tolist()[0]
    assert 0 < jan < jan_feb < 25163
    assert any("2026-01-01" in c.value and "2026-02-28" in c.value for c in at.caption)


def test_a_file_of_unknown_kind_is_still_explorable():
    at = new_app()
    at.session_state["workspace"] = workspace_with(notes__csv=csv_bytes(["foo", "bar"], [["a", 1], ["b", 2]]))
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [e.label.split(" ")[0] for e in at.expander][:1] == ["`notes`"]
    run_sql(at, "SELECT foo, bar FROM notes ORDER BY bar DESC")
    assert at.dataframe[-1].value.to_dict("records") == [{"foo": "b", "bar": 2}, {"foo": "a", "bar": 1}]
    assert len(at.get("vega_lite_chart")) == 1
