"""Date and time formats decided per column from the values.

Numeric layouts (ISO, ``YYYY/MM/DD``, ``DD.MM.YYYY``, ``DD/MM/YYYY`` or ``MM/DD/YYYY``) become one
``try_strptime``/``TRY_CAST`` expression. Day-first or month-first is read from the values; when
no value tells, the file's context decides and the caller warns ``ambiguous_date_order``.
Dates written with month names (``August 9``, ``9 августа``, ``8月9日``, ``18 tháng Sáu``,
``Aug 9, 2024``) are parsed in Python once per distinct value and joined back; a missing year is
inferred so that the series runs on across December -> January and ends on or before the export
date. Numbers become dates when the header says time: Unix seconds or milliseconds, Excel serials
(in workbooks) and ``YYYYMMDD``.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from data.parse.values import is_missing, sql_str

# --- month names ------------------------------------------------------------------------------
_MONTHS_BY_LANG: dict[str, list[tuple[str, ...]]] = {
    "en": [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
           ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
           ("october", "oct"), ("november", "nov"), ("december", "dec")],
    "ru": [("январь", "января", "янв"), ("февраль", "февраля", "фев", "февр"), ("март", "марта", "мар"),
           ("апрель", "апреля", "апр"), ("май", "мая"), ("июнь", "июня", "июн"), ("июль", "июля", "июл"),
           ("август", "августа", "авг"), ("сентябрь", "сентября", "сен", "сент"),
           ("октябрь", "октября", "окт"), ("ноябрь", "ноября", "ноя", "нояб"),
           ("декабрь", "декабря", "дек")],
    "uk": [("січня", "січень"), ("лютого", "лютий"), ("березня", "березень"), ("квітня", "квітень"),
           ("травня", "травень"), ("червня", "червень"), ("липня", "липень"), ("серпня", "серпень"),
           ("вересня", "вересень"), ("жовтня", "жовтень"), ("листопада", "листопад"),
           ("грудня", "грудень")],
    "es": [("enero", "ene"), ("febrero",), ("marzo",), ("abril", "abr"), ("mayo",), ("junio",), ("julio",),
           ("agosto", "ago"), ("septiembre", "setiembre", "sept", "set"), ("octubre",), ("noviembre",),
           ("diciembre", "dic")],
    "pt": [("janeiro",), ("fevereiro", "fev"), ("março", "marco"), ("abril",), ("maio", "mai"), ("junho",),
           ("julho",), ("agosto",), ("setembro",), ("outubro", "out"), ("novembro",), ("dezembro", "dez")],
    "de": [("januar", "jänner", "jan"), ("februar",), ("märz", "mär", "mrz", "maerz"), ("april",), ("mai",),
           ("juni",), ("juli",), ("august",), ("september",), ("oktober", "okt"), ("november",),
           ("dezember", "dez")],
    "fr": [("janvier", "janv"), ("février", "fevrier", "févr", "fevr"), ("mars",), ("avril", "avr"), ("mai",),
           ("juin",), ("juillet", "juil"), ("août", "aout", "aoû"), ("septembre",), ("octobre",),
           ("novembre",), ("décembre", "decembre", "déc")],
    "it": [("gennaio", "gen"), ("febbraio",), ("marzo",), ("aprile",), ("maggio", "mag"), ("giugno", "giu"),
           ("luglio", "lug"), ("agosto",), ("settembre",), ("ottobre", "ott"), ("novembre",),
           ("dicembre",)],
    "id": [("januari",), ("februari", "pebruari"), ("maret",), ("april",), ("mei",), ("juni",), ("juli",),
           ("agustus", "agt", "ags", "agu"), ("september",), ("oktober",), ("november", "nop"),
           ("desember", "des")],
    "tr": [("ocak", "oca"), ("şubat", "şub"), ("mart",), ("nisan", "nis"), ("mayıs", "mayis"),
           ("haziran", "haz"), ("temmuz", "tem"), ("ağustos", "ağu"), ("eylül", "eyl"), ("ekim", "eki"),
           ("kasım", "kas"), ("aralık", "ara")],
    "nl": [("januari",), ("februari",), ("maart", "mrt"), ("april",), ("mei",), ("juni",), ("juli",),
           ("augustus",), ("september",), ("oktober",), ("november",), ("december",)],
    "pl": [("stycznia", "styczeń", "sty"), ("lutego", "luty", "lut"), ("marca", "marzec"),
           ("kwietnia", "kwiecień", "kwi"), ("maja", "maj"), ("czerwca", "czerwiec", "cze"),
           ("lipca", "lipiec", "lip"), ("sierpnia", "sierpień", "sie"), ("września", "wrzesień", "wrz"),
           ("października", "październik", "paź"), ("listopada", "listopad", "lis"),
           ("grudnia", "grudzień", "gru")],
}


def _month_table() -> dict[str, int]:
    out: dict[str, int] = {}
    for names in _MONTHS_BY_LANG.values():
        for i, forms in enumerate(names, start=1):
            for f in forms:
                key = unicodedata.normalize("NFC", f)
                if out.setdefault(key, i) != i:
                    raise ValueError(f"month name {f!r} means two months")
    return out


MONTHS = _month_table()

# Vietnamese writes "tháng" + a number word: 18 tháng Sáu, 1 tháng Mười Hai (or tháng 6).
_VI_NUMBERS = {"một": 1, "giêng": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7,
               "tám": 8, "chín": 9, "mười": 10, "mười một": 11, "mười hai": 12, "chạp": 12}

_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([ap]\.?\s?m\.?|午前|午後|上午|下午)?"
_TIME_TAIL = re.compile(r"^(.*?)(?:,|\s)\s*(?:at\s+|в\s+|à\s+|um\s+|às\s+|a las\s+|lúc\s+|pukul\s+)?" + _TIME + r"$")
_CJK = re.compile(r"^(?:(\d{4})\s*[年년]\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日号일]?$")
_VI = re.compile(r"^(?:ngày\s+)?(\d{1,2})\s+tháng\s+([^\d,]+?|\d{1,2})(?:\s*,\s*|\s+năm\s+|\s+)?(\d{4})?$")
_MD = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\.?(?:\s*,\s*|\s+)?(\d{4})?$")
_DM = re.compile(r"^(\d{1,2})(?:\.|er|º|°)?\s*(?:de\s+|of\s+)?([^\W\d_]+)\.?(?:\s+de|,)?(?:\s+(\d{4}))?"
                 r"(?:\s*(?:г\.?|года|р\.?))?$")
_WEEKDAY_PREFIX = re.compile(r"^[^\W\d_]{2,12}\.?,\s+")


@dataclass(frozen=True)
class TextDate:
    year: int | None
    month: int
    day: int
    clock: time | None = None


def _month(word: str) -> int | None:
    w = unicodedata.normalize("NFC", word.strip().strip(".").lower())
    return MONTHS.get(w)


def _clock(h: str, m: str, s: str | None, ampm: str | None) -> time | None:
    hh, mm, ss = int(h), int(m), int(s or 0)
    if ampm:
        a = ampm.replace(".", "").replace(" ", "").lower()
        if a in ("pm", "午後", "下午") and hh < 12:
            hh += 12
        elif a in ("am", "午前", "上午") and hh == 12:
            hh = 0
    if hh > 23 or mm > 59 or ss > 59:
        return None
    return time(hh, mm, ss)


def parse_text_date(value: str) -> TextDate | None:
    """A date written with a month name or CJK/Vietnamese markers, with or without year and time."""
    v = unicodedata.normalize("NFC", value).strip().lower().replace("\u00a0", " ")
    v = re.sub(r"\s+", " ", v)
    if not v or len(v) > 60:
        return None
    clock = None
    m = _TIME_TAIL.match(v)
    if m:
        clock = _clock(m.group(2), m.group(3), m.group(4), m.group(5))
        if clock is None:
            return None
        v = m.group(1).strip().rstrip(",").strip()
    else:
        m2 = re.match(r"^(.*?\S)\s*(?:日)?\s*" + _TIME + r"$", v)
        if m2 and ("月" in v or "월" in v):
            clock = _clock(m2.group(2), m2.group(3), m2.group(4), m2.group(5))
            if clock is None:
                return None
            v = m2.group(1).strip()
    v = _WEEKDAY_PREFIX.sub("", v)
    year = month = day = None
    if m := _CJK.match(v):
        year, month, day = (int(m.group(1)) if m.group(1) else None), int(m.group(2)), int(m.group(3))
    elif m := _VI.match(v):
        word = m.group(2).strip()
        month = int(word) if word.isdigit() else _VI_NUMBERS.get(word)
        day, year = int(m.group(1)), (int(m.group(3)) if m.group(3) else None)
    elif m := _MD.match(v):
        month, day, year = _month(m.group(1)), int(m.group(2)), (int(m.group(3)) if m.group(3) else None)
    elif m := _DM.match(v):
        day, month, year = int(m.group(1)), _month(m.group(2)), (int(m.group(3)) if m.group(3) else None)
    if not month or not day or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 29 February passes here
    except ValueError:
        return None
    return TextDate(year, month, day, clock)


def infer_years(days: set[tuple[int, int]], today: date) -> dict[tuple[int, int], int]:
    """Years for year-less (month, day) pairs: one consecutive run ending on or before ``today``.

    The run starts after the largest gap between the days of the year (circularly), so a series
    from November to February is read as November..December of one year and January..February of
    the next. Between equal gaps (a full year of days) the run that ends closest to ``today`` wins.
    """
    if not days:
        return {}
    leap = (2, 29) in days
    base = date(2000 if leap else 2001, 1, 1)
    size = 366 if leap else 365

    def doy(m: int, d: int) -> int:
        return (date(base.year, m, d) - base).days

    ordinal = sorted({doy(m, d) for m, d in days})
    today_doy = doy(today.month, min(today.day, 28) if (today.month, today.day) == (2, 29) and not leap
                    else today.day)

    def back_from_today(end: int) -> int:
        return (today_doy - end) % size

    if len(ordinal) == 1:
        start = 0
    else:
        gaps = [((ordinal[(i + 1) % len(ordinal)] - ordinal[i]) % size, i) for i in range(len(ordinal))]
        widest = max(g for g, _ in gaps)
        # the run after gap i ends at ordinal[i]
        start = min(((back_from_today(ordinal[i]), (i + 1) % len(ordinal)) for g, i in gaps if g == widest))[1]
    run = ordinal[start:] + ordinal[:start]
    wraps = sum(1 for a, b in zip(run, run[1:]) if b < a)
    last = base + timedelta(days=run[-1])
    end_year = today.year if (last.month, last.day) <= (today.month, today.day) else today.year - 1
    year = end_year - wraps
    years: dict[int, int] = {}
    prev = None
    for o in run:
        if prev is not None and o < prev:
            year += 1
        years[o] = year
        prev = o
    return {(m, d): years[doy(m, d)] for m, d in days}


# --- numeric layouts ---------------------------------------------------------------------------
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
                  r"(?:\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?))?$")
_ISO_TIME = re.compile(r"[T ]\d{1,2}:\d{2}")
_ISO_TZ = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$")
_TIME_SUFFIX = r"(?:(,?\s+)(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(\s*[AaPp][Mm])?)?"
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})" + _TIME_SUFFIX + "$")
_XYZ = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})" + _TIME_SUFFIX + "$")


@dataclass
class DatePlan:
    family: str                       # iso | ymd | dmy | mdy | text
    has_time: bool = False
    has_tz: bool = False
    sep: str = "-"
    year2: bool = False               # two-digit years
    seconds: bool = False
    fraction: bool = False
    ampm: bool = False
    ambiguous: bool = False           # day/month order decided by context, not by the values
    also_iso: bool = False            # some values are ISO (real dates in a workbook column)
    variants: list[str] = field(default_factory=list)   # time layouts seen ("" for none), most common first
    mapping: dict[str, date | datetime] = field(default_factory=dict)
    inferred: tuple[date, date] | None = None

    @property
    def sql_type(self) -> str:
        return "TIMESTAMP" if self.has_time else "DATE"

    def formats(self) -> list[str]:
        if self.family == "ymd":
            d = f"%Y{self.sep}%m{self.sep}%d"
        elif self.family == "dmy":
            d = f"%d{self.sep}%m{self.sep}{'%y' if self.year2 else '%Y'}"
        else:
            d = f"%m{self.sep}%d{self.sep}{'%y' if self.year2 else '%Y'}"
        every = [""] + [j + t for j in (" ", ", ") for t in ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f", "%I:%M %p",
                                                              "%I:%M:%S %p", "%I:%M%p")]
        # the layouts the sample showed first: try_strptime stops at the first that fits
        ordered = list(dict.fromkeys(self.variants + every))
        return [d + t for t in ordered]

    def sql(self, col: str) -> str:
        v = f"trim({col})"
        if self.family == "iso":
            if not self.has_time:
                return f"TRY_CAST({v} AS DATE)"
            if self.has_tz:
                tz = sql_str(_ISO_TZ.pattern)
                return (f"(CASE WHEN regexp_matches({v}, {tz}) THEN timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ)) "
                        f"ELSE TRY_CAST({v} AS TIMESTAMP) END)")
            return f"TRY_CAST({v} AS TIMESTAMP)"
        fmts = "[" + ", ".join(sql_str(f) for f in self.formats()) + "]"
        expr = f"try_strptime({'upper(' + v + ')' if self.ampm else v}, {fmts})"
        if self.also_iso:
            expr = f"coalesce({expr}, TRY_CAST({v} AS TIMESTAMP))"
        return f"CAST({expr} AS {self.sql_type})"


def _ratio_ok(ok: int, n: int, threshold: float) -> bool:
    return n > 0 and ok >= max(1, math.ceil(threshold * n))


def infer_numeric_layout(samples: list[str], threshold: float = 0.6) -> DatePlan | None:
    vals = [s.strip() for s in samples if not is_missing(s)]
    if not vals:
        return None
    iso = [v for v in vals if _ISO.match(v)]
    iso_time = any(_ISO_TIME.search(v) for v in iso)
    iso_tz = any(_ISO_TZ.search(v) for v in iso if _ISO_TIME.search(v))
    # a workbook column can mix real dates (written ISO here) with dates typed as text
    ymd = [m for v in vals if (m := _YMD.match(v)) and 1 <= int(m.group(3)) <= 12 and 1 <= int(m.group(4)) <= 31]
    xyz = [m for v in vals if (m := _XYZ.match(v))]
    if not ymd and not xyz and _ratio_ok(len(iso), len(vals), threshold):
        return DatePlan("iso", has_time=iso_time, has_tz=iso_tz)
    if ymd and len(ymd) >= len(xyz) and _ratio_ok(len(ymd) + len(iso), len(vals), threshold):
        seps = {m.group(2) for m in ymd}
        return DatePlan("ymd", has_time=any(m.group(6) for m in ymd) or iso_time,
                        sep=seps.pop() if len(seps) == 1 else "/", also_iso=bool(iso),
                        variants=_variants(ymd), ampm=any(m.group(10) for m in ymd))
    if xyz and _ratio_ok(len(xyz) + len(iso), len(vals), threshold):
        seps = {m.group(2) for m in xyz}
        sep = max(seps, key=lambda s: sum(1 for m in xyz if m.group(2) == s))
        return DatePlan("dmy", has_time=any(m.group(6) for m in xyz) or iso_time, sep=sep,
                        year2=all(len(m.group(4)) == 2 for m in xyz), also_iso=bool(iso),
                        variants=_variants(xyz), ampm=any(m.group(10) for m in xyz))
    if _ratio_ok(len(iso), len(vals), threshold):
        return DatePlan("iso", has_time=iso_time, has_tz=iso_tz)
    return None


def _variants(matches: list[re.Match]) -> list[str]:
    """strptime time layouts (with the joiner after the date) in the order of how often they occur."""
    seen: dict[str, int] = {}
    for m in matches:
        if not m.group(6):
            v = ""
        else:
            joiner = ", " if "," in m.group(5) else " "
            if m.group(10):
                v = joiner + "%I:%M" + (":%S" if m.group(8) else "") + (" %p" if m.group(10)[0].isspace() else "%p")
            else:
                v = joiner + "%H:%M" + (":%S" if m.group(8) else "") + (".%f" if m.group(9) else "")
        seen[v] = seen.get(v, 0) + 1
    return sorted(seen, key=lambda v: -seen[v])


def decide_order(plan: DatePlan, max_first: int | None, max_second: int | None, day_first_default: bool) -> None:
    """Day-first or month-first for DD?MM?YYYY layouts, from the largest first and second parts."""
    if plan.family not in ("dmy", "mdy"):
        return
    first_big = (max_first or 0) > 12
    second_big = (max_second or 0) > 12
    if first_big and not second_big:
        plan.family = "dmy"
    elif second_big and not first_big:
        plan.family = "mdy"
    elif plan.sep == ".":
        plan.family = "dmy"  # nobody writes MM.DD.YYYY
    else:
        plan.family = "dmy" if day_first_default else "mdy"
        plan.ambiguous = not (first_big and second_big)


def order_probe(values: list[str], sep: str) -> tuple[int | None, int | None]:
    """Python twin of :func:`order_probe_sql` over sample values."""
    best: list[int | None] = [None, None]
    for v in values:
        parts = v.strip().split(sep)
        for i in (0, 1):
            if len(parts) > i and len(parts[i]) <= 2 and parts[i].isdigit():
                best[i] = max(best[i] or 0, int(parts[i]))
    return best[0], best[1]


def order_probe_sql(col: str, sep: str) -> str:
    """Largest first and second numeric parts of DD?MM?YYYY values in a whole column (cheap: no regex)."""
    v = f"trim({col})"
    parts = []
    for i in (1, 2):
        part = f"split_part({v}, {sql_str(sep)}, {i})"
        parts.append(f"max(CASE WHEN length({part}) <= 2 THEN TRY_CAST({part} AS INTEGER) END)")
    return ", ".join(parts)


def infer_text_layout(samples: list[str], threshold: float = 0.6) -> bool:
    vals = [s for s in samples if not is_missing(s)]
    ok = sum(1 for v in vals if parse_text_date(v) is not None)
    return _ratio_ok(ok, len(vals), threshold)


def build_text_mapping(values: list[str], today: date) -> DatePlan:
    """Parse every distinct value; infer missing years; the plan's mapping is raw -> date/datetime."""
    parsed = {v: p for v in values if not is_missing(v) and (p := parse_text_date(v)) is not None}
    yearless = {(p.month, p.day) for p in parsed.values() if p.year is None}
    years = infer_years(yearless, today)
    has_time = any(p.clock is not None for p in parsed.values())
    plan = DatePlan("text", has_time=has_time)
    inferred: list[date] = []
    for raw, p in parsed.items():
        y = p.year if p.year is not None else years[(p.month, p.day)]
        try:
            d = date(y, p.month, p.day)
        except ValueError:
            continue  # 29 February in a year that has none
        if p.year is None:
            inferred.append(d)
        plan.mapping[raw] = datetime.combine(d, p.clock or time()) if has_time else d
    if inferred:
        plan.inferred = (min(inferred), max(inferred))
    return plan


