"""The audit report's files (ui/report_render.py): self-contained HTML in every language, Markdown + PNG
ZIP, CSV; escaping of user text, number formats."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from html.parser import HTMLParser

import pytest

from data.report import ReportOptions, build_report
from data.store import GoalStore
from kpi import goals as G
from kpi.registry import METRICS, Band
from tests.helpers import csv_bytes, workspace_with
from ui import report_render as rr
from ui.i18n import LANGS, tr

TODAY = date(2026, 3, 6)
EVIL = '<script>alert("x")</script>'
SECTIONS = ("summary", "kpis", "funnel", "retention", "content", "goals", "data")
KEY_LIKE = re.compile(r"\b(?:report|kpi|goals|funnel|retention|content|role|kind|issue)\.[a-z_0-9]+(?:\.[a-z_0-9]+)*\b")

EVENTS = csv_bytes(["user_id", "event", "timestamp", "channel"], [
    ["u1", "sign_up", "2026-03-02 09:00:00", "organic"], ["u1", "<b>view</b>", "2026-03-02 09:05:00", "organic"],
    ["u1", "purchase", "2026-03-03 10:00:00", "organic"],
    ["u2", "sign_up", "2026-03-02 10:00:00", "paid"], ["u2", "<b>view</b>", "2026-03-03 10:00:00", "paid"],
    ["u3", "sign_up", "2026-03-03 11:00:00", "paid"], ["u3", "app_open", "2026-03-04 11:00:00", "paid"],
    ["u4", "sign_up", "2026-03-04 12:00:00", "organic"], ["u4", "app_open", "2026-03-05 12:00:00", "organic"],
])
DAILY = csv_bytes(["Date", "Video Views", "Likes", "Comments", "Shares"], [
    ["2026-03-02", 1000, 10, 5, 5], ["2026-03-03", 1000, 10, 5, 5], ["2026-03-04", 1000, 10, 5, 5],
    ["2026-03-05", 1000, 10, 5, 5],
])
POSTS = csv_bytes(["Video title", "Video link", "Post time", "Total views", "Total likes", "Total comments",
                   "Total shares"], [
    [f"{EVIL} #unboxing {i}", f"https://www.tiktok.com/@shop/video/{i}", f"2026-03-0{2 + i % 4} 1{i % 10}:00:00",
     1000 * (i + 1), 50, 5, 5] for i in range(8)
])


def workspace():
    files = {"events__csv": EVENTS, "overview__csv": DAILY, "posts__csv": POSTS}
    ws = workspace_with(**files)
    res = ws.add_file(f'{EVIL}&"q".csv', DAILY)     # a file name is user text too
    assert not res.issues
    return ws


def goal_store() -> GoalStore:
    store = GoalStore(None)
    store.save_goal(G.Goal("engagement_rate", 0.02, 0.04, date(2026, 5, 1), date(2026, 3, 2), scope=EVIL,
                           owner=EVIL, notes=EVIL, business_goal=G.BusinessGoal.BRAND_AWARENESS,
                           tasks=(G.Task(title=EVIL, owner="Ann", due=date(2026, 3, 20)),
                                  G.Task(code="content_plan", owner="Ann", due=date(2026, 4, 1)))))
    return store


@pytest.fixture(scope="module")
def report():
    options = ReportOptions(today=TODAY, funnel_steps=("sign_up", "<b>view</b>", "purchase"))
    return build_report(workspace(), options, store=goal_store())


@pytest.fixture(scope="module")
def charts(report):
    return {lang: rr.render_charts(report, lang) for lang in LANGS}


@pytest.fixture(scope="module")
def documents(report, charts):
    return {lang: rr.to_html(report, lang, charts[lang]).encode("utf-8") for lang in LANGS}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids += [v for k, v in attrs if k == "id"]
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        if not self.in_style:
            self.text.append(data)


def parse(doc: bytes) -> _Collect:
    p = _Collect()
    p.feed(doc.decode("utf-8"))
    return p


# ---- the HTML file ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_html_has_no_web_reference(documents, lang):
    doc = documents[lang]
    assert not re.search(rb"https?://", doc, re.IGNORECASE)
    assert not re.search(rb"<(script|link|img|iframe|object|embed)\b", doc, re.IGNORECASE)
    assert b"@import" not in doc and b"url(" not in doc.replace(b"url(#c-", b"")


@pytest.mark.parametrize("lang", LANGS)
def test_html_is_utf8_and_declares_it(documents, lang):
    text = documents[lang].decode("utf-8", errors="strict")
    assert text.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in text
    assert f'<html lang="{rr.HTML_LANG[lang]}">' in text


@pytest.mark.parametrize("lang", LANGS)
def test_html_holds_every_section_in_its_language(documents, lang):
    p = parse(documents[lang])
    for anchor in SECTIONS:
        assert anchor in p.ids
        assert tr(f"report.section.{anchor}", lang) in p.text
    text = " ".join(p.text)
    for key in ("report.summary.findings", "report.toc", "report.title", "report.data.definitions"):
        assert tr(key, lang) in text
    assert KEY_LIKE.findall(text) == []          # no catalog key left untranslated


@pytest.mark.parametrize("lang", LANGS)
def test_html_escapes_user_text(documents, lang):
    text = documents[lang].decode("utf-8")
    assert "<script" not in text and "<b>view" not in text
    assert "&lt;script&gt;" in text                               # file name, goal, post titles
    assert "&lt;b&gt;view&lt;/b&gt;" in text                      # event name in tables and in the SVG


@pytest.mark.parametrize("lang", LANGS)
def test_html_embeds_the_charts_as_svg(documents, charts, lang):
    assert [k for k, v in charts[lang].items() if v is not None] == [
        "gauge_engagement_rate", "gauge_views_per_video", "gauge_retention_d1", "gauge_stickiness",
        "funnel", "retention_curve", "retention_heatmap", "content_topics", "content_heatmap"]
    p = parse(documents[lang])
    assert p.tags.count("svg") == 9
    ids = [i for i in p.ids if i.startswith("c-")]
    assert len(ids) == len(set(ids))                               # no clash between two charts


def test_print_css():
    assert "@media print" in rr.CSS and "break-before:page" in rr.CSS and "@page" in rr.CSS
    assert "'Noto Sans CJK SC'" in rr.CSS and "'Microsoft YaHei'" in rr.CSS and "@font-face" not in rr.CSS


def test_html_goal_section(documents):
    text = " ".join(parse(documents["en"]).text)
    assert "Increase engagement rate (ER) from 2.00% to 4.00% by 1 May 2026 (" + EVIL + ")" in text
    assert "Draw up a content plan for the next four weeks" in text
    for check in ("Specific", "Measurable", "Achievable", "Relevant", "Time-bound"):
        assert check in text


def test_html_summary_in_russian(documents):
    text = " ".join(parse(documents["ru"]).text)
    assert "Вовлечённость" in text or "ER" in text
    assert "2,00\u202f%" in text                                  # Russian number format


# ---- Markdown + PNG ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_zip_holds_markdown_png_and_csv(report, charts, lang):
    data = rr.to_zip(report, lang, charts[lang])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = sorted(z.namelist())
        assert names == ["charts/content_heatmap.png", "charts/content_topics.png", "charts/funnel.png",
                         "charts/gauge_engagement_rate.png", "charts/gauge_retention_d1.png",
                         "charts/gauge_stickiness.png", "charts/gauge_views_per_video.png",
                         "charts/retention_curve.png", "charts/retention_heatmap.png", "kpis.csv", "report.md"]
        md = z.read("report.md").decode("utf-8")
        for name in names:
            if name.endswith(".png"):
                assert z.read(name)[:8] == b"\x89PNG\r\n\x1a\n"
                assert f"]({name})" in md
    assert "<script>" not in md and "\\<script\\>" in md
    for anchor in SECTIONS:
        assert f"## {tr(f'report.section.{anchor}', lang)}" in md
    assert not re.search(r"https?://", md)


# ---- CSV -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (None, ""), ("plain", "plain"), ("=SUM(A1:A2)", "'=SUM(A1:A2)"), ("+cmd", "'+cmd"), ("-x", "'-x"),
    ("@import", "'@import"), ("\tx", "'\tx"), ("-0.05", "-0.05"), ("-12", "-12"), ("1e-05", "1e-05"),
    (0.123456789, "0.123457"), (-0.5, "-0.5"), (3, "3"), (float("nan"), ""),
])
def test_csv_cell(value, expected):
    assert rr.csv_cell(value) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_csv_of_all_kpis(report, lang):
    data = rr.to_csv(report, lang)
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [tr(f"report.csv.{c}", lang) for c in rr.CSV_COLUMNS]
    assert [r[0] for r in rows[1:]] == [k.id for k in report.kpis]
    er = next(r for r in rows if r[0] == "engagement_rate")
    assert (er[3], er[6], er[12], er[13]) == ("0.02", tr("kpi.status.below_market", lang), "2026-03-02",
                                              "2026-03-05")


# ---- numbers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kpi_id, value, lang, expected", [
    ("engagement_rate", 0.0499, "en", "4.99%"),
    ("engagement_rate", 0.0499, "ru", "4,99\u202f%"),
    ("engagement_rate", 0.0499, "zh", "4.99%"),
    ("retention_d1", 0.42, "en", "42.0%"),
    ("views_per_video", 19293.2, "en", "19,293"),
    ("views_per_video", 19293.2, "ru", "19\u202f293"),
    ("aov", 60.2297, "ru", "60,23"),
    ("first_response_time", 9253, "en", "2.6 h"),
    ("first_response_time", 45, "ru", "45 с"),
    ("gmv", None, "en", "—"),
])
def test_fmt_kpi(kpi_id, value, lang, expected):
    assert rr.fmt_kpi(METRICS[kpi_id], value, lang) == expected


@pytest.mark.parametrize("kpi_id, band, lang, expected", [
    ("engagement_rate", Band(0.04, 0.06), "en", "4–6%"),
    ("engagement_rate", Band(0.04, 0.06), "ru", "4–6\u202f%"),
    ("retention_d1", Band(0.5, 1.0), "en", "≥\u202f50%"),
    ("views_per_video", Band(15_000, None), "en", "≥\u202f15,000"),
    ("first_response_time", Band(0, 60), "en", "≤\u202f1 min"),
    ("resolution_time", Band(0, 86_400), "zh", "≤\u202f1天"),
    ("stickiness", Band(0.1, 0.3), "zh", "10–30%"),
])
def test_fmt_band(kpi_id, band, lang, expected):
    assert rr.fmt_band(band, METRICS[kpi_id], lang) == expected


# ---- pieces ------------------------------------------------------------------------------------------

def test_inline_svg_drops_namespaces_and_prefixes_ids():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10">'
           '<defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)" '
           'font-family="sans-serif"><use href="#clip1"/></g></svg>')
    out = rr.inline_svg(svg, "c-x")
    assert "http" not in out
    assert 'id="c-x-clip1"' in out and "url(#c-x-clip1)" in out and 'href="#c-x-clip1"' in out
    assert "font-family=\"-apple-system" in out


@pytest.mark.parametrize("rich, expected", [
    (rr.Rich("Lost between **{a}** and **{b}**", {"a": "<x>", "b": "a&b"}),
     "Lost between <strong>&lt;x&gt;</strong> and <strong>a&amp;b</strong>"),
    (rr.lit("{not a template} <i>"), "{not a template} &lt;i&gt;"),
    (rr.Rich("{missing}", {}), "{missing}"),
])
def test_rich_html(rich, expected):
    assert rr.rich_html(rich) == expected


@pytest.mark.parametrize("text, expected", [
    ("add_to_cart", "add\\_to\\_cart"), ("#tag *x* [y](z)", "\\#tag \\*x\\* \\[y\\](z)"), ("a|b", "a\\|b"),
    ("two\nlines", "two lines"),
])
def test_md_escape(text, expected):
    assert rr.md_escape(text) == expected


def test_write_report_by_extension(tmp_path):
    ws = workspace_with(overview__csv=DAILY)
    for name, head in (("r.html", b"<!DOCTYPE html>"), ("r.zip", b"PK"), ("r.csv", "\ufeff".encode())):
        path = rr.write_report(ws, tmp_path / name, "ru", ReportOptions(today=TODAY), store=GoalStore(None))
        assert path.read_bytes().startswith(head)


def test_report_without_data_still_renders():
    r = build_report(workspace_with(), ReportOptions(today=TODAY), store=GoalStore(None))
    doc = rr.to_html(r, "zh", {})
    assert tr("report.kpis.none", "zh") in doc and tr("report.funnel.none", "zh") in doc
    assert tr("report.retention.none", "zh") in doc and 'id="content"' not in doc
