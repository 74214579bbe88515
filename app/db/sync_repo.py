"""The sync queries of a ward station: the change rows of an export, the outbox, the
acknowledged baselines. The rows come out as the wire documents ``app.sync.change_rows.encode``
writes; nothing here knows the bundle format.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, String, func, select, type_coerce
from sqlalchemy.orm import Session

from app.db import audit
from app.db.models import AppMeta, ChangeCounter
from app.db.sync_models import OutboxBundle
from app.db.sync_tables import PARENTS, SYNC_MODELS, carried_columns, column_type, sync_table


def _raw(column: Column[Any]) -> Any:
    """Dates and times selected as the text SQLite stores (no datetime objects made)."""
    if isinstance(column_type(column), Date | DateTime):
        return type_coerce(column, String).label(column.name)
    return column


def _stored_moment(text: str | None) -> str | None:
    """SQLAlchemy's SQLite text for a UTC moment ("2026-11-23 08:00:00.000000") as ISO 8601
    with its zone."""
    if text is None:
        return None
    return f"{text[:10]}T{text[11:]}+00:00"


def _same(value: Any) -> Any:
    return value


def _text_converter(column: Column[Any]) -> Any:
    if isinstance(column_type(column), DateTime):
        return _stored_moment
    return _same  # dates are stored as ISO text already; numbers and text as they are


def _out(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _document(name: str, counter: int, data: dict[str, Any]) -> dict[str, Any]:
    """One change row as it travels (``data`` loses its uuid to ``record_id``)."""
    record_id = data.pop("uuid")
    return {
        "table": name,
        "record_id": record_id,
        "origin_counter": counter,
        "op": "tombstone" if data.get("deleted_at") else "upsert",
        "data": data,
    }


@dataclass(frozen=True)
class _TableRead:
    """How one table's changed rows are selected and turned into change rows; built once per
    table (the SQL constructs do not depend on the unit or the counters)."""

    name: str
    names: tuple[str, ...]
    converters: tuple[Callable[[Any], Any], ...]
    selected: tuple[Any, ...]  # counter, carried columns (dates as stored text), parents' uuids
    joins: Any
    table: Any
    parents_at: tuple[tuple[int, int], ...]  # (position in the values, position in the row)


@functools.cache
def _table_read(name: str) -> _TableRead:
    table = sync_table(name)
    columns = carried_columns(name)
    names = tuple(c.name for c in columns)
    selected: list[Any] = [table.c.change_seq, *(_raw(c) for c in columns)]
    joins: Any = table
    parent_columns = [fk for (child, fk) in PARENTS if child == name]
    for fk in parent_columns:
        parent_table = sync_table(PARENTS[(name, fk)]).alias(f"parent_{fk}")
        joins = joins.join(parent_table, parent_table.c.id == table.c[fk])
        selected.append(parent_table.c.uuid.label(f"__parent_{fk}"))
    return _TableRead(
        name,
        names,
        tuple(_text_converter(c) for c in columns),
        tuple(selected),
        joins,
        table,
        tuple((names.index(fk), 1 + len(columns) + n) for n, fk in enumerate(parent_columns)),
    )


def _table_changes(
    session: Session, read: _TableRead, condition: Any, needed_parents: set[str]
) -> list[dict[str, Any]]:
    """Plain tuples and the stored text of dates: the fast path for big exports."""
    query = select(*read.selected).select_from(read.joins).where(condition)
    rows = []
    for row in session.execute(query):
        values = [convert(v) for convert, v in zip(read.converters, row[1:], strict=False)]
        for position, source in read.parents_at:
            values[position] = row[source]
            needed_parents.add(row[source])
        rows.append(_document(read.name, row[0], dict(zip(read.names, values, strict=True))))
    return rows


def read_changes(
    session: Session, owner_unit_id: int, after: int, until: int | None = None
) -> list[dict[str, Any]]:
    """Change rows for every row of the unit changed after counter ``after`` (up to ``until``).

    Items of an assessment bring their assessment along, so a bundle can always be applied
    on its own, whatever arrived before it.
    """
    rows: list[dict[str, Any]] = []
    needed_parents: set[str] = set()
    for name in SYNC_MODELS:
        read = _table_read(name)
        table = read.table
        condition = (table.c.owner_unit_id == owner_unit_id) & (table.c.change_seq > after)
        if until is not None:
            condition = condition & (table.c.change_seq <= until)
        rows.extend(_table_changes(session, read, condition, needed_parents))
    missing = needed_parents - {row["record_id"] for row in rows}
    if missing:  # parents unchanged since the baseline: re-send them at their version
        rows = _with_parents(session, owner_unit_id, rows, missing)
    return rows


def _with_parents(
    session: Session, owner_unit_id: int, rows: list[dict[str, Any]], missing: set[str]
) -> list[dict[str, Any]]:
    parents: list[dict[str, Any]] = []
    for name in sorted(set(PARENTS.values())):
        table = sync_table(name)
        columns = carried_columns(name)
        query = select(table.c.change_seq, *columns).where(
            table.c.owner_unit_id == owner_unit_id, table.c.uuid.in_(sorted(missing))
        )
        for row in session.execute(query).mappings():
            data = {column.name: _out(row[column.name]) for column in columns}
            parents.append(_document(name, row["change_seq"], data))
    order = list(SYNC_MODELS)
    return sorted(parents + rows, key=lambda r: order.index(r["table"]))


# -- the ward's sync state ------------------------------------------------------------------

# app_meta keys: what the province acknowledged last (the next export starts after it)
ACKED_COUNTER = "sync_acked_counter"
ACKED_SEQ = "sync_acked_seq"
ACKED_AUDIT = "sync_acked_audit"  # the last audit entry a province receipt acknowledged


def meta_text(session: Session, key: str) -> str | None:
    row = session.get(AppMeta, key)
    return row.value if row else None


def meta_int(session: Session, key: str) -> int:
    value = meta_text(session, key)
    return int(value) if value is not None else 0


def set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(AppMeta, key)
    if row is None:
        session.add(AppMeta(key=key, value=value))
    else:
        row.value = value


def change_counter(session: Session) -> int:
    """The station's change counter: the version its newest change got."""
    value: int = session.execute(
        select(ChangeCounter.value).where(ChangeCounter.id == 1)
    ).scalar_one()
    return value


