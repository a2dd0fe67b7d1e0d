"""Draw an Altair chart from a builder, keeping its Vega-Lite spec per session by the builder's inputs.

Building an Altair chart and turning it into Vega-Lite (``to_dict`` validates the whole spec against
the schema) costs 20-60 ms a chart in Python on every rerun, even when no query runs. The chart
builders in ``ui.charts`` are pure functions of their arguments (language included), so the spec
made for one set of arguments is the spec for the same arguments on a later rerun: a filter flipped
back, a widget elsewhere on the page, a return to the page. Specs are kept in a small LRU in the
session (``MAX_SPECS``); arguments that cannot be fingerprinted simply skip the cache.
"""
from __future__ import annotations

import copy
import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import streamlit as st

MAX_SPECS = 48
_STATE = "_kpiwb_chart_specs"

try:  # the conversion st.altair_chart itself does (Arrow datasets, theme); pinned Streamlit
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec as _to_spec
except ImportError:  # pragma: no cover - another Streamlit: draw through st.altair_chart, uncached
    _to_spec = None


def fingerprint(builder: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> str | None:
    """A digest of the builder and its arguments; None when an argument cannot be pickled."""
    try:
        blob = pickle.dumps((builder.__module__, builder.__qualname__, args, sorted(kwargs.items())),
                            protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - unpicklable argument (a lambda...): no cache for this chart
        return None
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _specs() -> OrderedDict:
    specs = st.session_state.get(_STATE)
    if not isinstance(specs, OrderedDict):
        specs = OrderedDict()
        st.session_state[_STATE] = specs
    return specs


def altair(container: Any, builder: Callable[..., Any], *args: Any, width: Any = "stretch",
           **kwargs: Any) -> None:
    """``container.altair_chart(builder(*args, **kwargs), width=width)``, from a kept spec when possible."""
    key = fingerprint(builder, args, kwargs) if _to_spec is not None else None
    specs = _specs()
    spec = specs.get(key) if key is not None else None
    if spec is None:
        chart = builder(*args, **kwargs)
        if key is None:
            container.altair_chart(chart, width=width)
            return
        spec = _to_spec(chart)
        specs[key] = spec
        while len(specs) > MAX_SPECS:
            specs.popitem(last=False)
    else:
        specs.move_to_end(key)
    # drawing takes the datasets out of the spec it is given: hand it a copy
    container.vega_lite_chart(spec=copy.deepcopy(spec), width=width)
