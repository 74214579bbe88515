"""Reporting periods: the government convention is month M = 15th of M-1 to the 14th of M."""

from __future__ import annotations

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

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

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
    end = date(year, month, cutoff_day) - timedelta(days=1)
    previous_year, previous_month = (year - 1, 12) if month == 1 else (year, month - 1)
    start = (
        date(previous_year, previous_month, cutoff_day) if cutoff_day > 1 else date(year, month, 1)
    )
    if cutoff_day == 1:
        end = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return Period(start, end, _("month {month}/{year}").format(month=month, year=year))


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
