"""The sync queries of a ward station: the change rows of an export, the outbox, the
acknowledged baselines. The rows come out as the wire documents ``app.sync.change_rows.encode``
writes; nothing here knows the bundle format.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
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


def _out(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _document(name: str, names: tuple[str, ...], row: list[Any]) -> dict[str, Any]:
    """One change row as it travels, from (counter, uuid, *values of ``names``)."""
    data = dict(zip(names, row[2:], strict=True))
    return {
        "table": name,
        "record_id": row[1],
        "origin_counter": row[0],
        "op": "tombstone" if data.get("deleted_at") else "upsert",
        "data": data,
    }


@dataclass(frozen=True)
class TableChanges:
    """One table's changed rows, each a list (origin counter, record uuid, *the values of
    ``names``) with the values as they travel (moments as ISO 8601 text, parents by uuid):
    ``app.sync.change_rows.encode_table`` writes them, ``documents`` makes the wire documents."""

    name: str
    names: tuple[str, ...]  # the carried columns but the uuid, in order
    rows: list[list[Any]]

    def documents(self) -> list[dict[str, Any]]:
        return [_document(self.name, self.names, row) for row in self.rows]


@dataclass(frozen=True)
class _TableRead:
    """How one table's changed rows are selected and turned into change rows; built once per
    table (the SQL constructs do not depend on the unit or the counters)."""

    name: str
    names: tuple[str, ...]
    moments: tuple[int, ...]  # positions in the row of the moments (stored text to ISO 8601)
    selected: tuple[Any, ...]  # counter, uuid, the other carried columns, parents' uuids
    joins: Any
    table: Any
    parents_at: tuple[tuple[int, int], ...]  # (position of the column, of the parent's uuid)


@functools.cache
def _table_read(name: str) -> _TableRead:
    table = sync_table(name)
    columns = [c for c in carried_columns(name) if c.name != "uuid"]
    names = tuple(c.name for c in columns)
    selected: list[Any] = [table.c.change_seq, table.c.uuid, *(_raw(c) for c in columns)]
    joins: Any = table
    parent_columns = [fk for (child, fk) in PARENTS if child == name]
    for fk in parent_columns:
        parent_table = sync_table(PARENTS[(name, fk)]).alias(f"parent_{fk}")
        joins = joins.join(parent_table, parent_table.c.id == table.c[fk])
        selected.append(parent_table.c.uuid.label(f"__parent_{fk}"))
    return _TableRead(
        name,
        names,
        tuple(2 + n for n, c in enumerate(columns) if isinstance(column_type(c), DateTime)),
        tuple(selected),
        joins,
        table,
        tuple((2 + names.index(fk), 2 + len(columns) + n) for n, fk in enumerate(parent_columns)),
    )


def _table_changes(
    session: Session, read: _TableRead, condition: Any, needed_parents: set[str]
) -> list[list[Any]]:
    """Plain rows and the stored text of dates: the fast path for big exports."""
    query = select(*read.selected).select_from(read.joins).where(condition)
    width = 2 + len(read.names)
    rows = []
    for row in session.execute(query):
        values = list(row)
        for position in read.moments:
            values[position] = _stored_moment(values[position])
        for position, source in read.parents_at:
            values[position] = values[source]
            needed_parents.add(values[source])
        del values[width:]
        rows.append(values)
    return rows


def read_change_tables(
    session: Session, owner_unit_id: int, after: int, until: int | None = None
) -> list[TableChanges]:
    """Every synced table's rows of the unit changed after counter ``after`` (up to
    ``until``), in sync order.

    Items of an assessment bring their assessment along, so a bundle can always be applied
    on its own, whatever arrived before it.
    """
    tables: list[TableChanges] = []
    needed_parents: set[str] = set()
    for name in SYNC_MODELS:
        read = _table_read(name)
        table = read.table
        condition = (table.c.owner_unit_id == owner_unit_id) & (table.c.change_seq > after)
        if until is not None:
            condition = condition & (table.c.change_seq <= until)
        rows = _table_changes(session, read, condition, needed_parents)
        tables.append(TableChanges(name, read.names, rows))
    if needed_parents:
        sent = {row[1] for changes in tables for row in changes.rows}
        missing = needed_parents - sent
        if missing:  # parents unchanged since the baseline: re-send them at their version
            _add_parents(session, owner_unit_id, tables, missing)
    return tables


def read_changes(
    session: Session, owner_unit_id: int, after: int, until: int | None = None
) -> list[dict[str, Any]]:
    """Change rows (wire documents) for every row of the unit changed after counter
    ``after`` (up to ``until``): :func:`read_change_tables` as documents."""
    tables = read_change_tables(session, owner_unit_id, after, until)
    return [document for changes in tables for document in changes.documents()]


def _add_parents(
    session: Session, owner_unit_id: int, tables: list[TableChanges], missing: set[str]
) -> None:
    """The missing parents, first among their table's rows."""
    by_name = {changes.name: changes for changes in tables}
    for name in sorted(set(PARENTS.values())):
        table = sync_table(name)
        columns = [c for c in carried_columns(name) if c.name != "uuid"]
        query = select(table.c.change_seq, table.c.uuid, *columns).where(
            table.c.owner_unit_id == owner_unit_id, table.c.uuid.in_(sorted(missing))
        )
        parents = [[row[0], row[1], *map(_out, row[2:])] for row in session.execute(query)]
        by_name[name].rows[:0] = parents


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


def _aware_iso(text: str | None, parse: Callable[[Any], Any]) -> str | None:
    """The stored text of a UTC moment ("2026-11-23 08:00:00.000000") as the ISO 8601 text of
    the aware moment, exactly ``datetime.isoformat()`` (no fraction when it is zero)."""
    if text is None:
        return None
    if len(text) == 26 and text[10] == " " and text[19] == ".":
        fraction = "" if text[20:] == "000000" else text[19:]
        return f"{text[:10]}T{text[11:19]}{fraction}+00:00"
    moment = parse(text)  # another stored form: read as SQLAlchemy reads it
    return str(moment.replace(tzinfo=UTC).isoformat())


def audit_after(session: Session, after: int) -> tuple[int, str, list[tuple[Any, ...]]]:
    """The chain head (entry count, last hash) and the audit entries after id ``after``, with
    the fields their hashes cover: (id, at, actor, action, table_name, record_uuid, changes,
    prev_hash, hash), ``at`` as the ISO 8601 text of the aware UTC moment. The moments are read
    as stored text: no datetime is made for each entry."""
    count, head = audit._head(session)
    entry = audit.AuditEntry
    columns = [getattr(entry, name) for name in audit.CHAIN_FIELDS]
    columns[0] = type_coerce(entry.at, String).label("at")
    rows = session.execute(select(entry.id, *columns).where(entry.id > after).order_by(entry.id))
    dialect = session.get_bind().dialect
    parse = DateTime().dialect_impl(dialect).result_processor(dialect, None) or _parsed
    return count, head, [(row[0], _aware_iso(row[1], parse), *row[2:]) for row in rows]


def _parsed(text: Any) -> datetime:
    return datetime.fromisoformat(str(text))
