"""Reporting periods: the government convention is month M = 15th of M-1 to the 14th of M."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from app.i18n import _

DEFAULT_CUTOFF_DAY = 15


@dataclass(frozen=True)
class Period:
    """An inclusive date range with the label officers use."""

    start: date
    end: date
    label: str

    def same_period_last_year(self) -> Period:
        return Period(
            _shift_year(self.start, -1), _shift_year(self.end, -1), _("same period last year")
        )


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def reporting_month(year: int, month: int, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
    """Month ``month`` of ``year``: from ``cutoff_day`` of the month before to the day before
    ``cutoff_day`` of this month. A ``cutoff_day`` of 1 gives calendar months."""
    label = _("month {month}/{year}").format(month=month, year=year)
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    if cutoff_day == 1:
        return Period(
            date(year, month, 1), date(next_year, next_month, 1) - timedelta(days=1), label
        )
    previous_year, previous_month = (year - 1, 12) if month == 1 else (year, month - 1)
    return Period(
        date(previous_year, previous_month, cutoff_day),
        date(year, month, cutoff_day) - timedelta(days=1),
        label,
    )


class Span(enum.Enum):
    """The periods reports are made for: a month, a quarter, 6 months (sơ kết), 9 months,
    a year (tổng kết)."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"


def span_months(span: Span, index: int = 1) -> tuple[int, ...]:
    """The reporting months a span covers; ``index`` is the month or the quarter number."""
    if span is Span.MONTH:
        return (index,)
    if span is Span.QUARTER:
        return tuple(range(3 * index - 2, 3 * index + 1))
    last = {Span.HALF: 6, Span.NINE_MONTHS: 9, Span.YEAR: 12}[span]
    return tuple(range(1, last + 1))


def span_label(span: Span, year: int, index: int = 1) -> str:
    if span is Span.MONTH:
        return _("month {month}/{year}").format(month=index, year=year)
    if span is Span.QUARTER:
        return _("quarter {quarter}/{year}").format(quarter=index, year=year)
    if span is Span.HALF:
        return _("first 6 months of {year}").format(year=year)
    if span is Span.NINE_MONTHS:
        return _("first 9 months of {year}").format(year=year)
    return _("year {year}").format(year=year)


def span_period(
    span: Span, year: int, index: int = 1, cutoff_day: int = DEFAULT_CUTOFF_DAY
) -> Period:
    months = span_months(span, index)
    first = reporting_month(year, months[0], cutoff_day)
    last = reporting_month(year, months[-1], cutoff_day)
    return Period(first.start, last.end, span_label(span, year, index))


def month_of(day: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> tuple[int, int]:
    """The (year, month) of the reporting month that contains ``day``."""
    if cutoff_day > 1 and day.day >= cutoff_day:
        return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.year, day.month


def reporting_year_to_date(day: date, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
    """From the start of the reporting year containing ``day`` up to ``day``."""
    year, _month = month_of(day, cutoff_day)
    start = reporting_month(year, 1, cutoff_day).start
    return Period(start, day, _("year {year} to date").format(year=year))
