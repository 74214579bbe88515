"""Ward rows as sync change rows, and applying them at the province.

A change row carries one record's *current* state and its version (the ward's change counter).
Every ward record has one writer, its ward, so merging keeps the highest version: applying
bundles twice, or in any order, ends in the same state (signing-sync.md §2.8). Counts at the
province are always recounted from these rows, never incremented on import.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from app.core.errors import UserFacingError
from app.core.records import kind_by_code
from app.db.approval_models import Approval
from app.db.models import RECORD_MODELS, SyncedRow
from app.db.pack_models import Assessment, AssessmentItem, IndicatorValue, PeriodLock
from app.db.sync_models import RecordVersion
from app.db.tracking import derived_values, next_change_seq
from app.i18n import _
from app.sync.row_titles import table_title

MAX_LINE = 1 << 20
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
LOCAL_COLUMNS = {"id", "owner_unit_id", "change_seq", "search_text"}


class ChangeError(UserFacingError):
    """A change row that breaks the format; the message is Vietnamese for the officer."""


def _table(name: str) -> Any:
    table = SYNC_MODELS[name].__table__
    assert isinstance(table, Table)
    return table


def carried_columns(name: str) -> list[Column[Any]]:
    """The columns a change row carries: everything but local ids, counters, derived keys."""
    table = _table(name)
    names = set(table.columns.keys())
    return [
        column
        for column in table.columns
        if column.name not in LOCAL_COLUMNS
        and not (column.name.endswith("_key") and column.name[:-4] in names)
    ]


def _raw(column: Column[Any]) -> Any:
    """Dates and times selected as the text SQLite stores (no datetime objects made)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Date | DateTime):
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
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, DateTime):
        return _stored_moment
    return _same  # dates are stored as ISO text already; numbers and text as they are


