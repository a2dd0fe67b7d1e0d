"""Number formats decided per column from sample values, and the SQL that converts them.

A column's sample of distinct strings tells the decimal mark and the thousands separator (space,
no-break space, apostrophe, dot or comma), whether values carry a percent sign (``5,2 %`` -> 0.052),
a currency symbol, a sign or accounting parentheses (``(12)`` -> -12). The decision becomes one SQL
expression built only from the fixed fragments below, so DuckDB converts the whole column at once.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

# Written as missing values by exporters; matched exactly by read_csv's nullstr, and trimmed and
# case-insensitively in converted columns.
MISSING_TOKENS: tuple[str, ...] = (
    "", "undefined", "Undefined", "UNDEFINED", "-", "--", "—", "–", "N/A", "n/a", "#N/A", "null", "NULL",
    "Null", "None", "none", "nan", "NaN", "NAN", "#VALUE!", "#DIV/0!", "#REF!", "#NUM!",
)
MISSING_LOWER = frozenset(t.lower() for t in MISSING_TOKENS)
# The ones read_csv turns into NULL while reading (each extra token costs parsing time on big files);
# converted columns recognise all of MISSING_TOKENS.
READ_NULLS: tuple[str, ...] = ("", "undefined", "-", "—", "–", "N/A", "n/a", "#N/A", "null", "NULL")

SPACES = "\u00a0\u202f\u2009\u2007"
_CUR = (r"(?:[$€£¥₽₴₸₹₩₺₫¢]|(?i:руб\.?|р\.|грн\.?|rub|usd|eur|gbp|cny|rmb|jpy|us\$|r\$|chf|uah|kzt)|元|円)")
_SIGN = "[+\\-−]"
_ANY_CORE = r"(\d[\d ,.']*(?:[eE][+\-]?\d+)?|[.,]\d+)"
_ANY = re.compile(rf"^({_SIGN})?\s*(?:{_CUR}\s*)?({_SIGN})?\s*{_ANY_CORE}\s*(?:{_CUR}\s*)?(%)?$")
_PAREN = re.compile(r"^\((.*)\)$")
_LEADING_ZERO = re.compile(r"^0\d")


def is_missing(value: str | None) -> bool:
    return value is None or value.strip().lower() in MISSING_LOWER


def clean(value: str) -> str:
    """The prepass every converted value gets in SQL too: odd spaces to spaces, ’ to ', trimmed."""
    for ch in SPACES:
        value = value.replace(ch, " ")
    return value.replace("\u2019", "'").strip()


