import re
import string

import pytest

from ui.i18n import LANGS, catalogs, tr


def test_every_key_in_every_language():
    cats = catalogs()
    keys = set().union(*(set(c) for c in cats.values()))
    for lang in LANGS:
        missing = sorted(keys - set(cats[lang]))
        assert missing == [], f"{lang} lacks {missing[:10]}"


def test_translations_are_not_left_in_english():
    cats = catalogs()
    same = [k for k, v in cats["ru"].items() if v == cats["en"][k] and re.search(r"[a-z]{4,}", v)
            and k not in {"app.name"}]
    assert len(same) <= max(3, len(cats["ru"]) // 50), same


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_match_english(lang):
    fmt = string.Formatter()
    for key, en in catalogs()["en"].items():
        want = {f for _, f, _, _ in fmt.parse(en) if f}
        got = {f for _, f, _, _ in fmt.parse(catalogs()[lang][key]) if f}
        assert got == want, (lang, key)


def test_tr_formats_and_falls_back_to_key():
    assert tr("sidebar.rows", "ru", n="12") == "строк: 12"
    assert tr("no.such.key", "zh") == "no.such.key"
