"""Plain pandas implementations of the benchmark's steps: what an analyst would write in a notebook.

Each function computes the same numbers as the app's step (the benchmark compares them, so a
speed-up never comes from doing less work) with idiomatic, vectorised pandas: ``read_csv``,
``groupby``, ``merge``, ``merge_asof``. Names of events, statuses and coupons are normalised once
per distinct value, as a careful analyst would, not once per row.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.gen import FUNNEL
from data.kpis import PURCHASE_EVENTS, SIGNUP_EVENTS
from data.retention import NOT_ACTIVITY_STATUS
from kpi.funnel import TTC_EDGES

TIME_COLUMN = {"events": "timestamp", "orders": "order_date"}
WINDOW = pd.Timedelta(days=7)
DAY = pd.Timedelta(days=1)


def read_csv(kind: str, path: str | Path) -> pd.DataFrame:
    """The load step: the file into a DataFrame with its time column parsed."""
    return pd.read_csv(path, parse_dates=[TIME_COLUMN[kind]])


def read_parquet(path: str | Path) -> pd.DataFrame:
    """The same table, typed, to start the other steps from (not timed)."""
    return pd.read_parquet(path)


def _norm_in(values: pd.Series, names: Sequence[str]) -> pd.Series:
    """Whether each value, lower-cased with spaces and dashes as ``_``, is one of ``names``."""
    uniq = pd.Series(values.dropna().unique())
    hits = set(uniq[uniq.str.strip().str.lower().str.replace(r"[\s\-]+", "_", regex=True).isin(names)])
    return values.isin(hits)


# ---- monthly cohorts --------------------------------------------------------------------------------

def cohort_matrix(df: pd.DataFrame) -> dict[str, Any]:
    """Users by month of first event; share active in each later month (and the "on or after" counts)."""
    d = df.loc[df["user_id"].notna() & df["timestamp"].notna(), ["user_id", "timestamp"]]
    ts = d["timestamp"]
    pairs = pd.DataFrame({"user": d["user_id"], "m": ts.dt.year * 12 + ts.dt.month - 1}).drop_duplicates()
    by_user = pairs.groupby("user")["m"]
    first, last = by_user.transform("min"), by_user.transform("max")
    pairs["c"] = first
    pairs["k"] = pairs["m"] - first
    active = pairs.groupby(["c", "k"]).size().unstack(fill_value=0)
    lasts = pairs[pairs["m"] == last].groupby(["c", "k"]).size().unstack(fill_value=0)
    on_or_after = lasts.reindex_like(active).fillna(0).iloc[:, ::-1].cumsum(axis=1).iloc[:, ::-1]
    sizes = active[0]
    rates = active.div(sizes, axis=0)
    last_month = int(ts.max().year * 12 + ts.max().month - 1)
    started = np.add.outer(active.index.to_numpy(), active.columns.to_numpy()) <= last_month
    rates = rates.where(started)
    return {"cohorts": int(len(sizes)), "users": int(sizes.sum()),
            "active_cells": int(active.where(started).sum().sum()), "rates": rates, "on_or_after": on_or_after}


def cohort_check(result: dict[str, Any]) -> dict[str, Any]:
    return {"cohorts": result["cohorts"], "users": result["users"], "active_cells": result["active_cells"]}


# ---- ordered funnel ------------------------------------------------------------------------------------

def ordered_funnel(df: pd.DataFrame, steps: Sequence[str] = FUNNEL, window: pd.Timedelta = WINDOW) -> dict[str, Any]:
    """Every ``steps[0]`` event starts an attempt; step i+1 is the first step-(i+1) event at or after
    step i (``merge_asof``), counted when within ``window`` of the start. A user's depth is their best
    attempt's; time to convert is measured on their earliest completed attempt."""
    k = len(steps)
    ev = df.loc[df["event"].isin(steps) & df["user_id"].notna() & df["timestamp"].notna(),
                ["user_id", "timestamp", "event"]]
    step = ev["event"].map({e: i for i, e in enumerate(steps, start=1)})
    att = ev.loc[step == 1, ["user_id", "timestamp"]].rename(columns={"timestamp": "t1"}).reset_index(drop=True)
    prev = "t1"
    for i in range(2, k + 1):
        col = f"t{i}"
        right = ev.loc[step == i, ["user_id", "timestamp"]].rename(columns={"timestamp": col}).sort_values(col)
        going = att[prev].notna()
        joined = pd.merge_asof(att[going].sort_values(prev), right, left_on=prev, right_on=col, by="user_id",
                               direction="forward")
        stopped = att[~going].assign(**{col: pd.Series(pd.NaT, index=att.index[~going], dtype=right[col].dtype)})
        att = pd.concat([joined, stopped], ignore_index=True)
        prev = col
    limit = att["t1"] + window
    att["depth"] = 1 + sum((att[f"t{i}"] <= limit).astype("int64") for i in range(2, k + 1))
    users = att.groupby("user_id").agg(depth=("depth", "max"), entered=("t1", "min"))
    done = att[att["depth"] == k].sort_values("t1").drop_duplicates("user_id")
    ttc = (done[f"t{k}"] - done["t1"]).dt.total_seconds()
    depths = users["depth"].value_counts().sort_index()
    week = users["entered"].dt.normalize() - pd.to_timedelta(users["entered"].dt.weekday, unit="D")
    over_time = users.assign(period=week, converted=users["depth"] == k).groupby("period").agg(
        entered=("depth", "size"), converted=("converted", "sum"))
    bins = pd.Series(np.searchsorted(np.asarray(TTC_EDGES, dtype=float), ttc.to_numpy(), side="right") - 1)
    return {"depths": depths, "over_time": over_time, "ttc_bins": bins.value_counts().sort_index(),
            "ttc_median": None if ttc.empty else float(ttc.quantile(0.5)),
            "ttc_p90": None if ttc.empty else float(ttc.quantile(0.9))}


