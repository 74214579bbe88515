"""Reading and checking what an officer typed or a spreadsheet held, field by field, against a
record kind of ``app.core.domain.records``: dates, numbers, yes/no and catalogue choices are parsed
(Vietnamese and English words, the usual date and number spellings), bounds and each kind's
extra rules are checked, and every problem is named in a translated message.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from app.core.domain import catalogues as cat
from app.core.domain.errors import ValidationError
from app.core.domain.records import EARLIEST_DATE, FieldSpec, FieldType, RecordKind, Values
from app.core.domain.text import clean, fold, nfc
from app.i18n import _, current_language

# --- parsing and validation ------------------------------------------------------------------

_TRUE_WORDS = {"1", "x", "có", "co", "yes", "y", "true", "đã kết nối", "da ket noi", "rồi", "roi"}
_FALSE_WORDS = {"0", "không", "khong", "no", "n", "false", "chưa", "chua", "chưa kết nối"}
_DATE_PATTERNS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y")


def _parse_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = clean(str(raw))
    for pattern in _DATE_PATTERNS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("{field} is not a date; write it as day/month/year, e.g. 05/03/2024."))


_INTEGER = re.compile(r"^-?(\d+|\d{1,3}([.,]\d{3})+)$")
_DECIMAL_POINT = re.compile(r"^-?\d+([.,]\d+)?$")
_DECIMAL_GROUPED = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$")


def _parse_number(raw: Any, spec: FieldSpec) -> int | float:
    if isinstance(raw, bool):
        raise ValueError(_("{field} must be a number."))
    if isinstance(raw, int | float):
        number: int | float = raw
    else:
        text = clean(str(raw)).replace(" ", "")
        if spec.type is FieldType.INT:
            if not _INTEGER.match(text):
                raise ValueError(_("{field} must be a whole number, e.g. 1234 or 1.234."))
            number = int(re.sub(r"[.,]", "", text))
        elif _DECIMAL_GROUPED.match(text):
            number = float(text.replace(".", "").replace(",", "."))
        elif _DECIMAL_POINT.match(text):
            number = float(text.replace(",", "."))
        else:
            raise ValueError(_("{field} must be a number."))
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(_("{field} must be a number."))
    if spec.type is FieldType.INT:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(_("{field} must be a whole number, e.g. 1234 or 1.234."))
        return int(number)
    return float(number)


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return bool(raw)
    text = clean(str(raw)).casefold()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise ValueError(_("{field} must be yes or no (Có/Không)."))


def _words(text: str) -> str:
    """Folded text with punctuation dropped: how choices are compared."""
    return " ".join(re.split(r"[^0-9a-z]+", fold(text))).strip()


@lru_cache(maxsize=512)
def _folded_label(label: str, language: str) -> str:
    return _words(_(label))


def _parse_choice(raw: Any, spec: FieldSpec) -> str:
    text = clean(str(raw))
    wanted = _words(text)
    language = current_language()
    for code, label in spec.choices:
        names = (
            _folded_label(label, language),
            _words(label),
            _words(code),
            *cat.CHOICE_ALIASES.get(code, ()),
        )
        if text == code or wanted in names:
            return code
    # Spreadsheets often carry the short form of a label ("Doanh nghiệp" for "Doanh nghiệp,
    # cơ sở kinh doanh"): accept a whole-word prefix when it names exactly one choice.
    prefixed = [
        code
        for code, label in spec.choices
        if wanted and f"{_folded_label(label, language)} ".startswith(f"{wanted} ")
    ]
    if len(prefixed) == 1:
        return prefixed[0]
    options = ", ".join(_(label) for _code, label in spec.choices)
    raise ValueError(
        _("{field} must be one of: {options}.").format(field="{field}", options=options)
    )


def parse_value(spec: FieldSpec, raw: Any) -> Any:
    """Turn raw input (typed widget value or spreadsheet cell) into the stored value.

    Returns ``None`` for an empty value; raises ``ValueError`` with a translated reason.
    """
    if raw is None or (isinstance(raw, str) and not clean(raw)):
        return None
    if spec.type in (FieldType.TEXT, FieldType.LONG_TEXT):
        text = clean(str(raw)) if spec.type is FieldType.TEXT else str(raw).strip()
        return nfc(text)
    if spec.type is FieldType.DATE:
        return _parse_date(raw)
    if spec.type in (FieldType.INT, FieldType.FLOAT):
        return _parse_number(raw, spec)
    if spec.type is FieldType.BOOL:
        return _parse_bool(raw)
    return _parse_choice(raw, spec)


def _check_bounds(spec: FieldSpec, value: Any, today: date) -> str | None:
    label = _(spec.label)
    if isinstance(value, str) and len(value) > spec.max_length:
        return _("{field} is too long ({length} characters; at most {limit}).").format(
            field=label, length=len(value), limit=spec.max_length
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            return _("{field} must be at least {minimum}.").format(
                field=label, minimum=_number(spec.minimum)
            )
        if spec.maximum is not None and value > spec.maximum:
            return _("{field} must be at most {maximum}.").format(
                field=label, maximum=_number(spec.maximum)
            )
    if isinstance(value, date):
        if spec.not_future and value > today:
            return _("{field} cannot be in the future.").format(field=label)
        if value < EARLIEST_DATE:
            return _("{field} is before 1975; check the year.").format(field=label)
    return None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def validate(kind: RecordKind, raw: Values, today: date) -> dict[str, Any]:
    """Parse and check every field of ``raw``; return clean values or raise ``ValidationError``.

    Messages are translated and name the field, so they can sit next to it in a form or in
    the reason column of an import preview.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in kind.fields:
        try:
            value = parse_value(spec, raw.get(spec.name))
        except ValueError as problem:
            errors[spec.name] = str(problem).format(field=_(spec.label))
            continue
        if value is None and spec.type is FieldType.BOOL:
            value = False
        if value is None and spec.required:
            errors[spec.name] = _("{field} is required.").format(field=_(spec.label))
            continue
        problem_text = _check_bounds(spec, value, today) if value is not None else None
        if problem_text:
            errors[spec.name] = problem_text
        values[spec.name] = value
    if not errors:
        for rule in kind.extra_rules:
            errors.update(rule(values))
    if errors:
        raise ValidationError(errors)
    return values