def last_bundle(session: Session) -> tuple[int, str] | None:
    """The sequence number and manifest hash of the newest bundle that left the station."""
    row = session.execute(
        select(OutboxBundle.seq, OutboxBundle.manifest_sha256)
        .where(OutboxBundle.state != "failed")
        .order_by(OutboxBundle.seq.desc())
        .limit(1)
    ).one_or_none()
    return (row.seq, row.manifest_sha256) if row is not None else None


def failed_seqs(session: Session) -> list[int]:
    """Sequence numbers given to exports that failed (the province is told they are void)."""
    return list(
        session.execute(select(OutboxBundle.seq).where(OutboxBundle.state == "failed")).scalars()
    )


def highest_seq(session: Session) -> int:
    return session.execute(select(func.max(OutboxBundle.seq))).scalar() or 0


def outbox_entry(session: Session, bundle_id: str) -> OutboxBundle | None:
    return session.execute(
        select(OutboxBundle).where(OutboxBundle.bundle_id == bundle_id)
    ).scalar_one_or_none()


def outbox(session: Session) -> list[OutboxBundle]:
    """Every exported bundle, newest first."""
    return list(session.execute(select(OutboxBundle).order_by(OutboxBundle.seq.desc())).scalars())


def supersede_before(session: Session, seq: int) -> None:
    """Bundles before ``seq`` still waiting for a receipt are covered by bundle ``seq``."""
    for older in session.execute(
        select(OutboxBundle).where(OutboxBundle.seq < seq, OutboxBundle.state == "exported")
    ).scalars():
        older.state = "superseded"


def audit_after(session: Session, after: int) -> tuple[int, str, list[dict[str, Any]]]:
    """The chain head (entry count, last hash) and the audit entries after id ``after``, with
    the fields their hashes cover."""
    count, head = audit._head(session)
    entry = audit.AuditEntry
    rows = session.execute(
        audit.chain_select(entry, entry.id).where(entry.id > after).order_by(entry.id)
    ).mappings()
    return count, head, [dict(row) for row in rows]
