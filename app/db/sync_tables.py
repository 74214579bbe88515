"""The tables that travel in sync bundles, and the columns their change rows carry.

``wire_tables()`` describes those columns for the format checks of ``app.sync.change_rows``,
which knows no ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, String, Table, Text
from sqlalchemy.types import TypeDecorator

from app.core.domain.records import kind_by_code
from app.core.domain.sync_types import CarriedColumn, WireKind, WireTables
from app.core.domain.sync_types import Change as Change
from app.db.approval_models import Approval
from app.db.models import RECORD_MODELS, SyncedRow
from app.db.pack_models import Assessment, AssessmentItem, IndicatorValue, PeriodLock

CHUNK = 500

# parents before children: an assessment item names its assessment by uuid
SYNC_MODELS: dict[str, type[SyncedRow]] = {
    **{model.__tablename__: model for model in RECORD_MODELS.values()},
    IndicatorValue.__tablename__: IndicatorValue,
    PeriodLock.__tablename__: PeriodLock,
    Assessment.__tablename__: Assessment,
    AssessmentItem.__tablename__: AssessmentItem,
    Approval.__tablename__: Approval,
}
KIND_OF_TABLE = {model.__tablename__: code for code, model in RECORD_MODELS.items()}
# foreign keys carried as the referenced row's uuid
PARENTS: dict[tuple[str, str], str] = {("assessment_items", "assessment_id"): "assessments"}
# columns that stay at their station: local ids, counters, derived search text
LOCAL_COLUMNS = {"id", "owner_unit_id", "change_seq", "search_text"}


def sync_table(name: str) -> Any:
    table = SYNC_MODELS[name].__table__
    assert isinstance(table, Table)
    return table


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def carried_columns(name: str) -> list[Column[Any]]:
    """The columns a change row carries: everything but local ids, counters, derived keys."""
    table = sync_table(name)
    names = set(table.columns.keys())
    return [
        column
        for column in table.columns
        if column.name not in LOCAL_COLUMNS
        and not (column.name.endswith("_key") and column.name[:-4] in names)
    ]


def column_type(column: Column[Any]) -> Any:
    """The column's SQL type (the implementation type of a decorated one)."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


# DateTime before Date: a DateTime is not a Date in SQLAlchemy, but keep the order explicit
_WIRE_KINDS: tuple[tuple[type[Any], WireKind], ...] = (
    (Boolean, "bool"),
    (Integer, "int"),
    (Float, "float"),
    (DateTime, "moment"),
    (Date, "day"),
    (String, "text"),
    (Text, "text"),
)


def _wire_columns(name: str) -> tuple[CarriedColumn, ...]:
    kind_code = KIND_OF_TABLE.get(name)
    choices = (
        {
            spec.name: frozenset(c for c, _l in spec.choices)
            for spec in kind_by_code(kind_code).fields
            if spec.choices
        }
        if kind_code
        else {}
    )
    described = []
    for column in carried_columns(name):
        if column.name == "uuid":  # travels as the row's record_id
            continue
        kind = column_type(column)
        wire = next((w for base, w in _WIRE_KINDS if isinstance(kind, base)), None)
        if wire is None:  # pragma: no cover - every synced column type is listed
            raise TypeError(f"no wire kind for {name}.{column.name}")
        described.append(
            CarriedColumn(
                column.name,
                wire,
                bool(column.nullable),
                getattr(kind, "length", None),
                (name, column.name) in PARENTS,
                choices.get(column.name),
            )
        )
    return tuple(described)


@functools.cache
def wire_tables() -> WireTables:
    """Every synced table's carried columns (not the uuid), in sync order."""
    return {name: _wire_columns(name) for name in SYNC_MODELS}