@dataclass(frozen=True)
class NumberFormat:
    thousands: str = ""      # "", " ", "'", ".", ","
    decimal: str = "."       # "." or ","
    integer: bool = False    # no decimals, percent or separators seen: BIGINT
    ambiguous: bool = False  # "1,234" only: decided from the file's context
    decorated: bool = True   # currency, percent, parentheses, "+"/"−" or odd spaces seen: the full expression

    def core_pattern(self) -> str:
        d = re.escape(self.decimal)
        if not self.thousands:
            exp = r"(?:[eE][+\-]?\d+)?" if self.decimal == "." else ""
            return rf"\d+(?:{d}\d+)?{exp}|{d}\d+"
        t = re.escape(self.thousands) if self.thousands != " " else " "
        return rf"(?:\d{{1,3}}(?:{t}\d{{3}})+|\d+)(?:{d}\d+)?|{d}\d+"

    def body_pattern(self) -> str:
        return rf"^({_SIGN})?\s*(?:{_CUR}\s*)?({_SIGN})?\s*({self.core_pattern()})\s*(?:{_CUR}\s*)?(%)?$"

    def parse(self, value: str) -> float | None:
        """Python twin of :meth:`sql` (used on samples and in tests)."""
        v = clean(value)
        neg = False
        m = _PAREN.match(v)
        if m:
            v, neg = m.group(1).strip(), True
        m = re.match(self.body_pattern(), v)
        if not m:
            return None
        core = m.group(3)
        if self.thousands:
            core = core.replace(self.thousands, "")
        core = core.replace(self.decimal, ".")
        try:
            x = float(Decimal(core) / 100) if m.group(4) else float(core)
        except (ValueError, ArithmeticError):
            return None
        if (m.group(1) or "") + (m.group(2) or "") in ("-", "−"):
            neg = not neg
        return -x if neg else x

    def sql(self, col: str) -> str:
        """An expression turning VARCHAR ``col`` (already quoted) into DOUBLE/BIGINT, NULL if unparsable."""
        if not self.decorated:
            return self._plain_sql(col)
        v = prepass_sql(col)
        b = f"(CASE WHEN regexp_full_match({v}, '^\\(.*\\)$') THEN trim(substr({v}, 2, length({v}) - 2)) ELSE {v} END)"
        pat = sql_str(self.body_pattern())
        core = f"regexp_extract({b}, {pat}, 3)"
        if self.thousands:
            core = f"replace({core}, {sql_str(self.thousands)}, '')"
        if self.decimal != ".":
            core = f"replace({core}, {sql_str(self.decimal)}, '.')"
        target = "BIGINT" if self.integer else "DOUBLE"
        sign = (f"(CASE WHEN (regexp_extract({b}, {pat}, 1) || regexp_extract({b}, {pat}, 2) IN ('-', '−')) "
                f"<> regexp_full_match({v}, '^\\(.*\\)$') THEN -1 ELSE 1 END)")
        value = f"TRY_CAST({core} AS {target})"
        if not self.integer:
            percent = f"CAST(TRY_CAST({core} AS DECIMAL(36, 10)) * CAST(0.01 AS DECIMAL(2, 2)) AS DOUBLE)"
            value = f"(CASE WHEN regexp_extract({b}, {pat}, 4) = '%' THEN {percent} ELSE {value} END)"
        return f"(CASE WHEN regexp_full_match({b}, {pat}) THEN {sign} * {value} END)"


    def _plain_sql(self, col: str) -> str:
        """Digits and separators only (the usual case): a few replaces and one simple check, fast on big files."""
        v = f"trim({col})"
        if self.thousands == " ":
            v = f"regexp_replace({v}, '[ {SPACES}]', '', 'g')"
        elif self.thousands:
            v = f"replace({v}, {sql_str(self.thousands)}, '')"
        if self.decimal != ".":
            v = f"replace({v}, {sql_str(self.decimal)}, '.')"
        if self.integer:
            return f"(CASE WHEN regexp_full_match({v}, '-?\\d{{1,18}}') THEN CAST({v} AS BIGINT) END)"
        return (f"(CASE WHEN regexp_full_match({v}, '-?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?') "
                f"THEN TRY_CAST({v} AS DOUBLE) END)")


def sql_str(text: str) -> str:
    """A SQL string literal for text this module built from its own fixed fragments."""
    return "'" + text.replace("'", "''") + "'"


def prepass_sql(col: str) -> str:
    return f"trim(replace(regexp_replace({col}, '[{SPACES}]', ' ', 'g'), '\u2019', ''''))"


def missing_sql(col: str) -> str:
    """TRUE where a VARCHAR value is one of the missing-value tokens (or blank)."""
    tokens = ", ".join(sql_str(t) for t in sorted(MISSING_LOWER))
    return f"(lower(trim({col})) IN ({tokens}))"


def _evidence(core: str) -> tuple[str | None, str | None, str | None]:
    """(decimal mark, thousands separator, ambiguous separator) that one number shows."""
    if " " in core.strip():
        t = " "
        rest = core.replace(" ", "")
        d = "," if "," in rest else ("." if "." in rest else None)
        return d, t, None
    if "'" in core:
        return ("." if "." in core else ("," if "," in core else None)), "'", None
    has_dot, has_comma = "." in core, "," in core
    if has_dot and has_comma:
        d = "." if core.rfind(".") > core.rfind(",") else ","
        return d, ("," if d == "." else "."), None
    for sep in (",", "."):
        if sep in core:
            other = "." if sep == "," else ","
            if core.count(sep) > 1:
                return other, sep, None
            head, tail = core.split(sep)
            if len(tail) != 3 or len(head) > 3 or head in ("", "0") or head.startswith("0"):
                return sep, None, None
            return None, None, sep
    return None, None, None


