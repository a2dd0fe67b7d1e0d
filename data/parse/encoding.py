"""Which text encoding a file uses, and re-encoding it to UTF-8 in a stream.

Supported: UTF-8 (with or without BOM), UTF-16 LE/BE (BOM, or plain ASCII-heavy text without one),
Windows-1251 (Russian Excel), GB18030/GBK (Chinese Excel) and Windows-1252 (Western European
Excel). A guess is ``confident`` unless the bytes could honestly be read more than one way; the
caller then warns ``encoding_guessed`` so the user can check the preview.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

UTF8 = "utf-8"
LEGACY = ("cp1251", "gb18030", "cp1252")
CHUNK = 1 << 20

_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_CYR_WORD = re.compile(r"[А-Яа-яЁё]+")
_BAD_CASE = re.compile(r"[а-яё][А-ЯЁ]")


@dataclass(frozen=True)
class Guess:
    encoding: str        # a Python codec name
    bom: int = 0         # bytes to skip at the start
    confident: bool = True
    mixed: str | None = None  # UTF-8 lines mixed with lines in this legacy encoding (read line by line)

    @property
    def is_utf8(self) -> bool:
        return self.encoding == UTF8 and self.mixed is None


def _utf16_without_bom(head: bytes) -> str | None:
    n = len(head) // 2
    if n < 8:
        return None
    even_zero = head[0:2 * n:2].count(0)
    odd_zero = head[1:2 * n:2].count(0)
    if odd_zero > 0.4 * n and even_zero < 0.05 * n:
        return "utf-16-le"
    if even_zero > 0.4 * n and odd_zero < 0.05 * n:
        return "utf-16-be"
    return None


def valid_utf8(data: bytes, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(UTF8)().decode(data, final=final)
        return True
    except UnicodeDecodeError:
        return False


def _gb_stats(data: bytes) -> tuple[bool, float]:
    """(decodes as GB18030, share of double-byte characters that are common GB2312 hanzi or punctuation)."""
    try:
        codecs.getincrementaldecoder("gb18030")().decode(data, final=False)
        ok = True
    except UnicodeDecodeError:
        ok = False
    common = total = 0
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b < 0x80:
            i += 1
            continue
        if i + 1 >= n:
            break
        t = data[i + 1]
        if 0x30 <= t <= 0x39:  # four-byte GB18030 sequence: rare in real Chinese text
            total += 1
            i += 4
            continue
        total += 1
        if (0xB0 <= b <= 0xD7 and 0xA1 <= t <= 0xFE) or (0xA1 <= b <= 0xA9 and 0xA1 <= t <= 0xFE):
            common += 1
        i += 2
    return ok, (common / total if total else 0.0)


def _cyrillic_stats(data: bytes) -> tuple[float, float]:
    """(share of high bytes that are Cyrillic letters in cp1251, share of words with odd capitals)."""
    text = data.decode("cp1251", errors="replace")
    high = sum(1 for ch in text if ord(ch) >= 0x80)
    letters = sum(1 for ch in text if "А" <= ch <= "я" or ch in "Ёё")
    words = _CYR_WORD.findall(text)
    odd = sum(1 for w in words if _BAD_CASE.search(w))
    return (letters / high if high else 0.0), (odd / len(words) if words else 1.0)


def _legacy(data: bytes) -> Guess:
    runs = _HIGH_RUN.findall(data)
    if not runs:
        return Guess(UTF8)
    mean_run = sum(len(r) for r in runs) / len(runs)
    gb_ok, gb_common = _gb_stats(data)
    cyr_letters, cyr_odd = _cyrillic_stats(data)
    few = sum(len(r) for r in runs) < 6
    if gb_ok and gb_common >= 0.6 and mean_run >= 2:
        sure = not few and gb_common >= 0.75 and not (cyr_letters >= 0.95 and cyr_odd < 0.1)
        return Guess("gb18030", confident=sure)
    if mean_run >= 1.8 and cyr_letters >= 0.9:
        sure = not few and cyr_odd < 0.2
        return Guess("cp1251", confident=sure)
    if mean_run < 1.8:
        latin = data.decode("cp1252", errors="replace")
        letters = sum(1 for ch in latin if ord(ch) >= 0xC0)
        high = sum(1 for ch in latin if ord(ch) >= 0x80)
        return Guess("cp1252", confident=not few and letters >= 0.8 * high)
    return Guess("cp1251", confident=False)


def detect(head: bytes, whole: bool) -> Guess:
    """Guess the encoding from the first bytes of a file (``whole``: they are the entire file)."""
    if head.startswith(codecs.BOM_UTF8):
        return Guess(UTF8, bom=3)
    if head.startswith(codecs.BOM_UTF32_LE) and len(head) % 4 == 0 and head[4:8].count(0) >= 2:
        return Guess("utf-32-le", bom=4)
    if head.startswith(codecs.BOM_UTF16_LE):
        return Guess("utf-16-le", bom=2)
    if head.startswith(codecs.BOM_UTF16_BE):
        return Guess("utf-16-be", bom=2)
    wide = _utf16_without_bom(head)
    if wide:
        return Guess(wide)
    if valid_utf8(head, final=whole):
        return Guess(UTF8)
    if _mostly_utf8(head):
        return Guess(UTF8)  # a few broken bytes in UTF-8 text: read as UTF-8, they are replaced and counted
    legacy = mixed_legacy(head, whole)
    if legacy:
        return Guess(UTF8, mixed=legacy)
    return _legacy(head)


def mixed_legacy(data: bytes, whole: bool) -> str | None:
    """The legacy encoding of the lines that are not UTF-8, when other lines are non-ASCII UTF-8.

    A file pasted together from exports saved by different programs: the UTF-8 lines carry real
    letters (at least 4), the others decode as one legacy encoding. None when that is not the case.
    """
    parts = data.split(b"\n")
    if not whole and len(parts) > 1:
        parts = parts[:-1]  # the last line may be cut in the middle of a character
    utf8_chars = 0
    bad: list[bytes] = []
    for line in parts:
        if line.isascii():
            continue
        try:
            utf8_chars += sum(1 for ch in line.decode(UTF8) if ord(ch) > 127)
        except UnicodeDecodeError:
            bad.append(line)
    if not bad or utf8_chars < 4:
        return None
    guess = _legacy(b"\n".join(bad))
    return None if guess.encoding == UTF8 else guess.encoding


def legacy_of_bad_lines(data: bytes) -> str | None:
    """The legacy encoding the non-UTF-8 lines of ``data`` are in, when the guess is confident."""
    parts = data.split(b"\n")[1:-1]  # the first and last lines may be cut
    bad = []
    for line in parts:
        try:
            line.decode(UTF8)
        except UnicodeDecodeError:
            bad.append(line)
    if not bad:
        return None
    guess = _legacy(b"\n".join(bad))
    return guess.encoding if guess.encoding != UTF8 and guess.confident else None


def _mostly_utf8(data: bytes) -> bool:
    text = data.decode(UTF8, errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return good >= 4 and good >= 20 * bad


def first_invalid_utf8(path: Path, start: int = 0) -> int | None:
    """Byte offset of the first byte that is not valid UTF-8, streaming through the file."""
    dec = codecs.getincrementaldecoder(UTF8)()
    offset = start
    with open(path, "rb") as fh:
        fh.seek(start)
        while True:
            chunk = fh.read(CHUNK)
            final = not chunk
            pending = len(dec.getstate()[0])
            try:
                dec.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                return max(start, offset - pending + exc.start)
            if final:
                return None
            offset += len(chunk)


def transcode(src: Path, dst: Path, encoding: str, skip: int = 0) -> int:
    """Re-encode ``src`` as UTF-8 into ``dst`` in 1 MB steps; NUL characters are dropped.

    Returns how many characters could not be decoded (written as U+FFFD).
    """
    dec = codecs.getincrementaldecoder(encoding)(errors="replace")
    bad = 0
    with open(src, "rb") as fin, open(dst, "w", encoding=UTF8, newline="") as fout:
        fin.seek(skip)
        while True:
            chunk = fin.read(CHUNK)
            text = dec.decode(chunk, final=not chunk)
            if text:
                if "\ufffd" in text:
                    bad += text.count("\ufffd")
                if "\x00" in text:
                    text = text.replace("\x00", "")
                fout.write(text)
            if not chunk:
                break
    return bad


def decode_head(head: bytes, guess: Guess, whole: bool) -> str:
    """The sniffable text of the first bytes (a cut multi-byte character at the end is dropped)."""
    dec = codecs.getincrementaldecoder(guess.encoding)(errors="replace")
    return dec.decode(head[guess.bom:], final=whole).replace("\x00", "")


def transcode_mixed(src: Path, dst: Path, legacy: str, skip: int = 0) -> tuple[int, int]:
    """Re-encode a file line by line: UTF-8 lines as they are, other lines decoded as ``legacy``.

    Returns (characters that could not be decoded, lines read as ``legacy``). NUL characters are dropped.
    """
    bad = lines = 0
    with open(src, "rb") as fin, open(dst, "w", encoding=UTF8, newline="") as fout:
        fin.seek(skip)
        for raw in fin:  # split at b"\n": no byte of a GB18030, Windows-125x or UTF-8 character is 0x0A
            try:
                text = raw.decode(UTF8)
            except UnicodeDecodeError:
                text = raw.decode(legacy, errors="replace")
                lines += 1
            if "\ufffd" in text:
                bad += text.count("\ufffd")
            if "\x00" in text:
                text = text.replace("\x00", "")
            fout.write(text)
    return bad, lines
