"""The one place SQL runs: connection set-up, identifier quoting, query execution."""
from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from typing import Any, Sequence

import duckdb
import pandas as pd

# Pages catch this instead of importing duckdb themselves.
DatabaseError = duckdb.Error

MEMORY_LIMIT = os.environ.get("KPIWB_DUCKDB_MEMORY", "2GB")
THREADS = int(os.environ.get("KPIWB_DUCKDB_THREADS", "2"))


# In-memory tables are stored compressed (dictionary, bit-packing, FSST...) once checkpointed:
# a 10M-row event log takes ~100 MB instead of ~800 MB. KPIWB_COMPRESS=0 turns it off.
COMPRESS = os.environ.get("KPIWB_COMPRESS", "1") != "0"
DATA_CATALOG = "kpiwb_data"


def connect(database: str = ":memory:", *, compress: bool | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with a memory cap and spilling to a private temp folder.

    ``compress`` (default ``COMPRESS``, in-memory databases only): tables live in a compressed
    in-memory catalog (``DATA_CATALOG``, the default one), compacted by ``compact``."""
    con = duckdb.connect(database)
    spill = tempfile.mkdtemp(prefix="kpiwb-spill-")
    con.execute("SET memory_limit = ?", [MEMORY_LIMIT])
    con.execute("SET threads = ?", [THREADS])
    con.execute("SET temp_directory = ?", [spill])
    # the spill folder goes with the connection (a browser session ending, a test finishing)
    weakref.finalize(con, shutil.rmtree, spill, True)
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET TimeZone = 'UTC'")
    # give freed memory back to the system (the uncompressed copy of a table after compaction)
    con.execute("SET allocator_background_threads = true")
    con.execute("SET allocator_flush_threshold = '64MB'")
    if (COMPRESS if compress is None else compress) and database == ":memory:":
        con.execute(f"ATTACH ':memory:' AS {DATA_CATALOG} (COMPRESS)")
        con.execute(f"USE {DATA_CATALOG}")
    return con


def compressed(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT current_database()").fetchone()[0] == DATA_CATALOG


def compact(con: duckdb.DuckDBPyConnection) -> None:
    """Compress the tables written since the last call (and free dropped ones): a checkpoint of the
    compressed catalog. Queries on other cursors keep running meanwhile; writes wait for it."""
    con.execute(f"CHECKPOINT {DATA_CATALOG}")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB: wrap in double quotes, double any inner quote."""
    if "\x00" in name:
        name = name.replace("\x00", "")
    return '"' + name.replace('"', '""') + '"'


def query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
    """Run one statement with bound parameters and return a DataFrame."""
    if params is None:
        return con.execute(sql).df()
    return con.execute(sql, params).df()


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> None:
    """Run one statement that returns nothing of interest (DDL)."""
    if params is None:
        con.execute(sql)
    else:
        con.execute(sql, params)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> Any:
    row = con.execute(sql, params or []).fetchone()
    return None if row is None else row[0]


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, type) of a table's columns, in order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]
