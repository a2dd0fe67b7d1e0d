"""The bad-input corpus through the real app (AppTest): upload each file on the Load page after a
sample, see the translated message, keep the sample dataset, and every page still renders."""
from __future__ import annotations

import pytest

from tests.pages.conftest import PAGES, new_app, untranslated
from tests.reliability.conftest import ALL_CASES, CASE_IDS, case_bytes
from tests.reliability.test_badcorpus import EXPECTED, refused
from ui.i18n import tr_issue

SAMPLE_ROWS = 6028  # support_tickets.csv
MIME = {".csv": "text/csv", ".zip": "application/zip", ".xlsx": "application/vnd.ms-excel", ".xls": "text/plain"}


def _started(lang: str):
    at = new_app(lang)
    at.button(key="sample_load_support").click().run()
    assert not at.exception
    assert _datasets(at) == [("support_tickets.csv", SAMPLE_ROWS)]
    return at


def _datasets(at) -> list[tuple[str, int]]:
    ws = at.session_state["workspace"]
    return [(d.label, ws.row_count(d.name)) for d in ws.datasets]


def _upload(at, case, data: bytes) -> None:
    ext = case.upload_name[case.upload_name.rfind("."):]
    at.file_uploader[0].upload(case.upload_name, data, MIME.get(ext, "application/octet-stream"))
    at.run()


def _check_upload(at, case, lang: str, big_files) -> None:
    n_before = len(at.session_state["workspace"].datasets)
    _upload(at, case, case_bytes(case, big_files))
    assert not at.exception, [e.value for e in at.exception]
    datasets = _datasets(at)
    assert datasets[0] == ("support_tickets.csv", SAMPLE_ROWS)   # the user's other data is untouched
    if refused(case.file):
        assert len(datasets) == n_before
        issue = at.session_state["load_messages"][-1]
        assert issue.code == EXPECTED[case.file][0]
        assert tr_issue(issue, lang) in [e.value for e in at.error]
    else:
        assert len(datasets) == n_before + len(EXPECTED[case.file])
    assert untranslated(at) == []


def _check_pages(at) -> None:
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert untranslated(at) == [], page
    at.switch_page("pages/load.py").run()


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_each_case_in_english(case, big_files):
    at = _started("en")
    _check_upload(at, case, "en", big_files)
    if not refused(case.file):  # a refused file changes nothing: the pages are as with the sample alone
        _check_pages(at)


SUBSET = ["empty.csv", "png_renamed.csv", "json_array.csv", "truncated.zip", "encrypted.zip", "zip_no_tables.zip",
          "xls_fake.xls", "bomb_ratio.zip", "wide_10000.csv", "line_5mb.csv", "hostile_names.csv",
          "hostile_filename_html.csv", "mixed_encodings.csv", "dates_1900_2100.csv", "overflow_numbers.csv",
          "ragged_and_unclosed_quote.csv", "xlsx_formulas_merged.xlsx", "cell_5mb.csv"]


@pytest.mark.parametrize("lang", ["ru", "zh"])
def test_a_subset_in_one_session(lang, big_files):
    """One Russian / Chinese session gets 18 cases (10 refused, 8 loaded) one after another, then
    visits every page with all of them loaded together."""
    at = _started(lang)
    cases = [c for c in ALL_CASES if c.file in SUBSET]
    for case in cases:
        _check_upload(at, case, lang, big_files)
    assert len(at.session_state["workspace"].datasets) == 1 + sum(len(EXPECTED[c.file]) for c in cases
                                                                  if not refused(c.file))
    _check_pages(at)
