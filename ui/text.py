"""Showing text from a user's file literally in Streamlit markdown."""
from __future__ import annotations

import re

MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()<>#+\-.!|~$:])")


def md_escape(text: object) -> str:
    """Backslash-escape Markdown (and Streamlit's :directives:, LaTeX $) so a file name, an event or a
    segment from the user's data shows literally and can never become a link or formatting."""
    return MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
