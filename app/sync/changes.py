"""Ward rows as sync change rows: reading them for an export, encoding and parsing them.

A change row carries one record's *current* state and its version (the ward's change counter).
Every ward record has one writer, its ward, so merging keeps the highest version: applying
bundles twice, or in any order, ends in the same state (signing-sync.md §2.8). Counts at the
province are always recounted from these rows, never incremented on import. Applying them at
the province is ``app.sync.merge``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    Text,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from app.core.errors import UserFacingError
from app.core.records import kind_by_code
from app.db.merge import apply_changes as apply_changes
from app.db.models import RECORD_MODELS as RECORD_MODELS
from app.db.sync_tables import KIND_OF_TABLE as KIND_OF_TABLE
from app.db.sync_tables import PARENTS as PARENTS
from app.db.sync_tables import SYNC_MODELS as SYNC_MODELS
from app.db.sync_tables import Change as Change
from app.db.sync_tables import sync_table
from app.i18n import _

MAX_LINE = 1 << 20
LOCAL_COLUMNS = {"id", "owner_unit_id", "change_seq", "search_text"}


class ChangeError(UserFacingError):
    """A change row that breaks the format; the message is Vietnamese for the officer."""


_table = sync_table


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
