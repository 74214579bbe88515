"""Queries over the record tables: ordered id lists, row pages, identities for duplicates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.core.records import FieldType, RecordKind, RecordRow
from app.core.text import fold, like_pattern, sort_key
from app.db.models import RECORD_MODELS, SyncedRecord
from app.i18n import _


@dataclass(frozen=True)
class ListQuery:
    """What a table shows: an optional search text and a sort field."""

    search: str = ""
    sort_field: str | None = None
    descending: bool = False
    include_deleted: bool = False


def model_of(kind: RecordKind) -> type[SyncedRecord]:
    return RECORD_MODELS[kind.code]


def _sort_expression(kind: RecordKind, field_name: str) -> Any:
    model = model_of(kind)
    spec = kind.field(field_name)
    if spec.collated:
        return getattr(model, f"{field_name}_key")
    if spec.type is FieldType.CHOICE:
        # Sort by the label the officer sees, in Vietnamese collation order.
        keys = {code: sort_key(_(label)) for code, label in spec.choices}
        return case(keys, value=getattr(model, field_name), else_=literal(""))
    return getattr(model, field_name)


def _search_condition(kind: RecordKind, text: str) -> ColumnElement[bool]:
    model = model_of(kind)
    conditions: list[ColumnElement[bool]] = [
        model.search_text.like(like_pattern(text), escape="\\")
    ]
    wanted = fold(text)
    for spec in kind.fields:
        if spec.type is FieldType.CHOICE:
            codes = [code for code, label in spec.choices if wanted in fold(_(label))]
            if codes:
                conditions.append(getattr(model, spec.name).in_(codes))
    return or_(*conditions)


def _base(kind: RecordKind, unit_id: int, query: ListQuery) -> Select[Any]:
    model = model_of(kind)
    statement = select(model.id).where(model.owner_unit_id == unit_id)
    if not query.include_deleted:
        statement = statement.where(model.deleted_at.is_(None))
    if query.search.strip():
        statement = statement.where(_search_condition(kind, query.search))
    return statement


def list_ids(session: Session, kind: RecordKind, unit_id: int, query: ListQuery) -> list[int]:
    """Ids of the matching records in display order (ties broken by id for stability)."""
    model = model_of(kind)
    field_name = query.sort_field or kind.default_sort
    descending = query.descending if query.sort_field else kind.default_descending
    order = _sort_expression(kind, field_name)
    statement = _base(kind, unit_id, query).order_by(
        order.desc() if descending else order.asc(),
        model.id.desc() if descending else model.id.asc(),
    )
    return list(session.execute(statement).scalars())


def count(session: Session, kind: RecordKind, unit_id: int, query: ListQuery) -> int:
    statement = select(func.count()).select_from(_base(kind, unit_id, query).subquery())
    return int(session.execute(statement).scalar_one())


def to_row(kind: RecordKind, record: SyncedRecord) -> RecordRow:
    return RecordRow(
        kind=kind.code,
        id=record.id,
        uuid=record.uuid,
        values={name: getattr(record, name) for name in kind.field_names},
        created_at=record.created_at,
        updated_at=record.updated_at,
        updated_by=record.updated_by,
        change_seq=record.change_seq,
        deleted=record.deleted_at is not None,
    )


def fetch_rows(session: Session, kind: RecordKind, ids: Sequence[int]) -> list[RecordRow]:
    """The rows with ``ids``, in the order given (missing ids are skipped)."""
    model = model_of(kind)
    found: dict[int, RecordRow] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for record in session.execute(select(model).where(model.id.in_(chunk))).scalars():
            found[record.id] = to_row(kind, record)
    return [found[i] for i in ids if i in found]


def identity_of(kind: RecordKind, values: dict[str, Any]) -> tuple[str, ...]:
    """The folded natural identity used to spot a record entered twice."""
    return tuple(fold(str(values.get(name) or "")) for name in kind.identity)


def identities(session: Session, kind: RecordKind, unit_id: int) -> dict[tuple[str, ...], int]:
    """Identity -> id for every live record of the unit."""
    model = model_of(kind)
    columns = [model.id, *(getattr(model, name) for name in kind.identity)]
    statement = select(*columns).where(model.owner_unit_id == unit_id, model.deleted_at.is_(None))
    result: dict[tuple[str, ...], int] = {}
    for row in session.execute(statement):
        values = dict(zip(kind.identity, row[1:], strict=True))
        result.setdefault(identity_of(kind, values), row[0])
    return result


def live_counts(session: Session, unit_id: int, kinds: Iterable[RecordKind]) -> dict[str, int]:
    return {kind.code: count(session, kind, unit_id, ListQuery()) for kind in kinds}
