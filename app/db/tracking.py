"""Derived columns and the change counter, maintained on every flush so no path can skip them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session, UOWTransaction

from app.core.domain.records import FieldType, RecordKind, kind_by_code
from app.core.domain.text import fold, sort_key
from app.db.models import RECORD_MODELS, ChangeCounter, SyncedRecord, SyncedRow

_KIND_OF_MODEL = {model: code for code, model in RECORD_MODELS.items()}


_DERIVED_PLAN: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {}


def _derived_plan(kind: RecordKind) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(field, key column) pairs to collate and the fields searched, once per kind."""
    plan = _DERIVED_PLAN.get(kind.code)
    if plan is None:
        collated = tuple((s.name, f"{s.name}_key") for s in kind.fields if s.collated)
        searched = tuple(
            s.name for s in kind.fields if s.type in (FieldType.TEXT, FieldType.LONG_TEXT)
        )
        plan = _DERIVED_PLAN[kind.code] = (collated, searched)
    return plan


def derived_values(kind: RecordKind, values: Mapping[str, Any]) -> dict[str, Any]:
    """The sort-key and search columns derived from a record's field values."""
    collated, searched = _derived_plan(kind)
    derived: dict[str, Any] = {key: sort_key(values.get(name) or "") for name, key in collated}
    derived["search_text"] = fold(" ".join(v for n in searched if (v := values.get(n))))
    return derived


def _refresh_derived(record: SyncedRecord) -> None:
    kind = kind_by_code(_KIND_OF_MODEL[type(record)])
    values = {spec.name: getattr(record, spec.name) for spec in kind.fields}
    for name, value in derived_values(kind, values).items():
        setattr(record, name, value)


def next_change_seq(session: Session, count: int = 1) -> int:
    """Reserve ``count`` numbers from the counter; return the last one reserved."""
    statement = (
        update(ChangeCounter)
        .where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + count)
        .returning(ChangeCounter.value)
    )
    value = session.connection().execute(statement).scalar_one()
    return int(value)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, SyncedRow)]
    dirty = [
        obj for obj in session.dirty if isinstance(obj, SyncedRow) and session.is_modified(obj)
    ]
    changed = new + dirty
    if any(isinstance(obj, SyncedRow) for obj in session.deleted):
        # Records are never hard-deleted: the tombstone is what sync carries.
        raise RuntimeError("records are soft-deleted; set deleted_at instead")
    if not changed:
        return
    last = next_change_seq(session, len(changed))
    for offset, row in enumerate(changed):
        if isinstance(row, SyncedRecord):
            _refresh_derived(row)
        row.change_seq = last - len(changed) + 1 + offset
