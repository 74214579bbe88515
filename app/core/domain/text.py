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
from functools import lru_cache

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

_SEPARATOR = "\x01"
_SPACE = "\x02"
_PUNCT_MARK = "\x03"
_DIGIT_MARK = "\x04"
_LETTER_BASE = 0x41  # letters map to single ASCII bytes: a compact key makes a compact index
_OTHER_MARK = "\x7f"
_WHITESPACE = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the only form stored or rendered."""
    return unicodedata.normalize("NFC", text)


def clean(text: str | None) -> str:
    """NFC, trimmed, with runs of white space folded to one space: the form of every input."""
    if text is None:
        return ""
    return _WHITESPACE.sub(" ", nfc(text)).strip()


def _slow_fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFD", ch.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


def _letter_entry(ch: str) -> tuple[str, str, str] | None:
    """(primary, tone, case) for one precomposed letter, or None if it is not Vietnamese."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    modifier = "".join(m for m in marks if m in _MODIFIERS)
    letter = unicodedata.normalize("NFC", base.lower() + modifier)
    if base in "đĐ":
        letter = "đ"
    if letter not in _LETTER_RANK:
        return None
    tone = next((str(_TONE_RANK[m]) for m in marks if m in _TONE_RANK), "0")
    return chr(_LETTER_BASE + _LETTER_RANK[letter]), tone, "1" if ch.isupper() else "0"


def _vietnamese_letters() -> list[str]:
    """Every precomposed letter the alphabet and tones can make, both cases."""
    letters = []
    for letter in _ALPHABET:
        for tone in ("", *_TONE_RANK):
            for case in (str.lower, str.upper):
                composed = unicodedata.normalize("NFC", case(letter) + tone)
                if len(composed) == 1:
                    letters.append(composed)
    return letters


_LETTERS: dict[str, tuple[str, str, str]] = {}
for _ch in _vietnamese_letters():
    _entry = _letter_entry(_ch)
    if _entry is not None:
        _LETTERS[_ch] = _entry
_FOLD_TABLE = str.maketrans({ch: _slow_fold_char(ch) for ch in _LETTERS})


def fold(text: str) -> str:
    """Tone- and accent-insensitive, case-insensitive form for search ("Nguyễn" -> "nguyen").

    The old and new tone placements ("hoà"/"hòa", "thuỷ"/"thủy") fold to the same text.
    """
    folded = nfc(text).translate(_FOLD_TABLE)
    if not folded.isascii():
        folded = "".join(_slow_fold_char(ch) if not ch.isascii() else ch for ch in folded)
    return _WHITESPACE.sub(" ", folded.casefold()).strip()


@lru_cache(maxsize=65536)
def sort_key(text: str) -> str:
    """A string whose code-point order is Vietnamese collation order (see the module doc)."""
    primary: list[str] = []
    secondary: list[str] = []
    tertiary: list[str] = []
    digits: list[str] = []

    def flush_digits() -> None:
        if digits:
            value = "".join(digits).lstrip("0") or "0"
            primary.append(_DIGIT_MARK + chr(0x30 + min(len(value), 0x4F)) + value)
            digits.clear()

    for ch in clean(text):
        entry = _LETTERS.get(ch)
        if entry is not None:
            flush_digits()
            primary.append(entry[0])
            secondary.append(entry[1])
            tertiary.append(entry[2])
        elif "0" <= ch <= "9":
            digits.append(ch)
        else:
            flush_digits()
            if ch.isspace():
                primary.append(_SPACE)
            elif unicodedata.category(ch)[0] in "PS":
                primary.append(_PUNCT_MARK + ch)
            else:
                primary.append(_OTHER_MARK + ch)
    flush_digits()
    return "".join(primary) + _SEPARATOR + "".join(secondary) + _SEPARATOR + "".join(tertiary)