def infer_number(samples: list[str], decimal_comma_context: bool, threshold: float = 0.8) -> NumberFormat | None:
    """The number format that fits at least ``threshold`` of the distinct sample values, or None."""
    vals = [clean(s) for s in samples if not is_missing(s)]
    if not vals:
        return None
    cores: list[str] = []
    percent = False
    odd_spaces = any(ch in s for s in samples for ch in SPACES + "\u2019")
    decorated = False
    for v in vals:
        m = _PAREN.match(v)
        if m:
            v = m.group(1).strip()
            decorated = True
        m = _ANY.match(v)
        if not m:
            continue
        core = m.group(3).strip()
        if _LEADING_ZERO.match(core) and not re.match(r"^0[.,]", core):
            return None  # zero-padded codes (ids, postcodes) stay text
        cores.append(core)
        percent = percent or bool(m.group(4))
        decorated = decorated or v not in (core, "-" + core)
    if len(cores) < max(1, math.ceil(threshold * len(vals))):
        return None
    dec_votes = {".": 0, ",": 0}
    thou_votes: dict[str, int] = {}
    ambiguous: set[str] = set()
    for core in cores:
        d, t, amb = _evidence(core)
        if d:
            dec_votes[d] += 1
        if t:
            thou_votes[t] = thou_votes.get(t, 0) + 1
        if amb:
            ambiguous.add(amb)
    for t in list(thou_votes):
        if t in dec_votes:
            dec_votes["," if t == "." else "."] += thou_votes[t]
    is_ambiguous = False
    if dec_votes["."] or dec_votes[","]:
        decimal = "," if dec_votes[","] > dec_votes["."] else "."
    elif "," in ambiguous:
        decimal = "," if decimal_comma_context else "."
        is_ambiguous = True
    else:
        decimal = "."
        is_ambiguous = "." in ambiguous and decimal_comma_context
    thousands = ""
    candidates = {t: n for t, n in thou_votes.items() if t != decimal}
    if candidates:
        thousands = max(candidates, key=lambda t: candidates[t])
    elif ambiguous - {decimal}:
        thousands = next(iter(ambiguous - {decimal}))
    integer = (not percent and not thousands and all(re.fullmatch(r"\d+", c) for c in cores))
    if (odd_spaces or any(" " in c for c in cores)) and thousands != " ":
        decorated = True
    if any("\u2019" in s for s in samples):
        decorated = True
    fmt = NumberFormat(thousands, decimal, integer, is_ambiguous, decorated)
    ok = sum(1 for s in vals if fmt.parse(s) is not None)
    if ok < max(1, math.ceil(threshold * len(vals))):
        return None
    return fmt


_DURATION = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?$")


def parse_duration(value: str) -> float | None:
    m = _DURATION.match(value.strip())
    if not m:
        return None
    a, b, c = m.groups()
    return int(a) * 3600 + int(b) * 60 + float(c) if c is not None else int(a) * 60 + int(b)


def infer_duration(samples: list[str], threshold: float = 0.8) -> bool:
    vals = [s for s in samples if not is_missing(s)]
    ok = sum(1 for s in vals if parse_duration(s) is not None)
    return bool(vals) and ok >= max(1, math.ceil(threshold * len(vals)))


def duration_sql(col: str) -> str:
    v = f"trim({col})"
    p = "split_part({v}, ':', {i})"
    hms = ("TRY_CAST(" + p.format(v=v, i=1) + " AS DOUBLE) * 3600 + TRY_CAST(" + p.format(v=v, i=2) +
           " AS DOUBLE) * 60 + TRY_CAST(" + p.format(v=v, i=3) + " AS DOUBLE)")
    ms = "TRY_CAST(" + p.format(v=v, i=1) + " AS DOUBLE) * 60 + TRY_CAST(" + p.format(v=v, i=2) + " AS DOUBLE)"
    return (f"(CASE WHEN regexp_full_match({v}, '^\\d+:[0-5]\\d:[0-5]\\d(\\.\\d+)?$') THEN {hms} "
            f"WHEN regexp_full_match({v}, '^\\d+:[0-5]\\d$') THEN {ms} END)")


_BOOL = {"true": True, "false": False}


def infer_bool(samples: list[str]) -> bool:
    vals = {s.strip().lower() for s in samples if not is_missing(s)}
    return bool(vals) and vals <= set(_BOOL)


def bool_sql(col: str) -> str:
    return f"TRY_CAST(trim({col}) AS BOOLEAN)"
