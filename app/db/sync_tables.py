"""The tables that travel in sync bundles, and the change row that carries one of their rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

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


@dataclass(frozen=True)
class Change:
    table: str
    record_id: str
    counter: int
    deleted: bool
    data: Mapping[str, Any]


def sync_table(name: str) -> Any:
    table = SYNC_MODELS[name].__table__
    assert isinstance(table, Table)
    return table


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
