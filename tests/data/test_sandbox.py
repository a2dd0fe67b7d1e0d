"""The Explore page's SQL sandbox: what it refuses, what it isolates, and how it shapes results."""
from __future__ import annotations

import os
import time
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from data.sandbox import (CHART_MAX_BARS, QueryResult, Sandbox, check_statement, escape_cell, examples,
                          friendly_names, quick_chart, safe_csv, slug)
from tests.helpers import csv_bytes, workspace_with

ORDERS = csv_bytes(
    ["Order ID", "Order Date", "Amount", "Channel"],
    [[1, "2024-01-01 10:00:00", 10, "email"],
     [2, "2024-01-15 11:00:00", 20, "=HYPERLINK(\"http://x\")"],
     [3, "2024-02-01 12:00:00", 30, "email"]])
EVENTS = csv_bytes(
    ["user_id", "event", "timestamp"],
    [["u1", "sign_up", "2024-03-01 09:00:00"], ["u2", "sign_up", "2024-03-02 09:00:00"]])

secret_frame = pd.DataFrame({"secret": ["module global"]})   # must not be reachable from SQL


@pytest.fixture(scope="module")
def ws_a():
    ws = workspace_with(orders__csv=ORDERS)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def ws_b():
    ws = workspace_with(events__csv=EVENTS)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def sb_a(ws_a):
    sb = Sandbox(ws_a)
    yield sb
    sb.close()


@pytest.fixture(scope="module")
def sb_b(ws_b):
    sb = Sandbox(ws_b)
    yield sb
    sb.close()


def codes(res: QueryResult) -> list[str]:
    return [i.code for i in res.issues]


# ---- refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sql, code", [
    # files and the network, through SELECT table functions (refused by DuckDB: external access is off)
    ("SELECT * FROM read_csv('/etc/passwd')", "sql_no_files"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "sql_no_files"),
    ("SELECT * FROM read_text('/etc/passwd')", "sql_no_files"),
    ("SELECT * FROM read_blob('/etc/hostname')", "sql_no_files"),
    ("SELECT * FROM read_json('/etc/passwd')", "sql_no_files"),
    ("SELECT * FROM read_parquet('/tmp/x.parquet')", "sql_no_files"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "sql_no_files"),
    ("SELECT * FROM glob('/etc/*')", "sql_no_files"),
    ("SELECT * FROM '/etc/passwd'", "sql_no_files"),
    ("SELECT * FROM 'https://example.com/data.csv'", "sql_no_files"),
    ("SELECT * FROM read_csv('https://example.com/data.csv')", "sql_no_files"),
    # writing files, other databases, extensions (refused by statement type, before running)
    ("COPY orders TO '/tmp/kpiwb_x.csv'", "sql_no_files"),
    ("COPY (SELECT 1) TO '/tmp/kpiwb_x.csv' (FORMAT csv)", "sql_no_files"),
    ("COPY orders FROM '/etc/passwd'", "sql_no_files"),
    ("EXPORT DATABASE '/tmp/kpiwb_export'", "sql_no_files"),
    ("ATTACH '/tmp/kpiwb_x.db'", "sql_no_attach"),
    ("ATTACH ':memory:' AS other", "sql_no_attach"),
    ("DETACH tables", "sql_no_attach"),
    ("INSTALL httpfs", "sql_no_extensions"),
    ("LOAD httpfs", "sql_no_extensions"),
    ("FORCE INSTALL sqlite FROM community", "sql_no_extensions"),
    # writes
    ("CREATE TABLE t AS SELECT 1", "sql_read_only"),
    ("CREATE TEMP TABLE t AS SELECT 1", "sql_read_only"),
    ("CREATE VIEW v AS SELECT 1", "sql_read_only"),
    ("CREATE MACRO m(a) AS a", "sql_read_only"),
    ("INSERT INTO orders VALUES (4, '2024-03-01', 40, 'x')", "sql_read_only"),
    ("UPDATE orders SET \"Amount\" = 0", "sql_read_only"),
    ("DELETE FROM orders", "sql_read_only"),
    ("TRUNCATE orders", "sql_read_only"),
    ("DROP TABLE orders", "sql_read_only"),
    ("ALTER TABLE orders ADD COLUMN x INTEGER", "sql_read_only"),
    # settings and everything else that is not a SELECT
    ("SET threads = 64", "sql_no_settings"),
    ("SET enable_external_access = true", "sql_no_settings"),
    ("RESET lock_configuration", "sql_no_settings"),
    ("SET VARIABLE x = 1", "sql_no_settings"),
    ("USE memory", "sql_no_settings"),
    ("PRAGMA version", "sql_not_select"),
    ("PRAGMA database_list", "sql_not_select"),
    ("IMPORT DATABASE '/tmp/kpiwb_export'", "sql_not_select"),
    ("CALL pragma_version()", "sql_not_select"),
    ("CHECKPOINT", "sql_not_select"),
    ("EXPLAIN SELECT 1", "sql_not_select"),
    ("BEGIN TRANSACTION", "sql_not_select"),
    ("UPDATE EXTENSIONS", "sql_not_select"),
    # more than one statement
    ("SELECT 1; DROP TABLE orders", "sql_several"),
    ("SELECT 1; SELECT 2", "sql_several"),
    ("SELECT 1;\n-- a comment\nCOPY orders TO '/tmp/kpiwb_x.csv'", "sql_several"),
    # nothing to run, bad syntax, names that are not this session's tables
    ("", "sql_empty"),
    ("   \n  ", "sql_empty"),
    ("-- only a comment", "sql_empty"),
    ("SELEC 1", "sql_syntax"),
    ("SELECT * FROM query('CREATE TABLE q AS SELECT 1')", "sql_syntax"),
    ("SELECT * FROM ds_1", "sql_unknown_name"),        # the workspace's internal names are not there
    ("SELECT * FROM v_ds_1", "sql_unknown_name"),
    ("SELECT * FROM secret_frame", "sql_unknown_name"),  # no Python replacement scans
    ("SELECT getenv('HOME')", "sql_unknown_name"),
])
def test_refusals(sb_a, sql, code):
    res = sb_a.run(sql)
    assert res.frame is None
    assert codes(res) == [code]
    assert all(i.severity == "error" for i in res.issues)


