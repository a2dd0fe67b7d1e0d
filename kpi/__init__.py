"""Pure KPI maths: registry, formulas, benchmarks, A/B tests, change over time.

No streamlit, no duckdb, no file reads: functions take numbers and small structures and return
typed results (``kpi.result``). SQL that gathers the inputs lives in ``data/kpis.py``.
"""
