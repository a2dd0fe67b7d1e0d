"""Shared fixtures for the reliability suite: the bad-input corpus, small and big."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from tests.badcorpus.make_bad_corpus import BIG, OUT, SMALL, Case, build_big
from ui.i18n import LANGS, has, tr_issue

_FIELDS = string.Formatter()


@pytest.fixture(scope="session")
def big_files(tmp_path_factory) -> dict[str, Path]:
    """The big cases (ZIP bombs, 10,000 columns, 5 MB lines), written once per test run."""
    return build_big(tmp_path_factory.mktemp("badcorpus_big"))


def case_path(case: Case, big_files: dict[str, Path]) -> Path:
    return OUT / case.file if case in SMALL else big_files[case.file]


def case_bytes(case: Case, big_files: dict[str, Path]) -> bytes:
    return case_path(case, big_files).read_bytes()


def assert_clear_message(issue) -> dict[str, str]:
    """The issue has a text in every language, with every placeholder filled; returns {lang: text}."""
    out = {}
    for lang in LANGS:
        assert has(f"issue.{issue.code}", lang), (issue.code, lang)
        text = tr_issue(issue, lang)
        assert not re.search(r"\{[a-z_]+\}", text), (lang, text)
        assert not text.startswith("issue."), text
        out[lang] = text
    return out


ALL_CASES = SMALL + BIG
CASE_IDS = [c.file for c in ALL_CASES]