def test_a_python_local_is_not_a_table(sb_a):
    local_secret = pd.DataFrame({"secret": ["local"]})  # noqa: F841 - what a replacement scan would find
    assert codes(sb_a.run("SELECT * FROM local_secret")) == ["sql_unknown_name"]


def test_refused_statements_changed_nothing(sb_a):
    sb_a.run("DROP TABLE orders")
    sb_a.run("COPY orders TO '/tmp/kpiwb_sandbox_probe.csv'")
    assert not os.path.exists("/tmp/kpiwb_sandbox_probe.csv")
    res = sb_a.run("SELECT count(*) AS n FROM orders")
    assert res.frame["n"].tolist() == [3]


@pytest.mark.parametrize("sql, error", [
    # Defence in depth: even without the statement check, the database itself refuses.
    ("SELECT * FROM read_csv('/etc/passwd')", duckdb.PermissionException),
    ("COPY orders TO '/tmp/kpiwb_x.csv'", duckdb.PermissionException),
    ("ATTACH '/tmp/kpiwb_x.db' AS x", duckdb.PermissionException),
    ("INSTALL httpfs", duckdb.PermissionException),
    ("LOAD httpfs", duckdb.PermissionException),
    ("CREATE TABLE t AS SELECT 1", duckdb.InvalidInputException),      # read-only database
    ("INSERT INTO orders SELECT * FROM orders", duckdb.InvalidInputException),
    ("DROP TABLE orders", duckdb.InvalidInputException),
    ("SET enable_external_access = true", duckdb.InvalidInputException),  # configuration locked
    ("SET lock_configuration = false", duckdb.InvalidInputException),
    ("SET threads = 64", duckdb.InvalidInputException),
])
def test_the_database_itself_refuses(sb_a, sql, error):
    with pytest.raises(error):
        sb_a.con.execute(sql)


def test_check_statement_accepts_every_kind_of_select(sb_a):
    for sql in ["SELECT 1", "select 1;", "WITH a AS (SELECT 1 AS x) SELECT * FROM a", "FROM orders",
                "VALUES (1), (2)", "DESCRIBE orders", "SUMMARIZE orders", "(SELECT 1) UNION ALL (SELECT 2)",
                "SELECT 1 -- trailing comment", "/* note */ SELECT 2"]:
        assert check_statement(sb_a.con, sql) is None, sql


# ---- isolation between sessions ------------------------------------------------------------------

def test_each_session_sees_only_its_own_tables(sb_a, sb_b):
    assert [t.name for t in sb_a.tables] == ["orders", "orders_clean"]
    assert [t.name for t in sb_b.tables] == ["events", "events_clean"]
    assert codes(sb_b.run("SELECT * FROM orders")) == ["sql_unknown_name"]
    assert codes(sb_b.run("SELECT * FROM orders_clean")) == ["sql_unknown_name"]
    assert codes(sb_a.run("SELECT * FROM events")) == ["sql_unknown_name"]
    assert sb_a.run("SELECT count(*) AS n FROM orders").frame["n"].tolist() == [3]
    assert sb_b.run("SELECT count(*) AS n FROM events").frame["n"].tolist() == [2]
    # one database each, and it is not the workspace's own connection
    assert sb_a.run("SELECT count(*) AS n FROM duckdb_databases() WHERE NOT internal").frame["n"].tolist() == [1]
    assert sb_a.con is not sb_b.con


