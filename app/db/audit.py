"""The audit trail: every change to a synced row (who, when, what, old → new), appended to a
hash-chained log in the same transaction as the change itself.

Each entry's hash covers its own content and the previous entry's hash, so editing, deleting
or reordering an entry breaks the chain from that point; the chain's head (entry count and
last hash) is kept beside it so cutting entries off the end is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, String, Text, event, inspect, select
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from app.db.base import Base
from app.db.models import AppMeta, SyncedRow

HEAD_KEY = "audit_head"  # "<count>:<hash of the last entry>"
GENESIS = "0" * 64
# bookkeeping columns: recorded elsewhere in the entry or derived from the others
SKIPPED = {
    "id",
    "change_seq",
    "search_text",
    "updated_at",
    "updated_by",
    "created_at",
    "created_by",
    "owner_unit_id",
}


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))  # create | update | delete | restore | …
    table_name: Mapped[str] = mapped_column(String(40))
    record_uuid: Mapped[str] = mapped_column(String(36))
    changes: Mapped[str] = mapped_column(Text)  # JSON {field: [old, new]}
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_HASHED_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # made once


def entry_hash(
    number: int,
    at: datetime,
    actor: str,
    action: str,
    table: str,
    record: str,
    changes: str,
    prev_hash: str,
) -> str:
    body = _HASHED_JSON.encode(
        [number, at.astimezone(UTC).isoformat(), actor, action, table, record, changes, prev_hash]
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _head(session: Session) -> tuple[int, str]:
    row = session.get(AppMeta, HEAD_KEY)
    if row is None:
        return 0, GENESIS
    count, last = row.value.split(":", 1)
    return int(count), last


def append(
    session: Session,
    entries: Iterable[tuple[str, str, str, str, Mapping[str, Any]]],
    at: datetime | None = None,
) -> int:
    """Append ``(actor, action, table, record uuid, changes)`` entries; return how many."""
    count, last = _head(session)
    moment = at or datetime.now(UTC)
    added = 0
    for actor, action, table, record, changes in entries:
        count += 1
        text = json.dumps(
            {k: [_plain(v[0]), _plain(v[1])] for k, v in changes.items()},
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        digest = entry_hash(count, moment, actor, action, table, record, text, last)
        session.add(
            AuditEntry(
                id=count,
                at=moment,
                actor=actor,
                action=action,
                table_name=table,
                record_uuid=record,
                changes=text,
                prev_hash=last,
                hash=digest,
            )
        )
        last = digest
        added += 1
    if added:
        head = session.get(AppMeta, HEAD_KEY)
        value = f"{count}:{last}"
        if head is None:
            session.add(AppMeta(key=HEAD_KEY, value=value))
        else:
            head.value = value
    return added


def _changes(row: SyncedRow, new: bool) -> tuple[str, dict[str, Any]]:
    state = inspect(row)
    changes: dict[str, Any] = {}
    deleted_before = deleted_after = None
    for attribute in state.mapper.column_attrs:
        name = attribute.key
        if name in SKIPPED or name.endswith("_key"):
            continue
        history = state.attrs[name].history
        if new:
            value = getattr(row, name)
            if value is not None and name != "uuid":
                changes[name] = [None, value]
            continue
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        value = history.added[0] if history.added else None
        if name == "deleted_at":
            deleted_before, deleted_after = old, value
        if old != value:
            changes[name] = [old, value]
    if new:
        return "create", changes
    if deleted_before is None and deleted_after is not None:
        return "delete", changes
    if deleted_before is not None and deleted_after is None:
        return "restore", changes
    return "update", changes


@event.listens_for(Session, "before_flush")
def _audit_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    entries = []
    for row in list(session.new):
        if isinstance(row, SyncedRow):
            action, changes = _changes(row, True)
            entries.append(
                (row.updated_by or row.created_by, action, row.__tablename__, row.uuid, changes)
            )
    for row in list(session.dirty):
        if isinstance(row, SyncedRow) and session.is_modified(row):
            action, changes = _changes(row, False)
            if changes:
                entries.append((row.updated_by, action, row.__tablename__, row.uuid, changes))
    if entries:
        append(session, entries)


CHAIN_FIELDS = (
    "at",
    "actor",
    "action",
    "table_name",
    "record_uuid",
    "changes",
    "prev_hash",
    "hash",
)


def chain_select(model: Any, number: Any) -> Any:
    """SELECT of what the chain check needs, in its order: the entry number (``number``, the
    column holding it in ``model``), then the hashed fields; for this station's log and for the
    copies of the wards' logs at the province."""
    return select(number, *(getattr(model, name) for name in CHAIN_FIELDS))


def entries(session: Session, limit: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if limit:
        query = query.limit(limit)
    return list(session.execute(query).scalars())
