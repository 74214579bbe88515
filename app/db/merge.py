"""Applying one ward's change rows at the province: the highest version wins, per station.

Every ward record has one writer, its ward (signing-sync.md §2.8). At the province a record
is known by its station's unit and its uuid, and its version by the station and the uuid
(``sync_versions``): the same uuid sent by two stations is two independent records, whichever
arrives first, each updated only by the station that sent it. A row whose uuid its own station
already sent for another table is a conflict for that station only. The rows are always
written; a dry run rolls the whole import transaction back, so its counts are the import's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, UniqueConstraint, select
from sqlalchemy.orm import Session

from app.core.domain.records import kind_by_code
from app.core.domain.sync_types import Change
from app.db.row_titles import table_title
from app.db.sync_models import RecordVersion
from app.db.sync_tables import (
    KIND_OF_TABLE,
    PARENTS,
    SYNC_MODELS,
    chunks,
    column_type,
    sync_table,
)
from app.db.tracking import derived_values, next_change_seq
from app.i18n import _


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


@dataclass(frozen=True)
class Origin:
    """Where the rows come from: the sending station, its unit here, its database instance."""

    station_id: str
    unit_id: int
    instance_id: str


def natural_key_columns(name: str) -> list[list[str]]:
    keys = []
    for constraint in sync_table(name).constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = [c.name for c in constraint.columns]
            if "uuid" not in columns:  # the record's identity, not a natural key
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
    origin = Origin(station_id, unit_id, instance_id)
    by_table: dict[str, list[Change]] = {}
    for change in changes:
        by_table.setdefault(change.table, []).append(change)
    for name in SYNC_MODELS:
        if name in by_table:
            _TableMerge(session, name, origin, summary).apply(by_table[name])
    return summary


@dataclass
class _TableMerge:
    """One table's rows of one bundle: classified, then written in bulk."""

    session: Session
    name: str
    origin: Origin
    summary: ApplySummary
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    version_rows: list[dict[str, Any]] = field(default_factory=list)
    pending_keys: set[tuple[Any, ...]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.table = sync_table(self.name)
        self.natural_keys = natural_key_columns(self.name)

    def apply(self, changes: list[Change]) -> None:
        versions: Any = RecordVersion.__table__
        parent_ids = self._parent_ids(changes)
        for part in chunks(changes):
            ids = [c.record_id for c in part]
            known = {
                row.record_uuid: row
                for row in self.session.execute(
                    select(versions).where(
                        versions.c.station_id == self.origin.station_id,
                        versions.c.record_uuid.in_(ids),
                    )
                )
            }
            present = set(
                self.session.execute(
                    select(self.table.c.uuid).where(
                        self.table.c.owner_unit_id == self.origin.unit_id,
                        self.table.c.uuid.in_(ids),
                    )
                )
                .scalars()
                .all()
            )
            for change in part:
                values = self._with_parent_ids(change, parent_ids)
                if values is not None:
                    self._classify(change, values, known.get(change.record_id), present)
        _write(self.session, self.table, versions, self.inserts, self.updates, self.version_rows)

    def _conflict(self, record_id: str, message: str) -> None:
        self.summary.count(self.name, "conflict")
        self.summary.conflicts.append(
            message.format(table=table_title(self.name, KIND_OF_TABLE), id=record_id)
        )

    def _parent_ids(self, changes: Sequence[Change]) -> dict[str, int]:
        """Province row ids of the parents (by uuid) the changes refer to, of the same unit."""
        parent_ids: dict[str, int] = {}
        for (child, column), parent in PARENTS.items():
            if child != self.name:
                continue
            wanted = sorted({str(c.data[column]) for c in changes})
            parent_table = sync_table(parent)
            for part in chunks(wanted):
                for uuid_value, row_id in self.session.execute(
                    select(parent_table.c.uuid, parent_table.c.id).where(
                        parent_table.c.uuid.in_(part),
                        parent_table.c.owner_unit_id == self.origin.unit_id,
                    )
                ):
                    parent_ids[uuid_value] = row_id
        return parent_ids

    def _with_parent_ids(
        self, change: Change, parent_ids: Mapping[str, int]
    ) -> dict[str, Any] | None:
        """The row's values with its parents' uuids replaced by their ids here (None, and a
        conflict, when a parent is missing)."""
        values = dict(change.data)
        for (child, column), _parent in PARENTS.items():
            if child == self.name:
                parent_id = parent_ids.get(str(values[column]))
                if parent_id is None:
                    self._conflict(
                        change.record_id, _("{table} {id}: its parent record is missing.")
                    )
                    return None
                values[column] = parent_id
        return values

    def _classify(
        self, change: Change, values: dict[str, Any], previous: Any, present: set[str]
    ) -> None:
        kind_code = KIND_OF_TABLE.get(self.name)
        if kind_code is not None:
            values.update(derived_values(kind_by_code(kind_code), values))
        origin = self.origin
        if self._not_the_senders(change, previous, present):
            return
        version_row = {
            "record_uuid": change.record_id,
            "table_name": self.name,
            "station_id": origin.station_id,
            "origin_instance": origin.instance_id,
            "origin_counter": change.counter,
        }
        if previous is not None:
            if (change.counter, origin.instance_id) <= (
                previous.origin_counter,
                previous.origin_instance,
            ):
                self.summary.count(self.name, "duplicate")
                return
            self.updates.append({"b_uuid": change.record_id, "b_unit": origin.unit_id, **values})
            self.version_rows.append(version_row)
            self.summary.count(self.name, "updated")
            return
        if self._holds_natural_key(values):
            self._conflict(
                change.record_id,
                _("{table} {id}: another record already holds the same entry."),
            )
            return
        self.inserts.append({"uuid": change.record_id, "owner_unit_id": origin.unit_id, **values})
        self.version_rows.append(version_row)
        self.summary.count(self.name, "new")

    def _not_the_senders(self, change: Change, previous: Any, present: set[str]) -> bool:
        """The row's id is taken here by another kind this station sent, or by a record of the
        unit this station never sent: a conflict for the sender only (what the province holds
        is left as it is)."""
        if previous is not None and previous.table_name != self.name:
            self._conflict(
                change.record_id,
                _("{table} {id}: this station already sent a record of another kind with this id."),
            )
            return True
        if previous is None and change.record_id in present:
            self._conflict(
                change.record_id,
                _(
                    "{table} {id}: the province holds a record of this unit with this id that "
                    "this station did not send."
                ),
            )
            return True
        return False

    def _holds_natural_key(self, values: Mapping[str, Any]) -> bool:
        """Another record (stored, or earlier in this bundle) has the same natural key; if
        not, the key is taken for this row."""
        markers = []
        unit_id = self.origin.unit_id
        for columns in self.natural_keys:
            key = {c: (unit_id if c == "owner_unit_id" else values.get(c)) for c in columns}
            clash = self.session.execute(
                select(self.table.c.uuid).where(*(self.table.c[c] == v for c, v in key.items()))
            ).first()
            marker = (tuple(columns), *key.values())
            if clash is not None or marker in self.pending_keys:
                return True
            markers.append(marker)
        self.pending_keys.update(markers)
        return False


def _stored_moment(value: datetime | None) -> str | None:
    """An aware moment as the text SQLAlchemy stores for it in SQLite (naive UTC)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def insert_rows(session: Session, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """One plain DB-API executemany of ``rows`` (each with the same keys, values already
    checked) into ``table``; the moments (aware datetimes) are written as the text SQLAlchemy
    would write, each different moment converted once, without its per-row binding. In the
    session's transaction."""
    if not rows:
        return
    names = list(rows[0])
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        if isinstance(column_type(table.c[name]), DateTime):
            texts = {value: _stored_moment(value) for value in set(values)}
            values = list(map(texts.__getitem__, values))
        columns.append(values)
    session.connection().exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        list(zip(*columns, strict=True)),
    )


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
        names = [n for n in updates[0] if n not in ("b_uuid", "b_unit")]
        connection.exec_driver_sql(
            f"UPDATE {table.name} SET {', '.join(f'{n} = ?' for n in names)} "
            "WHERE uuid = ? AND owner_unit_id = ?",
            [(*(row[n] for n in names), row["b_uuid"], row["b_unit"]) for row in updates],
        )
    if version_rows:
        connection.exec_driver_sql(
            f"INSERT INTO {versions.name} (record_uuid, table_name, station_id, "
            "origin_instance, origin_counter) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (station_id, record_uuid) DO UPDATE SET "
            "origin_instance = excluded.origin_instance, "
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
