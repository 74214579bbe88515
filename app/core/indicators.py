"""Monthly indicator values, typed and computed, and their aggregation over longer periods.

Typed values come from ``indicator_values``; computed ones are counted from the ward's records
(sessions held in the month, teams active at its end); ratios are always derived from their
two parts and never stored. Aggregation follows each indicator's rule: ``sum`` over the
months, ``last`` = the latest month with a value, ``ratio`` = aggregate(numerator) /
aggregate(denominator).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.packs.model import Aggregation, Indicator, RecordSource, ValidationRule
from app.core.periods import month_of, reporting_month
from app.db.models import RECORD_MODELS
from app.db.pack_models import IndicatorValue

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}

Key = tuple[str, int, int]


@dataclass
class IndicatorData:
    """Every month's value of every indicator for the years loaded."""

    indicators: dict[str, Indicator]
    values: dict[Key, float | None] = field(default_factory=dict)
    comments: dict[Key, str] = field(default_factory=dict)

    def value(self, code: str, year: int, month: int) -> float | None:
        return self.aggregate(code, year, (month,))

    def aggregate(self, code: str, year: int, months: Sequence[int]) -> float | None:
        indicator = self.indicators.get(code)
        if indicator is None:
            return None
        if indicator.aggregation is Aggregation.RATIO:
            assert indicator.numerator and indicator.denominator
            top = self.aggregate(indicator.numerator, year, months)
            bottom = self.aggregate(indicator.denominator, year, months)
            if top is None or not bottom:
                return None
            return top / bottom * indicator.scale
        found = [v for m in months if (v := self.values.get((code, year, m))) is not None]
        if not found:
            return None
        if indicator.aggregation is Aggregation.LAST:
            return found[-1]
        return float(sum(found))


def _typed(session: Session, unit_id: int, years: Iterable[int]) -> list[Any]:
    # Plain columns, not ORM objects: a grid reads two years of ~50 indicators every time.
    statement = select(
        IndicatorValue.indicator_code,
        IndicatorValue.year,
        IndicatorValue.month,
        IndicatorValue.value,
        IndicatorValue.comment,
    ).where(
        IndicatorValue.owner_unit_id == unit_id,
        IndicatorValue.deleted_at.is_(None),
        IndicatorValue.year.in_(list(years)),
    )
    return list(session.execute(statement).all())


def _source_rows(session: Session, unit_id: int, source: RecordSource) -> list[tuple[Any, Any]]:
    model = RECORD_MODELS[source.kind]
    when = getattr(model, source.date_field or source.since_field or "id")
    amount = getattr(model, source.field) if source.measure == "sum" and source.field else None
    columns = [when, amount] if amount is not None else [when]
    statement = select(*columns).where(model.owner_unit_id == unit_id, model.deleted_at.is_(None))
    for name, allowed in source.where:
        statement = statement.where(getattr(model, name).in_(list(allowed)))
    rows = session.execute(statement).all()
    if amount is None:
        return [(row[0], 1) for row in rows]
    return [(row[0], row[1] or 0) for row in rows]


def _computed(
    session: Session,
    unit_id: int,
    indicator: Indicator,
    years: Sequence[int],
    cutoff: int,
    today: date,
) -> dict[Key, float | None]:
    source = indicator.source
    assert source is not None
    rows = _source_rows(session, unit_id, source)
    result: dict[Key, float | None] = {}
    if not source.is_stock:
        for when, amount in rows:
            year, month = month_of(when, cutoff)
            if year in years:
                key = (indicator.code, year, month)
                result[key] = (result.get(key) or 0.0) + float(amount)
    for year in years:
        for month in range(1, 13):
            period = reporting_month(year, month, cutoff)
            key = (indicator.code, year, month)
            if period.start > today:
                result.pop(key, None)
                continue
            if source.is_stock:
                timed = source.since_field is not None
                result[key] = float(
                    sum(
                        amount
                        for since, amount in rows
                        if not timed or since is None or since <= period.end
                    )
                )
            else:
                result.setdefault(key, 0.0)
    return result


def load_indicator_data(
    session: Session,
    unit_id: int,
    indicators: Iterable[Indicator],
    years: Sequence[int],
    cutoff: int,
    today: date,
) -> IndicatorData:
    """Typed values of ``years`` plus the computed ones, for the indicators given."""
    data = IndicatorData({indicator.code: indicator for indicator in indicators})
    for row in _typed(session, unit_id, years):
        key = (row.indicator_code, row.year, row.month)
        indicator = data.indicators.get(row.indicator_code)
        if indicator is not None and indicator.typed:
            data.values[key] = row.value
        if row.comment:
            data.comments[key] = row.comment
    for indicator in data.indicators.values():
        if indicator.source is not None:
            data.values.update(_computed(session, unit_id, indicator, years, cutoff, today))
    return data


@dataclass(frozen=True)
class RuleViolation:
    rule: ValidationRule
    codes: tuple[str, str]


def check_rules(
    rules: Iterable[ValidationRule], data: IndicatorData, year: int, months: Sequence[int]
) -> list[RuleViolation]:
    """The validation rules broken by the values of ``months`` (a rule with a missing side is
    not broken: the officer may not have typed both yet)."""
    broken = []
    for rule in rules:
        left = data.aggregate(rule.left, year, months)
        right = data.aggregate(rule.right, year, months)
        if left is not None and right is not None and not OPERATORS[rule.op](left, right):
            broken.append(RuleViolation(rule, (rule.left, rule.right)))
    return broken
