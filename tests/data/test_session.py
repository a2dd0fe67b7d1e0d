from datetime import date

from data.db import query, quote_ident
from data.session import Workspace
from tests.helpers import csv_bytes

EVENTS = csv_bytes(["user_id", "event", "timestamp", "channel"], [
    ["u1", "sign_up", "2026-01-01 10:00:00", "organic"],
    ["u1", "purchase", "2026-01-02 11:00:00", "organic"],
    ["u2", "sign_up", "2026-01-03 09:00:00", "paid"],
])


def test_quote_ident_doubles_quotes():
    assert quote_ident('x"; DROP TABLE t;--') == '"x""; DROP TABLE t;--"'
    assert quote_ident("Дата") == '"Дата"'


def test_csv_becomes_typed_table_with_canonical_view():
    ws = Workspace()
    res = ws.add_file("events.csv", EVENTS)
    assert res.issues == []
    (ds,) = res.datasets
    assert (ds.kind, ds.rows, ds.rows_rejected) == ("events", 3, 0)
    assert ds.roles == {"user_id": "user_id", "timestamp": "timestamp", "event": "event", "channel": "channel"}
    assert ds.date_range == (date(2026, 1, 1), date(2026, 1, 3))
    got = query(ws.con, f"SELECT user_id, event FROM {quote_ident(ds.view)} ORDER BY timestamp")
    assert got.values.tolist() == [["u1", "sign_up"], ["u1", "purchase"], ["u2", "sign_up"]]


def test_remove_drops_table_and_view():
    ws = Workspace()
    (ds,) = ws.add_file("events.csv", EVENTS).datasets
    ws.remove(ds.name)
    assert ws.datasets == []
    tables = query(ws.con, "SELECT count(*) AS n FROM information_schema.tables")
    assert int(tables["n"][0]) == 0


def test_two_workspaces_do_not_share_data():
    a, b = Workspace(), Workspace()
    a.add_file("events.csv", EVENTS)
    assert len(a.datasets) == 1 and b.datasets == []
    assert int(query(b.con, "SELECT count(*) AS n FROM information_schema.tables")["n"][0]) == 0


def test_empty_file_is_a_translatable_error_not_an_exception():
    res = Workspace().add_file("empty.csv", b"")
    assert res.datasets == []
    assert [i.code for i in res.issues] == ["empty_file"]


def test_mapping_fix_is_remembered_for_same_header():
    content = csv_bytes(["who", "what", "when"], [["u1", "open", "2026-03-01 10:00:00"]])
    ws = Workspace()
    (ds,) = ws.add_file("a.csv", content).datasets
    assert ds.kind is None
    ws.set_mapping(ds.name, "events", {"user_id": "who", "event": "what", "timestamp": "when"})
    (ds2,) = ws.add_file("b.csv", content).datasets
    assert ds2.kind == "events"
    assert ds2.roles == {"user_id": "who", "event": "what", "timestamp": "when"}
    assert ds2.date_range == (date(2026, 3, 1), date(2026, 3, 1))


def test_orders_amount_from_quantity_times_price():
    content = csv_bytes(["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
                        [["536365", 6, "2026-12-01 08:26:00", 2.55, 17850],
                         ["C536379", -1, "2026-12-01 09:41:00", 27.5, 14527]])
    ws = Workspace()
    (ds,) = ws.add_file("orders.csv", content).datasets
    assert ds.kind == "orders"
    got = query(ws.con, f"SELECT amount FROM {quote_ident(ds.view)} ORDER BY timestamp")
    assert [round(v, 2) for v in got["amount"]] == [15.3, -27.5]


def test_reload_with_day_first_replaces_the_dataset_in_place():
    content = csv_bytes(["date", "views"], [["01/02/2026", 10], ["03/04/2026", 20]])
    ws = Workspace()
    ws.add_file("events.csv", EVENTS)
    (ds,) = ws.add_file("daily.csv", content, today=date(2026, 11, 23)).datasets
    assert "ambiguous_date_order" in [w.code for w in ds.warnings]
    month_first = ds.date_range
    res = ws.reload(ds.name, day_first=True, today=date(2026, 11, 23))
    assert res.issues == []
    assert [d.label for d in ws.datasets] == ["events.csv", "daily.csv"]
    new = ws.datasets[1]
    assert new.load_options["day_first"] is True
    assert (month_first, new.date_range) == ((date(2026, 1, 2), date(2026, 3, 4)),
                                             (date(2026, 2, 1), date(2026, 4, 3)))


def test_parquet_file_loads_with_its_own_types(tmp_path):
    import duckdb

    path = tmp_path / "events.parquet"
    duckdb.sql("SELECT 'u' || (i % 3) AS user_id, 'open' AS event, TIMESTAMP '2026-01-01 00:00:00' "
               "+ to_days(CAST(i AS INTEGER)) AS timestamp FROM range(10) t(i)").write_parquet(str(path))
    ws = Workspace()
    res = ws.add_file("events.parquet", path)
    assert res.issues == []
    (ds,) = res.datasets
    assert (ds.kind, ds.rows, ds.rows_rejected, ds.source_format) == ("events", 10, 0, "parquet")
    assert ds.date_range == (date(2026, 1, 1), date(2026, 1, 10))