def test_another_sessions_copy_is_out_of_reach(sb_a, sb_b):
    # DuckDB lets a database read its own file and spill folder; each sandbox has a private folder
    other = sb_b._folder + "/tables.duckdb"
    for sql in [f"SELECT * FROM read_blob('{other}')",
                f"SELECT * FROM read_text('{sb_a._folder}/../{os.path.basename(sb_b._folder)}/tables.duckdb')",
                "SELECT * FROM glob('/tmp/*')"]:
        assert codes(sb_a.run(sql)) == ["sql_no_files"], sql


def test_the_workspace_is_untouched(ws_a, sb_a):
    names = ws_a.con.execute("SELECT database_name FROM duckdb_databases() ORDER BY 1").fetchall()
    assert ("memory",) in names and len([n for n in names if n[0].startswith("kpiwb_sandbox")]) == 0
    assert ws_a.con.execute("SELECT current_setting('enable_external_access')").fetchone()[0] is True


# ---- time limit and row cap ----------------------------------------------------------------------

def test_a_slow_query_is_stopped_within_the_limit(ws_a):
    sb = Sandbox(ws_a, timeout=1.0)
    try:
        start = time.monotonic()
        res = sb.run("SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = 3")
        elapsed = time.monotonic() - start
        assert codes(res) == ["sql_timeout"]
        assert res.issues[0].params == {"seconds": "1"}
        assert elapsed < 4
        assert sb.run("SELECT 42 AS x").frame["x"].tolist() == [42]   # still usable afterwards
    finally:
        sb.close()


def test_row_cap_keeps_order_and_stops_early(ws_a):
    sb = Sandbox(ws_a, row_cap=5)
    try:
        res = sb.run("SELECT range AS n FROM range(20) ORDER BY n DESC")
        assert res.frame["n"].tolist() == [19, 18, 17, 16, 15] and res.truncated
        start = time.monotonic()
        res = sb.run("SELECT range AS n FROM range(5000000000)")   # streamed: not computed to the end
        assert len(res.frame) == 5 and res.truncated and time.monotonic() - start < 3
        res = sb.run("SELECT range AS n FROM range(5)")
        assert res.frame["n"].tolist() == [0, 1, 2, 3, 4] and not res.truncated
        res = sb.run("SELECT 1 AS a WHERE false")
        assert res.ok and list(res.frame.columns) == ["a"] and res.frame.empty
    finally:
        sb.close()


@pytest.mark.parametrize("sql, expected", [
    ("SELECT 1 AS a;", [{"a": 1}]),
    ("SELECT 1 AS a ;; -- done;\n", [{"a": 1}]),
    ("SELECT 'x;y' AS a -- no semicolon here", [{"a": "x;y"}]),
    ("/* head */ VALUES (1), (2)", [{"col0": 1}, {"col0": 2}]),
    ("WITH w AS (SELECT 2 AS a) SELECT * FROM w", [{"a": 2}]),
    ("FROM orders SELECT \"Order ID\" AS id ORDER BY id DESC LIMIT 2", [{"id": 3}, {"id": 2}]),
    ("SELECT [1, 2] AS l, {'k': 1} AS s, 'ab'::BLOB AS b", [{"l": "[1, 2]", "s": "{'k': 1}", "b": "ab"}]),
])
def test_every_select_form_runs(sb_a, sql, expected):
    res = sb_a.run(sql)
    assert res.ok, res.issues
    assert res.frame.to_dict("records") == expected


def test_results_are_bounded_in_size(sb_a):
    res = sb_a.run("SELECT repeat('x', 100000000) AS s FROM range(3)")   # 3 x 100 MB of text...
    assert res.ok and res.frame["s"].str.len().tolist() == [500, 500, 500]   # ...arrives cut
    wide = ", ".join(f"{i} AS c{i}" for i in range(100))
    res = sb_a.run(f"SELECT {wide} FROM range(100000)")
    assert res.frame.shape == (5000, 100) and res.truncated and res.limit == 5000


def test_error_lines_point_at_the_users_text(sb_a):
    res = sb_a.run("SELECT\n  nope\nFROM orders")
    assert codes(res) == ["sql_error"]
    assert res.issues[0].params["detail"] == 'Binder Error: Referenced column "nope" not found in FROM clause!'
    assert "LINE 2:   nope" in res.detail


