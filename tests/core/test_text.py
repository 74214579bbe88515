"""NFC, tone-insensitive folding and Vietnamese collation."""

from __future__ import annotations

import random
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.core.domain.text import clean, fold, nfc, sort_key

# The order CLDR's ``vi`` tailoring gives (research note vn-domain.md §0 and §5.2).
CLDR_ORDER = [
    "an",
    "ăn",
    "ân",
    "ba",
    "bà",
    "bả",
    "bã",
    "bá",
    "bạ",
    "Bạc Liêu",
    "Bắc Ninh",
    "Bến Tre",
    "Cà Mau",
    "co",
    "cô",
    "cơ",
    "da",
    "dê",
    "đa",
    "Đắk Lắk",
    "đê",
    "Điện Biên",
    "e",
    "ê",
    "Hà Nội",
    "Hải Phòng",
    "Huế",
    "Ô Môn",
    "Ông",
    "Ơn",
    "u",
    "ư",
    "Ư",
]
# The order Qt's ICU collator gave for these names (ecosystem.md §4.4).
QT_ORDER = ["Anh", "Ánh", "Ân", "Ấn", "Bình", "Dương", "Đặng", "Ông", "Ơn", "Út", "Ưng", "Zô"]


def test_collation_matches_cldr_vietnamese_order() -> None:
    shuffled = CLDR_ORDER[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=sort_key) == CLDR_ORDER


def test_collation_matches_icu_for_names() -> None:
    assert sorted(reversed(QT_ORDER), key=sort_key) == QT_ORDER
    # Python's code-point order gets this wrong, which is why the key exists.
    assert sorted(QT_ORDER) != QT_ORDER


def test_numbers_sort_by_value() -> None:
    names = ["Tổ 10", "Tổ 2", "Tổ 1", "Khối 12", "Khối 3"]
    assert sorted(names, key=sort_key) == ["Khối 3", "Khối 12", "Tổ 1", "Tổ 2", "Tổ 10"]


def test_nfd_and_nfc_sort_identically() -> None:
    word = "Nguyễn Thị Thủy"
    assert sort_key(unicodedata.normalize("NFD", word)) == sort_key(word)


def test_fold_drops_tones_and_letter_marks() -> None:
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"
    assert fold("hoà") == fold("hòa") == "hoa"
    assert fold("thuỷ") == fold("thủy")
    assert fold("  Trường   THCS  ") == "truong thcs"


def test_clean_normalises_to_nfc_and_trims() -> None:
    decomposed = unicodedata.normalize("NFD", "  Phường   Trường Vinh ")
    cleaned = clean(decomposed)
    assert cleaned == "Phường Trường Vinh"
    assert unicodedata.is_normalized("NFC", cleaned)
    assert nfc(decomposed) != decomposed


vietnamese_text = st.text(
    alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ 0123456789àáảãạềếểễệ")),
    max_size=12,
).map(lambda t: " ".join(t.split()))


@given(vietnamese_text, vietnamese_text)
def test_sort_key_agrees_with_folded_order_on_the_first_difference(a: str, b: str) -> None:
    # Without digits, if the folded letters differ, the key orders by the first differing
    # base letter in the Vietnamese alphabet (tones and case only break ties).
    fa, fb = fold(a), fold(b)
    if any(c.isdigit() for c in a + b) or fa == fb:
        return
    alphabet = " " + "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
    base_a = [letter_of(ch) for ch in clean(a)]
    base_b = [letter_of(ch) for ch in clean(b)]
    for x, y in zip(base_a, base_b, strict=False):
        if x != y:
            assert (sort_key(a) < sort_key(b)) == (alphabet.index(x) < alphabet.index(y))
            return
    assert (sort_key(a) < sort_key(b)) == (len(base_a) < len(base_b))


def letter_of(ch: str) -> str:
    """The base letter (with breve, circumflex or horn, without tone) of a character."""
    decomposed = unicodedata.normalize("NFD", ch.lower())
    kept = "".join(c for c in decomposed if c not in "\u0300\u0309\u0303\u0301\u0323")
    return unicodedata.normalize("NFC", kept).replace("đ", "đ")


@given(st.lists(vietnamese_text, max_size=20))
def test_sorting_by_key_is_stable_under_shuffling(words: list[str]) -> None:
    shuffled = list(reversed(words))
    assert [sort_key(w) for w in sorted(words, key=sort_key)] == [
        sort_key(w) for w in sorted(shuffled, key=sort_key)
    ]


@given(vietnamese_text)
def test_fold_is_idempotent(word: str) -> None:
    assert fold(fold(word)) == fold(word)
