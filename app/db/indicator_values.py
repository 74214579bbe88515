"""Loading monthly indicator values: typed ones from ``indicator_values``, computed ones counted
from the ward's records (sessions held in the month, teams active at its end)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.domain.indicators import IndicatorData, Key
from app.core.domain.packs.model import Indicator, RecordSource
from app.core.domain.periods import month_of, reporting_month
from app.db.models import RECORD_MODELS
from app.db.pack_models import IndicatorValue


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