def test_close_removes_the_copy(ws_a):
    sb = Sandbox(ws_a)
    folder = sb._folder
    assert os.path.isdir(folder)
    sb.close()
    assert not os.path.exists(folder)


# ---- tables and names ----------------------------------------------------------------------------

@pytest.mark.parametrize("labels, reserved, expected", [
    (["shop_orders.csv"], set(), [("shop_orders", "shop_orders_clean")]),
    (["Shop Orders (2024).CSV"], set(), [("shop_orders_2024", "shop_orders_2024_clean")]),
    (["2024 report.xlsx"], set(), [("t_2024_report", "t_2024_report_clean")]),
    (["Заказы.csv"], set(), [("заказы", "заказы_clean")]),
    (["订单.csv"], set(), [("订单", "订单_clean")]),
    (["archive.zip › Overview.csv"], set(), [("overview", "overview_clean")]),
    (["a.csv", "a.tsv"], set(), [("a", "a_clean"), ("a_2", "a_2_clean")]),
    (["a.csv", "a_clean.csv"], set(), [("a", "a_clean"), ("a_clean_2", "a_clean_2_clean")]),
    (["select.csv"], {"select"}, [("select_2", "select_2_clean")]),
    (["!!!.csv"], set(), [("data", "data_clean")]),
])
def test_friendly_names(labels, reserved, expected):
    assert friendly_names(labels, reserved) == expected


def test_slug_keeps_letters_of_any_script():
    assert slug("Отчёт по заказам.csv") == "отчёт_по_заказам"


def test_tables_describe_raw_and_clean_copies(sb_a):
    raw, clean = sb_a.tables
    assert (raw.name, raw.source, raw.clean, raw.kind, raw.rows) == ("orders", "orders.csv", False, "orders", 3)
    assert [c for c, _ in raw.columns] == ["Order ID", "Order Date", "Amount", "Channel"]
    assert (clean.name, clean.clean, clean.rows, clean.time_role) == ("orders_clean", True, 3, "timestamp")
    assert sorted(clean.columns) == [("amount", "DOUBLE"), ("channel", "VARCHAR"), ("order_id", "VARCHAR"),
                                     ("timestamp", "TIMESTAMP")]


def test_date_range_limits_only_the_clean_tables(ws_a):
    sb = Sandbox(ws_a, (date(2024, 1, 10), date(2024, 1, 31)))
    try:
        assert [(t.name, t.rows) for t in sb.tables] == [("orders", 3), ("orders_clean", 1)]
        res = sb.run("SELECT order_id, amount FROM orders_clean")
        assert res.frame.to_dict("records") == [{"order_id": "2", "amount": 20.0}]
        assert sb.matches(ws_a, (date(2024, 1, 10), date(2024, 1, 31)))
        assert not sb.matches(ws_a, None)
    finally:
        sb.close()


def test_unknown_kind_has_only_the_raw_table():
    ws = workspace_with(notes__csv=csv_bytes(["foo", "bar"], [["a", "b"]]))
    sb = Sandbox(ws)
    try:
        assert [t.name for t in sb.tables] == ["notes"]
    finally:
        sb.close()
        ws.close()


def test_examples_run_cleanly(sb_a):
    exs = examples(sb_a.tables, "month")
    assert [(e.key, e.params) for e in exs] == [
        ("preview", {"table": "orders"}),
        ("trend", {"table": "orders_clean", "measure": "amount", "grain": "month"}),
        ("breakdown", {"table": "orders_clean", "measure": "amount", "by": "channel"}),
    ]
    assert exs[1].sql == ("SELECT date_trunc('month', timestamp)::DATE AS month,\n       sum(amount) AS amount\n"
                          "FROM orders_clean\nGROUP BY ALL\nORDER BY month")
    res = sb_a.run(exs[1].sql)
    assert res.ok
    assert [(d.isoformat(), a) for d, a in zip(res.frame["month"], res.frame["amount"])] == [
        ("2024-01-01", 30.0), ("2024-02-01", 30.0)]
    for e in exs:
        assert sb_a.run(e.sql).ok, e.sql


# ---- quick chart ---------------------------------------------------------------------------------

