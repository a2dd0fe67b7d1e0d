"""Charts drawn from a kept Vega-Lite spec (ui.charts.show): the builder runs once per set of inputs,
every rerun still draws the chart with its data, and the kept specs are bounded."""
from __future__ import annotations

from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from ui.charts import show

SCRIPT = """
import altair as alt
import pandas as pd
import streamlit as st
from ui.charts import show

st.session_state.setdefault("built", 0)

def bars(n, lang):
    st.session_state["built"] += 1
    frame = pd.DataFrame({"x": [f"{lang}{i}" for i in range(n)], "y": list(range(n))})
    return alt.Chart(frame).mark_bar().encode(x="x:N", y="y:Q")

show.altair(st, bars, st.session_state.get("n", 3), st.session_state.get("lang_", "en"))
"""


def _drawn(at) -> list[list[str]]:
    """The x values of each chart's datasets as the browser gets them."""
    out = []
    for chart in at.get("vega_lite_chart"):
        for d in chart.proto.datasets:
            out.append(list(convert_arrow_bytes_to_pandas_df(d.data.data)["x"]))
    return out


def test_builder_runs_once_per_inputs_and_every_rerun_draws_the_chart():
    at = AppTest.from_string(SCRIPT, default_timeout=30)
    at.run()
    assert at.session_state["built"] == 1
    assert _drawn(at) == [["en0", "en1", "en2"]]
    at.run()
    assert at.session_state["built"] == 1                 # same inputs: the kept spec
    assert _drawn(at) == [["en0", "en1", "en2"]]
    at.session_state["n"] = 2
    at.run()
    assert at.session_state["built"] == 2
    assert _drawn(at) == [["en0", "en1"]]
    at.session_state["lang_"] = "ru"                      # the language is an input like any other
    at.run()
    assert at.session_state["built"] == 3
    assert _drawn(at) == [["ru0", "ru1"]]
    at.session_state["n"], at.session_state["lang_"] = 3, "en"
    at.run()
    assert at.session_state["built"] == 3                 # back to the first inputs: still kept
    assert _drawn(at) == [["en0", "en1", "en2"]]
    assert not at.exception


def test_fingerprint_follows_builder_and_arguments():
    def a(x, lang):
        return x

    def b(x, lang):
        return x

    assert show.fingerprint(a, (1, "en"), {}) == show.fingerprint(a, (1, "en"), {})
    assert show.fingerprint(a, (1, "en"), {}) != show.fingerprint(a, (1, "ru"), {})
    assert show.fingerprint(a, (1, "en"), {}) != show.fingerprint(b, (1, "en"), {})
    assert show.fingerprint(a, (1, "en"), {"k": 1}) != show.fingerprint(a, (1, "en"), {"k": 2})
    assert show.fingerprint(a, (lambda: 1,), {}) is None      # cannot be pickled: drawn uncached


def test_kept_specs_are_bounded():
    script = SCRIPT.replace('show.altair(st, bars, st.session_state.get("n", 3), st.session_state.get("lang_", "en"))',
                            'for i in range(show.MAX_SPECS + 5):\n    show.altair(st, bars, 1, f"l{i}")')
    at = AppTest.from_string(script, default_timeout=60)
    at.run()
    assert at.session_state["built"] == show.MAX_SPECS + 5
    assert len(at.session_state[show._STATE]) == show.MAX_SPECS
    assert len(_drawn(at)) == show.MAX_SPECS + 5