def _out(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _bool(value: Any, _kind: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _integer(value: Any, _kind: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _number(value: Any, _kind: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _moment(value: Any, _kind: Any) -> str:
    """A moment with its zone, as the text SQLite stores for it (naive UTC, microseconds)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _day(value: Any, _kind: Any) -> str:
    """A date, checked, as the ISO text SQLite stores for it."""
    if not isinstance(value, str) or len(value) != 10:
        raise TypeError
    return date.fromisoformat(value).isoformat()


def _string(value: Any, kind: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    if len(value) > (getattr(kind, "length", None) or 100_000):
        raise ChangeError(_("A text value is longer than the database allows."))
    return value


# DateTime before Date: a DateTime is not a Date in SQLAlchemy, but keep the order explicit
_CONVERTERS: tuple[tuple[type[Any], Any], ...] = (
    (Boolean, _bool),
    (Integer, _integer),
    (Float, _number),
    (DateTime, _moment),
    (Date, _day),
    (String, _string),
    (Text, _string),
)


@dataclass(frozen=True)
class _Field:
    """How one carried column of a table is checked, worked out once per table."""

    name: str
    nullable: bool
    convert: Any
    kind: Any
    parent: bool
    choices: frozenset[str] | None


@functools.cache
def _plan(name: str) -> tuple[_Field, ...]:
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
    fields = []
    for column in carried_columns(name):
        if column.name == "uuid":
            continue
        kind = column.type
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        convert = next((c for base, c in _CONVERTERS if isinstance(kind, base)), None)
        if convert is None:  # pragma: no cover - every synced column type is listed
            raise TypeError(f"no converter for {name}.{column.name}")
        fields.append(
            _Field(
                column.name,
                bool(column.nullable),
                convert,
                kind,
                (name, column.name) in PARENTS,
                choices.get(column.name),
            )
        )
    return tuple(fields)


@functools.cache
def _field_names(name: str) -> frozenset[str]:
    return frozenset(f.name for f in _plan(name))


def _in(field: _Field, value: Any) -> Any:
    """Check and convert one value of a change row; raise ``ChangeError`` if it is wrong."""
    if value is None:
        if not field.nullable:
            raise ChangeError(_("A required value is missing."))
        return None
    if field.parent:
        return _record_id(value)
    try:
        converted = field.convert(value, field.kind)
    except (TypeError, ValueError) as error:
        raise ChangeError(_("A value has the wrong type.")) from error
    if field.choices is not None and converted not in field.choices:
        raise ChangeError(_("A change row has a value outside its list of choices."))
    return converted


@dataclass(frozen=True)
class Change:
    table: str
    record_id: str
    counter: int
    deleted: bool
    data: Mapping[str, Any]


def read_changes(
    session: Session, owner_unit_id: int, after: int, until: int | None = None
) -> list[dict[str, Any]]:
    """Change rows for every row of the unit changed after counter ``after`` (up to ``until``).

    Items of an assessment bring their assessment along, so a bundle can always be applied
    on its own, whatever arrived before it.
    """
    rows: list[dict[str, Any]] = []
    exported: set[str] = set()
    needed_parents: set[str] = set()
    for name in SYNC_MODELS:
        table = _table(name)
        columns = carried_columns(name)
        selected: list[Any] = [table.c.change_seq, *columns]
        parent_columns = {c: p for (t, c), p in PARENTS.items() if t == name}
        joins: Any = table
        for fk, parent in parent_columns.items():
            parent_table = _table(parent).alias(f"parent_{fk}")
            joins = joins.join(parent_table, parent_table.c.id == table.c[fk])
            selected.append(parent_table.c.uuid.label(f"__parent_{fk}"))
        condition = table.c.change_seq > after
        if until is not None:
            condition = condition & (table.c.change_seq <= until)
        # plain tuples and the stored text of dates: the fast path for big exports
        names = [c.name for c in columns]
        selected[1 : 1 + len(columns)] = [_raw(c) for c in columns]
        query = select(*selected).select_from(joins).where(table.c.owner_unit_id == owner_unit_id)
        converters = [_text_converter(c) for c in columns]
        parents_at = {names.index(fk): 1 + len(columns) + n for n, fk in enumerate(parent_columns)}
        for row in session.execute(query.where(condition)):
            values = [convert(v) for convert, v in zip(converters, row[1:], strict=False)]
            for position, source in parents_at.items():
                values[position] = row[source]
                needed_parents.add(row[source])
            data = dict(zip(names, values, strict=True))
            record_id = data.pop("uuid")
            exported.add(record_id)
            rows.append(
                {
                    "table": name,
                    "record_id": record_id,
                    "origin_counter": row[0],
                    "op": "tombstone" if data.get("deleted_at") else "upsert",
                    "data": data,
                }
            )
    missing = needed_parents - exported
    if missing:  # parents unchanged since the baseline: re-send them at their version
        rows = _with_parents(session, owner_unit_id, rows, missing)
    return rows


def _with_parents(
    session: Session, owner_unit_id: int, rows: list[dict[str, Any]], missing: set[str]
) -> list[dict[str, Any]]:
    parents: list[dict[str, Any]] = []
    for name in sorted(set(PARENTS.values())):
        table = _table(name)
        columns = carried_columns(name)
        query = select(table.c.change_seq, *columns).where(
            table.c.owner_unit_id == owner_unit_id, table.c.uuid.in_(sorted(missing))
        )
        for row in session.execute(query).mappings():
            data = {column.name: _out(row[column.name]) for column in columns}
            record_id = data.pop("uuid")
            parents.append(
                {
                    "table": name,
                    "record_id": record_id,
                    "origin_counter": row["change_seq"],
                    "op": "tombstone" if data.get("deleted_at") else "upsert",
                    "data": data,
                }
            )
    order = list(SYNC_MODELS)
    return sorted(parents + rows, key=lambda r: order.index(r["table"]))


def encode(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for row in rows
    )


UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _record_id(value: Any) -> str:
    """A record id in the canonical lowercase UUID form, nothing else."""
    if not isinstance(value, str) or not UUID_TEXT.fullmatch(value):
        raise ChangeError(_("A change row has an invalid record id."))
    return value


def parse_change(document: Any, to_counter: int) -> Change:
    """One decoded NDJSON line, checked field by field."""
    if not isinstance(document, dict) or set(document) != {
        "table",
        "record_id",
        "origin_counter",
        "op",
        "data",
    }:
        raise ChangeError(_("A change row is not in the expected form."))
    name = document["table"]
    if name not in SYNC_MODELS:
        raise ChangeError(_("A change row names an unknown table."))
    record_id = _record_id(document["record_id"])
    counter = document["origin_counter"]
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 < counter <= to_counter:
        raise ChangeError(_("A change row has a version outside the bundle's range."))
    data = document["data"]
    if not isinstance(data, dict) or data.keys() != _field_names(name):
        raise ChangeError(_("A change row does not have the fields of its table."))
    clean = {field.name: _in(field, data[field.name]) for field in _plan(name)}
    op = document["op"]
    if op not in ("upsert", "tombstone") or (op == "tombstone") != (
        clean.get("deleted_at") is not None
    ):
        raise ChangeError(_("A change row has an invalid operation."))
    return Change(name, record_id, counter, op == "tombstone", clean)


def parse_records(blob: bytes, to_counter: int) -> list[Change]:
    from app.sync.envelope import SignedMessageError, strict_json

    changes: list[Change] = []
    seen: set[str] = set()
    for number, line in enumerate(blob.split(b"\n"), start=1):
        if not line:
            continue
        if len(line) > MAX_LINE:
            raise ChangeError(_("A change row is too long."))
        try:
            change = parse_change(strict_json(line), to_counter)
        except (ChangeError, SignedMessageError) as error:
            raise ChangeError(
                _("Change row {n}: {problem}").format(n=number, problem=str(error))
            ) from error
        if change.record_id in seen:
            raise ChangeError(_("The bundle lists the same record twice."))
        seen.add(change.record_id)
        changes.append(change)
    if blob and not blob.endswith(b"\n"):
        raise ChangeError(_("The list of changes is cut short."))
    return changes


@dataclass
class ApplySummary:
    """What applying one bundle did (or would do), per outcome and per table."""

    new: int = 0
    updated: int = 0
    duplicate: int = 0
    conflict: int = 0
    by_table: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def count(self, table: str, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        counts = self.by_table.setdefault(table, {})
        counts[outcome] = counts.get(outcome, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "updated": self.updated,
            "duplicate": self.duplicate,
            "conflict": self.conflict,
            "by_table": self.by_table,
            "conflicts": self.conflicts[:50],
        }


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _natural_key_columns(name: str) -> list[list[str]]:
    from sqlalchemy import UniqueConstraint

    keys = []
    for constraint in _table(name).constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = [c.name for c in constraint.columns]
            if columns != ["uuid"]:
                keys.append(columns)
    return keys


def apply_changes(
    session: Session,
    changes: Sequence[Change],
    station_id: str,
    unit_id: int,
    instance_id: str,
) -> ApplySummary:
    """Merge ``changes`` from one ward into the province database (highest version wins).

    The rows are always written: a dry run applies them the same way inside a transaction
    that it then rolls back, so a preview counts exactly what the import will do (an
    assessment's items find the assessment written just before them, for instance).
    """
    summary = ApplySummary()
    by_table: dict[str, list[Change]] = {}
    for change in changes:
        by_table.setdefault(change.table, []).append(change)
    for name in SYNC_MODELS:
        if name in by_table:
            _apply_table(session, name, by_table[name], station_id, unit_id, instance_id, summary)
    return summary


def _apply_table(
    session: Session,
    name: str,
    changes: list[Change],
    station_id: str,
    unit_id: int,
    instance_id: str,
    summary: ApplySummary,
) -> None:
    table = _table(name)
    versions: Any = RecordVersion.__table__
    parent_ids = _parent_ids(session, name, changes, unit_id)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    version_rows: list[dict[str, Any]] = []
    natural_keys = _natural_key_columns(name)
    pending_keys: set[tuple[Any, ...]] = set()
    for part in _chunks(changes):
        ids = [c.record_id for c in part]
        known = {
            row.record_uuid: row
            for row in session.execute(select(versions).where(versions.c.record_uuid.in_(ids)))
        }
        present = {
            row.uuid: row
            for row in session.execute(
                select(table.c.uuid, table.c.owner_unit_id).where(table.c.uuid.in_(ids))
            )
        }
        for change in part:
            values = dict(change.data)
            for (child, column), _parent in PARENTS.items():
                if child == name:
                    parent_id = parent_ids.get(str(values[column]))
                    if parent_id is None:
                        summary.count(name, "conflict")
                        summary.conflicts.append(
                            _("{table} {id}: its parent record is missing.").format(
                                table=table_title(name, KIND_OF_TABLE), id=change.record_id
                            )
                        )
                        break
                    values[column] = parent_id
            else:
                _classify(
                    session,
                    name,
                    table,
                    change,
                    values,
                    known,
                    present,
                    natural_keys,
                    pending_keys,
                    station_id,
                    unit_id,
                    instance_id,
                    summary,
                    inserts,
                    updates,
                    version_rows,
                )
    _write(session, table, versions, inserts, updates, version_rows)


def _parent_ids(
    session: Session, name: str, changes: Sequence[Change], unit_id: int
) -> dict[str, int]:
    """Province row ids of the parents (by uuid) the changes of table ``name`` refer to."""
    parent_ids: dict[str, int] = {}
    for (child, column), parent in PARENTS.items():
        if child != name:
            continue
        wanted = sorted({str(c.data[column]) for c in changes})
        parent_table = _table(parent)
        for part in _chunks(wanted):
            for uuid_value, row_id in session.execute(
                select(parent_table.c.uuid, parent_table.c.id).where(
                    parent_table.c.uuid.in_(part), parent_table.c.owner_unit_id == unit_id
                )
            ):
                parent_ids[uuid_value] = row_id
    return parent_ids


def _write(
    session: Session,
    table: Any,
    versions: Any,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    version_rows: list[dict[str, Any]],
) -> None:
    """Plain DB-API executemany: the values are already checked and in their stored form
    (dates and times as text), so SQLAlchemy's per-row binding would only cost time."""
    connection = session.connection()
    if inserts:
        last = next_change_seq(session, len(inserts))
        for offset, row in enumerate(inserts):
            row["change_seq"] = last - len(inserts) + 1 + offset
        names = list(inserts[0])
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [tuple(row[n] for n in names) for row in inserts],
        )
    if updates:
        last = next_change_seq(session, len(updates))
        for offset, row in enumerate(updates):
            row["change_seq"] = last - len(updates) + 1 + offset
        names = [n for n in updates[0] if n != "b_uuid"]
        connection.exec_driver_sql(
            f"UPDATE {table.name} SET {', '.join(f'{n} = ?' for n in names)} WHERE uuid = ?",
            [(*(row[n] for n in names), row["b_uuid"]) for row in updates],
        )
    if version_rows:
        connection.exec_driver_sql(
            f"INSERT INTO {versions.name} (record_uuid, table_name, station_id, "
            "origin_instance, origin_counter) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (record_uuid) DO UPDATE SET origin_instance = excluded.origin_instance, "
            "origin_counter = excluded.origin_counter",
            [
                (
                    r["record_uuid"],
                    r["table_name"],
                    r["station_id"],
                    r["origin_instance"],
                    r["origin_counter"],
                )
                for r in version_rows
            ],
        )


def _foreign(summary: ApplySummary, name: str, record_id: str) -> None:
    """A row whose id the province holds for another station (or unit): a conflict for the
    sender only; the other station's record and its version are left as they are."""
    summary.count(name, "conflict")
    summary.conflicts.append(
        _("{table} {id}: a record with this id already belongs to another unit.").format(
            table=table_title(name, KIND_OF_TABLE), id=record_id
        )
    )


def _classify(
    session: Session,
    name: str,
    table: Table,
    change: Change,
    values: dict[str, Any],
    known: Mapping[str, Any],
    present: Mapping[str, Any],
    natural_keys: list[list[str]],
    pending_keys: set[tuple[Any, ...]],
    station_id: str,
    unit_id: int,
    instance_id: str,
    summary: ApplySummary,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    version_rows: list[dict[str, Any]],
) -> None:
    kind_code = KIND_OF_TABLE.get(name)
    if kind_code is not None:
        values.update(derived_values(kind_by_code(kind_code), values))
    previous = known.get(change.record_id)
    if previous is None and change.record_id in present:
        _foreign(summary, name, change.record_id)
        return
    version_row = {
        "record_uuid": change.record_id,
        "table_name": name,
        "station_id": station_id,
        "origin_instance": instance_id,
        "origin_counter": change.counter,
    }
    if previous is not None:
        if previous.station_id != station_id or previous.table_name != name:
            _foreign(summary, name, change.record_id)
            return
        if (change.counter, instance_id) <= (previous.origin_counter, previous.origin_instance):
            summary.count(name, "duplicate")
            return
        updates.append({"b_uuid": change.record_id, **values})
        version_rows.append(version_row)
        summary.count(name, "updated")
        return
    for columns in natural_keys:
        key = {c: (unit_id if c == "owner_unit_id" else values.get(c)) for c in columns}
        clash = session.execute(
            select(table.c.uuid).where(*(table.c[c] == v for c, v in key.items()))
        ).first()
        marker = (tuple(columns), *key.values())
        if clash is not None or marker in pending_keys:
            summary.count(name, "conflict")
            summary.conflicts.append(
                _("{table} {id}: another record already holds the same entry.").format(
                    table=table_title(name, KIND_OF_TABLE), id=change.record_id
                )
            )
            return
    for columns in natural_keys:
        key_values = (unit_id if c == "owner_unit_id" else values.get(c) for c in columns)
        pending_keys.add((tuple(columns), *key_values))
    inserts.append({"uuid": change.record_id, "owner_unit_id": unit_id, **values})
    version_rows.append(version_row)
    summary.count(name, "new")