@pytest.mark.parametrize("frame, y, expected", [
    # text + number: bars, summed per category, largest first
    (pd.DataFrame({"channel": ["a", "b", "a"], "n": [1, 5, 2]}), None,
     ("bar", "channel", "n", [("b", 5.0), ("a", 3.0)], True)),
    # a date + number: a line over distinct dates
    (pd.DataFrame({"day": [date(2024, 1, 2), date(2024, 1, 1)], "v": [2.0, 1.0]}), None,
     ("line", "day", "v", [(datetime(2024, 1, 1), 1.0), (datetime(2024, 1, 2), 2.0)], False)),
    # several numbers: the chosen one
    (pd.DataFrame({"c": ["x", "y"], "a": [1, 2], "b": [10, 20]}), "b",
     ("bar", "c", "b", [("y", 20.0), ("x", 10.0)], False)),
    # nulls in the category get their own bar
    (pd.DataFrame({"c": ["x", None], "a": [1, 2]}), None,
     ("bar", "c", "a", [("∅", 2.0), ("x", 1.0)], False)),
])
def test_quick_chart(frame, y, expected):
    qc = quick_chart(frame, "week", y)
    mark, x, ycol, points, summed = expected
    assert (qc.mark, qc.x, qc.y, qc.summed) == (mark, x, ycol, summed)
    assert [(p.x if mark == "bar" else p.x.to_pydatetime(), p.y) for p in qc.data.itertuples()] == points


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}),                  # no text or date column
    pd.DataFrame({"a": ["x"], "b": ["y"], "n": [1]}),          # two text columns
    pd.DataFrame({"a": ["x"]}),                                # one column
    pd.DataFrame({"a": pd.Series([], dtype="str"), "n": pd.Series([], dtype="float64")}),   # no rows
    pd.DataFrame({"flag": [True, False], "n": [1, 2], "s": ["a", "b"]}),   # a bool is not a number
    None,
])
def test_no_quick_chart(frame):
    assert quick_chart(frame) is None


def test_quick_chart_caps_points_and_bars():
    days = pd.date_range("2000-01-01", periods=6000, freq="D")
    qc = quick_chart(pd.DataFrame({"d": days, "v": 1.0}), "month")
    assert qc.bucket == "month" and qc.summed and len(qc.data) == 198
    assert (qc.data["x"].iloc[0], qc.data["y"].iloc[0]) == (pd.Timestamp("2000-01-01"), 31.0)
    bars = quick_chart(pd.DataFrame({"c": [f"c{i:03d}" for i in range(100)], "v": range(100)}))
    assert (bars.shown, bars.total, len(bars.data)) == (CHART_MAX_BARS, 100, CHART_MAX_BARS)
    assert bars.data["x"].iloc[0] == "c099"


# ---- download ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("plain", "plain"), ("a=b", "a=b"), (-5, -5), (None, None),
])
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_safe_csv_escapes_text_not_numbers():
    frame = pd.DataFrame({"=name": ["=cmd|' /C calc'!A0", "ok", None], "n": [-1, 2, 3],
                          "d": [date(2024, 1, 1), None, date(2024, 1, 3)], "ru": ["Заказ", "订单", "@x"]})
    assert safe_csv(frame) == ("\ufeff'=name,n,d,ru\r\n'=cmd|' /C calc'!A0,-1,2024-01-01,Заказ\r\n"
                               "ok,2,,订单\r\n,3,2024-01-03,'@x\r\n").encode("utf-8")


def test_download_of_a_query_result(sb_a):
    res = sb_a.run('SELECT "Order ID", "Channel" FROM orders ORDER BY 1')
    assert safe_csv(res.frame).decode("utf-8-sig").splitlines() == [
        "Order ID,Channel", "1,email", "2,\"'=HYPERLINK(\"\"http://x\"\")\"", "3,email"]


# ---- properties ----------------------------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

PARSER = duckdb.connect()
RESERVED = {r[0] for r in PARSER.execute(
    "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_friendly_names_are_unique_plain_identifiers(labels):
    names = [n for pair in friendly_names(labels, RESERVED) for n in pair]
    assert len(set(names)) == len(names)
    assert not RESERVED & set(names)
    for n in names:
        assert n[0].isalpha() or n[0] == "_"
        assert all(ch.isalnum() or ch == "_" for ch in n)
        PARSER.extract_statements(f"SELECT * FROM {n}")   # parses unquoted


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                        max_size=8), min_size=1, max_size=5))
def test_safe_csv_never_starts_a_cell_with_a_formula(cells):
    import csv as csvmod
    import io as iomod
    text = safe_csv(pd.DataFrame({"c": cells})).decode("utf-8-sig")
    rows = list(csvmod.reader(iomod.StringIO(text, newline="")))
    assert rows[0] == ["c"]
    back = [r[0] if r else "" for r in rows[1:]]
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in back)
    assert [v[1:] if c.startswith(("=", "+", "-", "@", "\t", "\r")) else v for v, c in zip(back, cells)] == cells