def funnel_check(result: dict[str, Any]) -> dict[str, Any]:
    return {"depths": {str(int(d)): int(n) for d, n in result["depths"].items()},
            "ttc_median": result["ttc_median"]}


# ---- KPIs ------------------------------------------------------------------------------------------------

def _activity_kpis(act: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> dict[str, float | None]:
    """Retention D1/D7/D30, churn, DAU, MAU, stickiness from distinct (uid, d) pairs; [lo, hi] is the span."""
    out: dict[str, float | None] = {}
    act = act.assign(uid=pd.factorize(act["uid"])[0])      # integer keys: cheaper merges
    for k in (1, 7, 30):
        base = act[act["d"] + k * DAY <= hi]
        later = act.assign(d=act["d"] - k * DAY)
        retained = len(base.merge(later, on=["uid", "d"]))
        out[f"retention_d{k}"] = retained / len(base) if len(base) else None
    out["churn_rate"] = None if out["retention_d30"] is None else 1.0 - out["retention_d30"]
    days = pd.date_range(lo, hi, freq="D")
    days_in_month = pd.Series(1, index=days).groupby(days.to_period("M")).sum()
    mau = act.groupby(act["d"].dt.to_period("M"))["uid"].nunique().reindex(days_in_month.index, fill_value=0)
    out["dau"] = len(act) / len(days)
    out["mau"] = float(mau.sum()) / len(days_in_month)
    mau_days = float((days_in_month * mau).sum())
    out["stickiness"] = len(act) / mau_days if mau_days else None
    return out


def event_kpis(df: pd.DataFrame) -> dict[str, float | None]:
    """The Overview's KPIs of an event log over all its dates (no spend file, no headcounts)."""
    d = df.loc[df["user_id"].notna() & df["timestamp"].notna()]
    day = d["timestamp"].dt.normalize()
    act = pd.DataFrame({"uid": d["user_id"], "d": day}).drop_duplicates()
    lo, hi = df["timestamp"].min().normalize(), df["timestamp"].max().normalize()
    out = _activity_kpis(act, lo, hi)
    out["arpu"] = float(df["revenue"].fillna(0).sum()) / act["uid"].nunique()

    is_buy = _norm_in(d["event"], PURCHASE_EVENTS) | (d["revenue"].fillna(0) > 0)
    buys = pd.DataFrame({"uid": d["user_id"], "d": day})[is_buy]
    signup = d.groupby("user_id")["timestamp"].min().dt.normalize().rename("sd")
    bb = buys.merge(signup, left_on="uid", right_index=True)
    quick = set(bb.loc[(bb["d"] >= bb["sd"]) & (bb["d"] <= bb["sd"] + 3 * DAY), "uid"])
    last_active = act.groupby("uid")["d"].max()
    late = set(last_active.index[last_active >= signup.reindex(last_active.index) + 7 * DAY])
    out["new_users"] = float(len(signup))
    out["effective_new_user_share"] = len(quick | late) / len(signup)
    buyers = set(buys["uid"])
    out["channel_conversion_rate"] = len(buyers) / d["user_id"].nunique()
    signed = d[_norm_in(d["event"], SIGNUP_EVENTS)].groupby("user_id")["timestamp"].min().dt.normalize()
    last_buy = buys.groupby("uid")["d"].max()
    bought = (last_buy.reindex(signed.index) >= signed).sum()
    out["funnel_conversion"] = float(bought) / len(signed) if len(signed) else None
    out["cac"] = None
    out["users_per_agent"] = None
    return out


def order_kpis(df: pd.DataFrame) -> dict[str, float | None]:
    """The Overview's KPIs of an orders export over all its dates (lines grouped into orders by id)."""
    lines = df.loc[df["order_date"].notna() & df["amount"].notna()]
    cancelled = lines["status"].isin(set(s for s in lines["status"].dropna().unique()
                                        if re.search(NOT_ACTIVITY_STATUS, s.lower())))
    key = lines["order_id"].astype("float64").fillna(pd.Series(-np.arange(len(lines), dtype=float) - 1,
                                                                 index=lines.index))
    orders = pd.DataFrame({"key": key, "ts": lines["order_date"], "total": lines["amount"],
                           "customer": lines["customer_id"], "cancelled": cancelled}).groupby("key").agg(
        ts=("ts", "min"), total=("total", "sum"), customer=("customer", "first"), cancelled=("cancelled", "any"))
    pos = orders["total"] > 0
    gmv = float(orders.loc[pos, "total"].sum())
    back = float(orders.loc[pos & orders["cancelled"], "total"].sum() - orders.loc[orders["total"] < 0, "total"].sum())
    net = gmv - back
    days = (lines["order_date"].max().normalize() - lines["order_date"].min().normalize()).days + 1
    paid = orders[pos & ~orders["cancelled"] & orders["customer"].notna()]
    per_customer = paid.groupby("customer").size()
    out: dict[str, float | None] = {
        "gmv": gmv, "net_revenue": net, "refund_rate": back / gmv if gmv else None,
        "arr": net / days * 365, "aov": gmv / int(pos.sum()) if pos.any() else None,
        "repurchase_rate": float((per_customer >= 2).sum()) / len(per_customer) if len(per_customer) else None,
        "ltv": net / len(per_customer) if len(per_customer) else None,
        "gmv_per_head": None, "users_per_agent": None}
    act = pd.DataFrame({"uid": paid["customer"], "d": paid["ts"].dt.normalize()}).drop_duplicates()
    out.update(_activity_kpis(act, orders["ts"].min().normalize(), orders["ts"].max().normalize()))
    out["arpu"] = net / act["uid"].nunique() if len(act) else None
    return out


KPIS = {"events": event_kpis, "orders": order_kpis}
