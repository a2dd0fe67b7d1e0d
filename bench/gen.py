"""Seeded synthetic exports for the benchmark: an app event log and a shop's orders of any size.

Everything is drawn with vectorised numpy (no per-row Python) and written by DuckDB (``COPY``), as
CSV (what a user uploads) and Parquet (what the pandas steps start from, and the 100M-row audit).

    python bench/gen.py events 1000000 [OUTDIR]

Event log columns match data/samples/app_events.csv: user_id, event, timestamp, channel, device,
region, revenue. Each user's first event is ``sign_up``; later events are app opens, product views,
carts, checkouts and purchases, most of them in the user's first weeks, so cohorts decay and the
6-step funnel has users at every depth. Orders match data/samples/shop_orders.csv.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SEED = 42
VERSION = 2                       # bump when the data changes: cached files are keyed by it
START = np.datetime64("2025-01-01T00:00:00", "s")
END_DAYS = 455                    # sign-ups (first orders) and activity: 2025-01-01 .. 2026-03-31
DAY = 86_400

EVENTS = ("sign_up", "app_open", "view_product", "add_to_cart", "begin_checkout", "purchase")
EVENT_P = (0.30, 0.33, 0.15, 0.11, 0.11)          # app_open .. purchase, after the sign-up
FUNNEL = EVENTS                                   # the benchmark's 6-step ordered funnel
CHANNELS = ("organic", "paid_social", "paid_search", "referral", "email")
CHANNEL_P = (0.35, 0.30, 0.20, 0.10, 0.05)
DEVICES = ("ios", "android", "web")
REGIONS = ("US", "EU", "LATAM", "APAC")
STATUSES = ("completed", "cancelled", "refunded", "returned")
STATUS_P = (0.90, 0.05, 0.03, 0.02)
COUPONS = ("SPRING10", "WELCOME5", "VIP20")


@dataclass(frozen=True)
class Files:
    csv: Path
    parquet: Path
    rows: int


def _list_sql(values: tuple[str, ...]) -> str:
    """A DuckDB list literal of the generator's own constant labels (never user data)."""
    return "[" + ", ".join("'" + v + "'" for v in values) + "]"


def _per_owner(rng: np.random.Generator, n: int, owners: int, mean: float) -> np.ndarray:
    """Owner index of each of ``n`` rows: every owner gets a geometric number (≥ 1, mean ``mean``) of rows, sorted."""
    counts = rng.geometric(1.0 / mean, owners)
    owner = np.repeat(np.arange(owners, dtype=np.int64), counts)
    if len(owner) >= n:
        return owner[:n]
    extra = rng.integers(0, owners, n - len(owner))
    return np.sort(np.concatenate([owner, extra]), kind="stable")


def _offsets(rng: np.random.Generator, owner: np.ndarray, first: np.ndarray, start: np.ndarray,
             life_days: float) -> np.ndarray:
    """Seconds after the owner's start: 0 for the first row, then skewed to the first weeks, and
    never after the end of the data (the end of March 2026)."""
    owners = len(start)
    left = (START + np.timedelta64(END_DAYS * DAY, "s") - start).astype(np.int64) / DAY - 0.2
    life = np.minimum(rng.exponential(life_days, owners) * np.where(rng.random(owners) < 0.2, 6.0, 1.0), left)
    off = life[owner] * rng.random(len(owner)) ** 2 * DAY + rng.integers(60, 3 * 3600, len(owner))
    return np.where(first, 0, off.astype(np.int64))


def _starts(rng: np.random.Generator, owners: int) -> np.ndarray:
    """Each owner's first timestamp, more of them later on (a growing product)."""
    return (START + (rng.random(owners) ** 0.8 * (END_DAYS - 0.5) * DAY).astype("timedelta64[s]"))


