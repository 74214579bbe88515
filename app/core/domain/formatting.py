"""Numbers, dates and field values as the officer reads them (Babel, ``vi_VN`` by default)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal

from app.core.domain.records import FieldSpec, FieldType
from app.i18n import _, babel_locale


def format_date(day: date | datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.astimezone().date() if day.tzinfo else day.date()
    return babel_format_date(day, "dd/MM/yyyy", locale=babel_locale())


def format_int(number: int | None) -> str:
    if number is None:
        return ""
    return format_decimal(number, locale=babel_locale())


def format_float(number: float | None, digits: int = 6) -> str:
    if number is None:
        return ""
    return format_decimal(number, format="0." + "#" * digits, locale=babel_locale())


def format_number(number: float | None, digits: int = 1) -> str:
    """A whole number without decimals, anything else with up to ``digits`` decimals."""
    if number is None:
        return ""
    if float(number).is_integer():
        return format_decimal(int(number), locale=babel_locale())
    return format_decimal(number, format="#,##0." + "#" * digits, locale=babel_locale())


def format_change(delta: int) -> str:
    """A signed difference with a real minus sign: "+3", "−2", "0"."""
    if delta > 0:
        return f"+{format_int(delta)}"
    if delta < 0:
        return f"\u2212{format_int(-delta)}"
    return "0"


def format_value(spec: FieldSpec, value: Any) -> str:
    """A field value as text for a table cell."""
    if value is None:
        return ""
    if spec.type is FieldType.DATE:
        return format_date(value)
    if spec.type is FieldType.INT:
        return format_int(value)
    if spec.type is FieldType.FLOAT:
        return format_float(value)
    if spec.type is FieldType.BOOL:
        return _("Yes") if value else _("No")
    if spec.type is FieldType.CHOICE:
        return spec.choice_label(value)
    return str(value)