# --- numbers that are times ----------------------------------------------------------------------
EPOCH_RANGES = (  # (unit, low, high): 2000-01-01 .. 2100-01-01
    ("s", 946_684_800, 4_102_444_800),
    ("ms", 946_684_800_000, 4_102_444_800_000),
    ("us", 946_684_800_000_000, 4_102_444_800_000_000),
)
EXCEL_RANGE = (25_569, 73_051)      # 1970-01-01 .. 2100-01-01 as Excel serial days


def infer_number_time(values: list[float], from_workbook: bool) -> tuple[str, bool] | None:
    """('s'|'ms'|'us'|'excel'|'yyyymmdd', integral) for numbers in a column whose header says time."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None
    integral = all(float(v).is_integer() for v in vals)
    if integral and all(19_000_101 <= v <= 21_001_231 for v in vals):
        try:
            for v in vals:
                i = int(v)
                date(i // 10000, i // 100 % 100, i % 100)
            return "yyyymmdd", True
        except ValueError:
            pass
    for unit, lo, hi in EPOCH_RANGES:
        if all(lo <= v < hi for v in vals):
            return unit, integral
    if from_workbook and all(EXCEL_RANGE[0] <= v < EXCEL_RANGE[1] for v in vals):
        return "excel", integral
    return None


def number_time_sql(expr: str, unit: str, integral: bool) -> tuple[str, str]:
    """(SQL, type) turning a numeric expression into a UTC-naive TIMESTAMP or a DATE."""
    x = f"CAST({expr} AS DOUBLE)"
    if unit == "yyyymmdd":
        return (f"CAST(try_strptime(CAST(CAST({x} AS BIGINT) AS VARCHAR), '%Y%m%d') AS DATE)", "DATE")
    if unit == "excel":
        lo, hi = EXCEL_RANGE
        if integral:
            return (f"(CASE WHEN {x} >= {lo} AND {x} < {hi} THEN DATE '1899-12-30' + CAST({x} AS INTEGER) END)",
                    "DATE")
        return (f"(CASE WHEN {x} >= {lo} AND {x} < {hi} THEN make_timestamp(CAST(round(({x} - {lo}) * 86400000000) "
                f"AS BIGINT)) END)", "TIMESTAMP")
    scale = {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]
    lo, hi = next((lo, hi) for u, lo, hi in EPOCH_RANGES if u == unit)
    return (f"(CASE WHEN {x} >= {lo} AND {x} < {hi} THEN make_timestamp(CAST(round({x} * {scale}) AS BIGINT)) END)",
            "TIMESTAMP")


_TIME_WORDS = ("date", "time", "timestamp", "datetime", "day", "ts", "epoch", "created", "updated", "published",
               "posted", "дата", "время", "день", "日期", "时间", "日", "时刻", "datum", "fecha", "data", "ngày",
               "tanggal", "zeit", "heure")


def header_says_time(name: str, synonyms: set[str]) -> bool:
    """The header names a point in time: "date", "created_at", "sent_at_ms", "时间", "Дата заказа", ..."""
    n = re.sub(r"[_\-.]+", " ", name.replace("\ufeff", "").strip().lower())
    n = re.sub(r"\s+", " ", n)
    if n in synonyms:
        return True
    words = n.split()
    if set(words) & set(_TIME_WORDS) or "at" in words[1:]:
        return True
    return any(w in n for w in ("日期", "时间", "дата", "время"))
