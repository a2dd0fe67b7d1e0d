"""The shape of a delimited text file: separator, header row, lines above it (``sep=,``, a title).

Sniffed in Python from the decoded first bytes with the csv module, so that a ``;`` file with decimal
commas, a title line above the header (Instagram) or ragged rows do not fool DuckDB's own sniffer.
The result is handed to DuckDB's ``read_csv`` as explicit options.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

DELIMITERS = (",", ";", "\t", "|")
MAX_RECORDS = 2000
_SEP_LINE = re.compile(r"^\ufeff?\s*\"?sep=(.)\"?\s*$", re.IGNORECASE)
_DATAISH = re.compile(r"^[\s\d.,:;/'+\-−%()$€£¥₽]*$")


@dataclass
class Dialect:
    delimiter: str
    header_index: int             # index of the header record among the sniffed records
    skip_lines: int               # physical lines before the header (for read_csv's ``skip``)
    names: list[str]              # header fields as written (or column1.. when there is none)
    has_header: bool
    first_data_line: int          # 1-based line number of the first data record
    title: str | None = None      # a one-cell line above the header, e.g. Instagram's metric name
    sep_line: bool = False        # the file starts with Excel's ``sep=`` hint
    rows: list[list[str]] = field(default_factory=list)   # data records from the sniffed text
    quoted_newlines: bool = False


def split_records(text: str, delimiter: str, limit: int = MAX_RECORDS) -> list[tuple[int, list[str]]]:
    """(1-based start line, fields) for each record; blank lines are dropped."""
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    line = 0
    try:
        for rec in reader:
            start = line + 1
            line = reader.line_num
            if rec and any(f.strip() for f in rec):
                out.append((start, rec))
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _trim(rec: list[str]) -> list[str]:
    end = len(rec)
    while end > 0 and not rec[end - 1].strip():
        end -= 1
    return rec[:end]


def header_position(records: list[list[str]]) -> tuple[int, int]:
    """(index of the header record, number of columns), skipping title lines above the header.

    The column count is the most common count of non-empty leading fields; the header is the first
    record that reaches it, unless that record holds a single cell and the next one is a full row.
    """
    if not records:
        return 0, 0
    widths = [len(_trim(r)) for r in records]
    body = widths[1:] if len(widths) > 1 else widths
    k = Counter(w for w in body if w > 0).most_common(1)[0][0] if any(body) else max(widths)
    for i, w in enumerate(widths):
        if w >= k:
            nonempty = sum(1 for f in records[i] if f.strip())
            if nonempty == 1 and k >= 2 and i + 1 < len(records) and widths[i + 1] >= k:
                continue
            return i, max(k, len(records[i]))
    return 0, max(widths)


def _consistency(counts: list[int], k: int) -> float:
    if not counts:
        return 0.0
    return sum(1 for c in counts if c == k) / len(counts)


def looks_like_data(fields: list[str]) -> bool:
    """A first record of numbers and dates only is data, not a header."""
    filled = [f for f in fields if f.strip()]
    return bool(filled) and all(_DATAISH.match(f) for f in filled) and any(ch.isdigit() for f in filled for ch in f)


def sniff(text: str, whole: bool) -> Dialect:
    """Decide the separator and the header row from the decoded start of a file."""
    if not whole:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut > 0 else text
    sep_hint = None
    offset_lines = 0
    first_nl = text.find("\n")
    first_line = text[: first_nl if first_nl >= 0 else len(text)].rstrip("\r")
    m = _SEP_LINE.match(first_line)
    if m:
        sep_hint = m.group(1)
        text = text[first_nl + 1:] if first_nl >= 0 else ""
        offset_lines = 1

    best: tuple[tuple, str, list[tuple[int, list[str]]]] | None = None
    for d in ([sep_hint] if sep_hint else DELIMITERS):
        recs = split_records(text, d)
        if not recs:
            continue
        h, k = header_position([r for _, r in recs])
        counts = [len(r) for _, r in recs[h + 1:]] or [len(recs[h][1])]
        trimmed = [len(_trim(r)) for _, r in recs[h + 1:]] or [k]
        cons = max(_consistency(counts, k), _consistency(trimmed, len(_trim(recs[h][1]))))
        score = (k > 1, round(cons, 2), -h, k)  # a separator that needs no lines skipped wins a tie
        if best is None or score > best[0]:
            best = (score, d, recs)
    if best is None:
        return Dialect(sep_hint or ",", 0, offset_lines, [], True, offset_lines + 1, sep_line=bool(m))
    _, d, recs = best
    h, k = header_position([r for _, r in recs])
    head_line, header = recs[h]
    header = header + [""] * (k - len(header))
    title = None
    if h > 0:
        cells = [f.strip() for f in recs[h - 1][1] if f.strip()]
        if len(cells) == 1:
            title = cells[0]
    rows = [r for _, r in recs[h + 1:]]
    has_header = not looks_like_data(header)
    if not has_header:
        names = [f"column{i + 1}" for i in range(len(header))]
        rows = [header] + rows
        first_data = head_line
    else:
        names = header
        first_data = recs[h + 1][0] if h + 1 < len(recs) else head_line + 1
    multi = any(a2 - a1 > 1 for (a1, _), (a2, _) in zip(recs[h:], recs[h + 1:]))
    return Dialect(delimiter=d, header_index=h, skip_lines=offset_lines + head_line - 1, names=names,
                   has_header=has_header, first_data_line=offset_lines + first_data, title=title,
                   sep_line=bool(m), rows=rows, quoted_newlines=multi)