def _copy(table: pa.Table, select: str, files: Files) -> None:
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        con.register("gen", table)
        # file names are our own paths under bench/out; COPY cannot take them as parameters
        csv_target = str(files.csv).replace("'", "''")
        pq_target = str(files.parquet).replace("'", "''")
        con.execute(f"CREATE TEMP TABLE rows AS {select}")
        con.execute(f"COPY rows TO '{csv_target}' (HEADER, DELIMITER ',')")
        con.execute(f"COPY rows TO '{pq_target}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    finally:
        con.close()


def events_table(n: int, seed: int = SEED) -> pa.Table:
    """The event log as integer codes (labels are attached in SQL, so no Python strings per row)."""
    rng = np.random.default_rng(seed)
    users = max(1, n // 12)
    uid = _per_owner(rng, n, users, 12.0)
    first = np.ones(n, dtype=bool)
    first[1:] = uid[1:] != uid[:-1]
    start = _starts(rng, users)
    ts = start[uid] + _offsets(rng, uid, first, start, 30.0).astype("timedelta64[s]")
    ev = np.where(first, 0, 1 + rng.choice(len(EVENT_P), n, p=EVENT_P)).astype(np.int8)
    ch = rng.choice(len(CHANNELS), users, p=CHANNEL_P).astype(np.int8)
    ch[rng.random(users) < 0.01] = -1                         # 1 % of users without a channel
    dev = rng.integers(0, len(DEVICES), users).astype(np.int8)
    reg = rng.integers(0, len(REGIONS), users).astype(np.int8)
    rev = np.round(rng.lognormal(3.3, 0.6, n), 2)
    return pa.table({
        "uid": uid, "ev": ev, "ts": pa.array(ts, pa.timestamp("s")), "ch": ch[uid], "dev": dev[uid],
        "reg": reg[uid], "rev": pa.array(rev, mask=ev != len(EVENTS) - 1)})


EVENTS_SELECT = f"""
    SELECT 'u' || (100000 + uid) AS user_id, {_list_sql(EVENTS)}[ev + 1] AS event,
           CAST(ts AS TIMESTAMP) AS "timestamp",
           CASE WHEN ch >= 0 THEN {_list_sql(CHANNELS)}[ch + 1] END AS channel,
           {_list_sql(DEVICES)}[dev + 1] AS device, {_list_sql(REGIONS)}[reg + 1] AS region,
           rev AS revenue
    FROM gen ORDER BY ts, uid, ev"""


def orders_table(n: int, seed: int = SEED) -> pa.Table:
    rng = np.random.default_rng(seed + 1)
    customers = max(1, n // 4)
    cid = _per_owner(rng, n, customers, 4.0)
    first = np.ones(n, dtype=bool)
    first[1:] = cid[1:] != cid[:-1]
    start = _starts(rng, customers)
    ts = start[cid] + _offsets(rng, cid, first, start, 90.0).astype("timedelta64[s]")
    ch = rng.choice(len(CHANNELS), customers, p=CHANNEL_P).astype(np.int8)
    coupon = np.where(rng.random(n) < 0.15, rng.integers(0, len(COUPONS), n), -1).astype(np.int8)
    return pa.table({
        "cid": cid, "ts": pa.array(ts, pa.timestamp("s")), "amount": np.round(rng.lognormal(3.8, 0.5, n), 2),
        "st": rng.choice(len(STATUSES), n, p=STATUS_P).astype(np.int8), "ch": ch[cid], "cp": coupon})


ORDERS_SELECT = f"""
    SELECT 100000 + row_number() OVER (ORDER BY ts, cid) AS order_id, 'c' || (100000 + cid) AS customer_id,
           CAST(ts AS TIMESTAMP) AS order_date, amount, {_list_sql(STATUSES)}[st + 1] AS status,
           {_list_sql(CHANNELS)}[ch + 1] AS channel, CASE WHEN cp >= 0 THEN {_list_sql(COUPONS)}[cp + 1] END AS coupon
    FROM gen ORDER BY ts, cid"""

KINDS = {"events": (events_table, EVENTS_SELECT), "orders": (orders_table, ORDERS_SELECT)}


def files_for(kind: str, n: int, out: Path = OUT, seed: int = SEED) -> Files:
    stem = f"{kind}_{n}_s{seed}_v{VERSION}"
    return Files(out / f"{stem}.csv", out / f"{stem}.parquet", n)


def generate(kind: str, n: int, out: Path = OUT, seed: int = SEED, force: bool = False) -> Files:
    """Write (or reuse) the CSV and Parquet copies of ``n`` rows of ``kind`` ("events" or "orders")."""
    files = files_for(kind, n, out, seed)
    if not force and files.csv.exists() and files.parquet.exists():
        return files
    out.mkdir(parents=True, exist_ok=True)
    make, select = KINDS[kind]
    _copy(make(n, seed), select, files)
    return files


def big_path(n: int, out: Path = OUT, seed: int = SEED) -> Path:
    return out / f"events_{n}_s{seed}_v{VERSION}_big.parquet"


def big_parquet(n: int, out: Path = OUT, seed: int = SEED, chunk: int = 10_000_000) -> Path:
    """A Parquet event log of ``n`` rows written in chunks of 10M (so generation fits in memory).

    Chunks use seeds ``seed``, ``seed + 1``, ...; user ids are offset per chunk so users stay distinct.
    """
    path = big_path(n, out, seed)
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    parts = []
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        con.execute("SET preserve_insertion_order = false")
        for i, lo in enumerate(range(0, n, chunk)):
            size = min(chunk, n - lo)
            table = events_table(size, seed + i)
            table = table.set_column(0, "uid", pa.array(table.column("uid").to_numpy() + i * (chunk // 12 + 1)))
            part = out / f"{path.stem}.part{i}.parquet"
            con.register("gen", table)
            target = str(part).replace("'", "''")
            con.execute(f"COPY ({EVENTS_SELECT}) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
            con.unregister("gen")
            parts.append(part)
            del table
        sources = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in parts) + "]"
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM read_parquet({sources})) TO '{target}' "
                    "(FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    finally:
        con.close()
        for p in parts:
            p.unlink(missing_ok=True)
    return path


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in KINDS:
        print(__doc__)
        return 2
    files = generate(argv[0], int(argv[1]), Path(argv[2]) if len(argv) > 2 else OUT, force=True)
    print(files.csv, files.parquet)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
