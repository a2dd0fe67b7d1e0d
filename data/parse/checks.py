"""Validation of a freshly typed table: every problem reported at once, with counts and row numbers.

Runs on the table while it still knows each row's number in the file (``row_sql``). Nothing here
changes data; rows that cannot be used were already moved to the rejected table by ingest.py.
"""
from __future__ import annotations

from datetime import date, timedelta

import duckdb

from data.db import quote_ident
from data.issues import Issue

# Counts that cannot go below zero, whatever the export.
NEVER_NEGATIVE = {"views", "profile_views", "followers", "impressions", "users", "active_followers",
                  "watch_time", "duration", "saves", "clicks", "hour", "cost"}
# Daily TikTok counts that do go negative when comments, likes or shares are deleted.
DAILY_CAN_DROP = {"likes", "comments", "shares"}
EXAMPLES = 5


def rows_text(rows: list[int]) -> str:
    return ", ".join(str(r) for r in rows[:EXAMPLES])


def _is_time(dtype: str) -> bool:
    d = dtype.upper()
    return d.startswith("TIMESTAMP") or d == "DATE"


def _is_number(dtype: str) -> bool:
    d = dtype.upper()
    return d in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "DOUBLE", "FLOAT", "REAL",
                 "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT") or d.startswith("DECIMAL")


def _examples(con: duckdb.DuckDBPyConnection, table: str, row_sql: str, where: str) -> list[int]:
    got = con.execute(f"SELECT {row_sql} AS r FROM {quote_ident(table)} WHERE {where} ORDER BY r LIMIT {EXAMPLES}"
                      ).fetchall()
    return [int(r[0]) for r in got]


def negatives(con, table: str, row_sql: str, columns: list[tuple[str, str]], roles: dict[str, str],
              kind: str | None) -> list[Issue]:
    """Counts below zero, all columns counted in one scan; examples only for the columns that have some."""
    types = dict(columns)
    checked: list[tuple[str, bool]] = []   # (column, a daily count that may drop)
    for role, col in sorted(roles.items()):
        if col not in types or not _is_number(types[col]):
            continue
        if role not in NEVER_NEGATIVE and role not in DAILY_CAN_DROP:
            continue
        checked.append((col, kind == "social_daily" and role in DAILY_CAN_DROP))
    if not checked:
        return []
    counts = con.execute(f"SELECT {', '.join(f'count_if({quote_ident(c)} < 0)' for c, _ in checked)} "
                         f"FROM {quote_ident(table)}").fetchone()
    out: list[Issue] = []
    for (col, daily), n in zip(checked, counts):
        if not n:
            continue
        rows = _examples(con, table, row_sql, f"{quote_ident(col)} < 0")
        if daily:
            out.append(Issue("negative_daily_values", {"column": col, "count": int(n), "rows": rows_text(rows)},
                             "info"))
        else:
            out.append(Issue("negative_values", {"column": col, "count": int(n), "rows": rows_text(rows)}))
    return out


def time_bounds(con, table: str, row_sql: str, columns: list[tuple[str, str]], today: date) -> list[Issue]:
    """Dates after the export date (a day of slack for time zones) or before 2000."""
    times = [c for c, t in columns if _is_time(t)]
    if not times:
        return []
    latest = today + timedelta(days=1)
    aggs = ", ".join(f"min({quote_ident(c)}), max({quote_ident(c)})" for c in times)
    got = con.execute(f"SELECT {aggs} FROM {quote_ident(table)}").fetchone()
    out: list[Issue] = []
    for i, c in enumerate(times):
        lo, hi = got[2 * i], got[2 * i + 1]
        if lo is None:
            continue
        q = quote_ident(c)
        if (hi.date() if hasattr(hi, "date") else hi) > latest:
            where = f"CAST({q} AS DATE) > DATE '{latest.isoformat()}'"
            n = int(con.execute(f"SELECT count(*) FROM {quote_ident(table)} WHERE {where}").fetchone()[0])
            out.append(Issue("future_dates", {"column": c, "count": n, "today": today.isoformat(),
                                              "rows": rows_text(_examples(con, table, row_sql, where))}))
        if (lo.date() if hasattr(lo, "date") else lo) < date(2000, 1, 1):
            where = f"CAST({q} AS DATE) < DATE '2000-01-01'"
            n = int(con.execute(f"SELECT count(*) FROM {quote_ident(table)} WHERE {where}").fetchone()[0])
            out.append(Issue("dates_before_2000", {"column": c, "count": n,
                                                   "rows": rows_text(_examples(con, table, row_sql, where))}))
    return out


def _row_hash_sql(cols: str) -> str:
    """The screening hash of a row (a function, so a test can force collisions)."""
    return f"hash({cols})"


def duplicates(con, table: str, row_sql: str, columns: list[tuple[str, str]]) -> list[Issue]:
    """Rows that repeat an earlier row exactly (all columns equal).

    One statement: the row hashes are grouped to find the repeated ones (normally none or a few,
    materialized), a second scan keeps the rows holding one of them (a cheap probe of a tiny set),
    and only those are compared column by column for the exact
    count and the first row numbers. Rows whose hashes merely collide land in different partitions,
    so they are never reported. Keeping every row's hash instead of hashing twice is no faster on
    10M rows and costs 16 bytes a row more at the load's peak.
    """
    if not columns:
        return []
    cols = ", ".join(quote_ident(c) for c, _ in columns)
    t = quote_ident(table)
    screen = (f"WITH repeated AS MATERIALIZED (SELECT h FROM (SELECT {_row_hash_sql(cols)} AS h FROM {t}) "
              f"GROUP BY h HAVING count(*) > 1), "
              f"candidates AS (SELECT rowid AS rid FROM {t} WHERE {_row_hash_sql(cols)} IN (SELECT h FROM repeated)) ")
    repeats = (f"SELECT {row_sql} AS r, row_number() OVER (PARTITION BY {cols} ORDER BY {row_sql}) AS k FROM {t} "
               f"WHERE rowid IN (SELECT rid FROM candidates)")
    # no repeated hash: ``candidates`` is empty and the last scan stops at once (nothing to probe)
    got = con.execute(f"{screen}SELECT count(*) OVER () AS n, r FROM ({repeats}) WHERE k > 1 ORDER BY r "
                      f"LIMIT {EXAMPLES}").fetchall()
    if not got:  # no repeats, or only rows whose hashes collided
        return []
    return [Issue("duplicate_rows", {"count": int(got[0][0]), "rows": rows_text([int(r[1]) for r in got])})]
