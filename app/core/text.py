"""Vietnamese text hygiene: NFC normalisation, tone-insensitive folding and a collation key.

The collation key follows the CLDR ``vi`` tailoring: the letters are ordered
``a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y`` (with f j w z in their Latin
places), tone marks only break ties (none < huyền < hỏi < ngã < sắc < nặng), then lower case
before upper case. Runs of digits compare by value ("Tổ 2" before "Tổ 10"), which is what an
officer expects of numbered teams and streets. The key is a plain ``str`` whose code-point
order is the collation order, so SQLite can sort an indexed key column with its default
BINARY collation instead of calling back into Python for each comparison.
"""

from __future__ import annotations

import re
import unicodedata

_ALPHABET = [
    "a",
    "ă",
    "â",
    "b",
    "c",
    "d",
    "đ",
    "e",
    "ê",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "ô",
    "ơ",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "ư",
    "v",
    "w",
    "x",
    "y",
    "z",
]
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}

_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_MODIFIERS = {_BREVE, _CIRCUMFLEX, _HORN}
# huyền, hỏi, ngã, sắc, nặng
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

_SPACE_KEY = " "
_SEPARATOR = "\x01"
_DIGIT_RUN_BASE = 0x2000
_DIGIT_BASE = 0x2800
_LETTER_BASE = 0x3000
_OTHER_BASE = 0x10000
_WHITESPACE = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the only form stored or rendered."""
    return unicodedata.normalize("NFC", text)


def clean(text: str | None) -> str:
    """NFC, trimmed, with runs of white space folded to one space: the form of every input."""
    if text is None:
        return ""
    return _WHITESPACE.sub(" ", nfc(text)).strip()


def fold(text: str) -> str:
    """Tone- and accent-insensitive, case-insensitive form for search ("Nguyễn" -> "nguyen").

    The old and new tone placements ("hoà"/"hòa", "thuỷ"/"thủy") fold to the same text.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _WHITESPACE.sub(" ", bare.casefold()).strip()


def _graphemes(text: str) -> list[tuple[str, str]]:
    """Split NFD text into (base character, combining marks) pairs."""
    out: list[tuple[str, str]] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and out:
            base, marks = out[-1]
            out[-1] = (base, marks + ch)
        else:
            out.append((ch, ""))
    return out


def _letter_of(base: str, marks: str) -> str:
    modifier = "".join(m for m in marks if m in _MODIFIERS)
    return unicodedata.normalize("NFC", base.lower() + modifier)


def _tone_of(marks: str) -> int:
    for mark in marks:
        if mark in _TONE_RANK:
            return _TONE_RANK[mark]
    return 0


def sort_key(text: str) -> str:
    """A string whose code-point order is Vietnamese collation order (see the module doc)."""
    primary: list[str] = []
    secondary: list[str] = []
    tertiary: list[str] = []
    digits = ""

    def flush_digits() -> None:
        nonlocal digits
        if digits:
            value = digits.lstrip("0") or "0"
            primary.append(chr(_DIGIT_RUN_BASE + min(len(value), 0x7FF)))
            primary.extend(chr(_DIGIT_BASE + int(d)) for d in value)
            digits = ""

    for base, marks in _graphemes(clean(text)):
        if base.isdigit() and base.isascii():
            digits += base
            continue
        flush_digits()
        letter = _letter_of(base, marks)
        if letter in _LETTER_RANK:
            primary.append(chr(_LETTER_BASE + _LETTER_RANK[letter]))
            secondary.append(str(_tone_of(marks)))
            tertiary.append("1" if base.isupper() else "0")
        elif base.isspace():
            primary.append(_SPACE_KEY)
        elif unicodedata.category(base)[0] in "PS":
            primary.append(chr(0x100 + min(ord(base), 0x1EFF)))
        else:
            primary.append(chr(_OTHER_BASE + min(ord(base), 0xFFFFF - _OTHER_BASE)))
    flush_digits()
    return "".join(primary) + _SEPARATOR + "".join(secondary) + _SEPARATOR + "".join(tertiary)


def like_pattern(query: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching folded text that contains ``query``."""
    folded = fold(query)
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
