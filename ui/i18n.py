"""Translation catalogs for English, Russian and Simplified Chinese. Pure: no streamlit."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGS: tuple[str, ...] = ("en", "ru", "zh")
LANG_NAMES = {"en": "English", "ru": "Русский", "zh": "简体中文"}
DEFAULT_LANG = "en"
LOCALES = Path(__file__).with_name("locales")


class CatalogError(ValueError):
    pass


@lru_cache(maxsize=1)
def catalogs() -> dict[str, dict[str, str]]:
    """All catalog files merged: {lang: {key: text}}. A key may live in one file only."""
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    owner: dict[str, str] = {}
    for path in sorted(LOCALES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for lang in LANGS:
            for key, text in data.get(lang, {}).items():
                if key in merged[lang] and owner.get(key) != path.name:
                    raise CatalogError(f"{key} defined in {owner[key]} and {path.name}")
                merged[lang][key] = text
                owner[key] = path.name
    return merged


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in catalogs().get(lang, {})


def tr(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """Translate ``key``; a missing key returns the key itself (tests catch that)."""
    cat = catalogs().get(lang) or catalogs()[DEFAULT_LANG]
    text = cat.get(key)
    if text is None:
        text = catalogs()[DEFAULT_LANG].get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def tr_issue(issue, lang: str = DEFAULT_LANG) -> str:
    """Translate a data.issues.Issue (code + params)."""
    params = dict(issue.params)
    if "role" in params and has(f"role.{params['role']}", lang):
        params["role"] = tr(f"role.{params['role']}", lang)
    return tr(f"issue.{issue.code}", lang, **params)
