"""Checking the audit trail: recompute every entry's hash in order and find the first break.

The same walk checks a station's own log (:func:`verify`) and, at the province, the copy of a
ward's log that its bundles carried (``sync_province.ward_audit_check``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import audit
from app.db.engine import Database
from app.db.merge import insert_rows
from app.db.sync_models import SyncStation, WardAuditEntry, WardAuditRewrite
from app.i18n import _
from app.sync.bundle import AuditLine, AuditRange
from app.sync.envelope import canonical

# what each kind of break means, for the officer ({n}: the entry, {total}: the head's count)
MISSING = "missing"
ORDER = "order"
CHANGED = "changed"
CUT = "cut"
REWRITTEN = "rewritten"


@dataclass(frozen=True)
class AuditCheck:
    entries: int
    ok: bool
    broken_at: int | None = None  # the first entry that does not follow from the ones before
    problem: str = ""
    kind: str = ""  # one of MISSING, ORDER, CHANGED, CUT, REWRITTEN when broken


def describe(kind: str, entry: int, total: int = 0) -> str:
    """The officer's sentence for a break of ``kind`` at ``entry`` (``total``: entries the
    log's head says were written, for a cut-off end)."""
    if kind == MISSING:
        return _("Entry {n} is missing: entries were deleted.").format(n=entry)
    if kind == ORDER:
        return _(
            "Entry {n} does not follow the one before it: entries were removed or reordered."
        ).format(n=entry)
    if kind == CHANGED:
        return _("Entry {n} was changed after it was written.").format(n=entry)
    if kind == CUT:
        return _(
            "The log ends at entry {n}, but {total} were written: entries were cut off the end."
        ).format(n=entry - 1, total=total)
    return _(
        "Entry {n} arrived again with different content: the ward's history was rewritten "
        "(for example after restoring an old backup)."
    ).format(n=entry)


def broken(kind: str, entry: int, total: int = 0) -> AuditCheck:
    return AuditCheck(entry - 1, False, entry, describe(kind, entry, total), kind)


def check_chain(rows: Iterable[Any], head: tuple[int, str] | None) -> AuditCheck:
    """Walk ``rows`` — (id, at, actor, action, table, record uuid, changes, prev_hash, hash),
    ordered by id — from the first entry; an edited, deleted, inserted or
    reordered entry, or (when the ``head`` (count, last hash) is known) entries cut off the
    end, make it fail at the first place it no longer holds."""
    previous = audit.GENESIS
    expected = 0
    for row in rows:
        expected += 1
        number, at, actor, action, table, record, changes, prev_hash, digest = row
        if number != expected:
            return broken(MISSING, expected)
        if prev_hash != previous:
            return broken(ORDER, number)
        if audit.entry_hash(number, at, actor, action, table, record, changes, prev_hash) != digest:
            return broken(CHANGED, number)
        previous = digest
    if head is not None and (expected, previous) != head:
        return broken(CUT, expected + 1, head[0])
    return AuditCheck(expected, True)


def verify(db: Database) -> AuditCheck:
    """Check this station's own audit trail against its recorded head."""
    with db.read() as session:
        head = audit._head(session)
        entry = audit.AuditEntry
        rows = session.execute(audit.chain_select(entry, entry.id).order_by(entry.id))
        return check_chain(rows, head)


# -- at the province: the copies of the wards' logs --------------------------------------------

SHORTENED = "shortened"
# when two breaks are found at the same entry, the more telling one is reported
_PRIORITY = (REWRITTEN, CHANGED, ORDER, MISSING, SHORTENED, CUT)


@dataclass(frozen=True)
class StoredAudit:
    """What one bundle's audit section did at the province."""

    new: int = 0
    same: int = 0
    rewritten: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"new": self.new, "same": self.same, "rewritten": self.rewritten}


def _content(line: AuditLine) -> tuple[object, ...]:
    return (
        line.id,
        line.at.astimezone(UTC).isoformat(),
        line.actor,
        line.action,
        line.table_name,
        line.record_uuid,
        line.changes,
        line.prev_hash,
        line.hash,
    )


_CONTENT_COLUMNS = (
    WardAuditEntry.entry_id,
    WardAuditEntry.at,
    WardAuditEntry.actor,
    WardAuditEntry.action,
    WardAuditEntry.table_name,
    WardAuditEntry.record_uuid,
    WardAuditEntry.changes,
    WardAuditEntry.prev_hash,
    WardAuditEntry.hash,
)


def store_ward_entries(
    session: Session,
    station: SyncStation,
    seq: int,
    instance_id: str,
    bundle_id: str,
    span: AuditRange,
    lines: Sequence[AuditLine],
    now: datetime,
) -> StoredAudit:
    """Keep a bundle's audit entries for ``station``: a number not held yet is added, the same
    entry again changes nothing, an entry with other content under a number already held is
    kept aside as a rewrite (evidence), never over the first one."""
    if seq >= station.audit_head_seq:
        station.audit_head = f"{span.head_count}:{span.head_hash}"
        station.audit_head_seq = seq
    if not lines:
        return StoredAudit()
    session.flush()  # entries of an earlier bundle of this batch count as held
    held = {
        row[0]: _content(AuditLine(*row))
        for row in session.execute(
            select(*_CONTENT_COLUMNS).where(
                WardAuditEntry.station_id == station.station_id,
                WardAuditEntry.entry_id.between(lines[0].id, lines[-1].id),
            )
        )
    }
    new: list[dict[str, Any]] = []
    same = rewritten = 0
    for line in lines:
        fields = {
            "station_id": station.station_id,
            "entry_id": line.id,
            "at": line.at,
            "actor": line.actor,
            "action": line.action,
            "table_name": line.table_name,
            "record_uuid": line.record_uuid,
            "changes": line.changes,
            "prev_hash": line.prev_hash,
            "hash": line.hash,
            "bundle_id": bundle_id,
            "instance_id": instance_id,
            "received_at": now,
        }
        content = held.get(line.id)
        if content is None:
            new.append(fields)
        elif content == _content(line):
            same += 1
        else:
            rewritten += 1
            _keep_rewrite(session, fields, _content(line))
    if new:  # one executemany: a ward's first bundle carries its whole log
        insert_rows(session, WardAuditEntry.__table__, new)
    session.flush()
    return StoredAudit(len(new), same, rewritten)


def _keep_rewrite(session: Session, fields: dict[str, Any], content: tuple[object, ...]) -> None:
    digest = hashlib.sha256(canonical(list(content))).hexdigest()
    known = session.execute(
        select(WardAuditRewrite.id).where(
            WardAuditRewrite.station_id == fields["station_id"],
            WardAuditRewrite.entry_id == fields["entry_id"],
            WardAuditRewrite.content_sha256 == digest,
        )
    ).first()
    if known is None:
        session.add(WardAuditRewrite(**fields, content_sha256=digest))


def _head(text: str) -> tuple[int, str] | None:
    count, _sep, last = text.partition(":")
    return (int(count), last) if count.isdigit() else None


def _head_check(session: Session, station: SyncStation, held_last: int) -> AuditCheck | None:
    """The head the ward's newest bundle reported, against the entries held here."""
    head = _head(station.audit_head)
    if head is None:
        return None
    count, last_hash = head
    if count > held_last:
        return broken(CUT, held_last + 1, count)
    held_hash = (
        audit.GENESIS
        if count == 0
        else session.execute(
            select(WardAuditEntry.hash).where(
                WardAuditEntry.station_id == station.station_id, WardAuditEntry.entry_id == count
            )
        ).scalar_one_or_none()
    )
    if held_hash is not None and held_hash != last_hash:
        return broken(REWRITTEN, max(count, 1))
    if count < held_last:
        return AuditCheck(
            count,
            False,
            count + 1,
            _(
                "The ward's log now ends at entry {n}, but entries up to {total} were received "
                "here: entries were removed at the ward."
            ).format(n=count, total=held_last),
            SHORTENED,
        )
    return None


def check_ward(session: Session, station: SyncStation) -> tuple[AuditCheck, int]:
    """Check the copy of a ward's audit log held here: the chain itself, entries that arrived
    again with other content, and the head its newest bundle reported. Returns the first
    break (or ok) and how many entries are held."""
    entry = WardAuditEntry
    rows = session.execute(
        audit.chain_select(entry, entry.entry_id)
        .where(entry.station_id == station.station_id)
        .order_by(entry.entry_id)
    ).all()
    held_last = rows[-1][0] if rows else 0
    found = [check_chain(rows, None)]
    first_rewrite = session.execute(
        select(func.min(WardAuditRewrite.entry_id)).where(
            WardAuditRewrite.station_id == station.station_id
        )
    ).scalar()
    if first_rewrite is not None:
        found.append(broken(REWRITTEN, first_rewrite))
    head = _head_check(session, station, held_last)
    if head is not None:
        found.append(head)
    problems = [c for c in found if not c.ok and c.broken_at is not None]
    if not problems:
        return AuditCheck(len(rows), True), len(rows)
    first = min(problems, key=lambda c: (c.broken_at or 0, _PRIORITY.index(c.kind)))
    return first, len(rows)


def record_ward_check(session: Session, station: SyncStation) -> AuditCheck:
    """Check a ward's log and keep the result on its station row (what the overview shows)."""
    check, held = check_ward(session, station)
    station.audit_entries = held
    station.audit_broken_at = check.broken_at
    station.audit_problem = check.kind
    return check


@dataclass(frozen=True)
class AuditRow:
    """One entry of an audit trail, the station's own or a ward's as held here; ``rewrites``:
    how many other versions of the same entry number arrived later (wards only)."""

    entry_id: int
    at: datetime
    actor: str
    action: str
    table_name: str
    changes: str
    rewrites: int = 0
    rewritten_from: str = ""  # for a rewrite: the bundle that brought it


def latest_entries(db: Database, limit: int | None = None) -> list[AuditRow]:
    """The station's own latest audit entries, newest first (all of them without ``limit``)."""
    with db.read() as session:
        return [
            AuditRow(e.id, e.at, e.actor, e.action, e.table_name, e.changes)
            for e in audit.entries(session, limit)
        ]


def ward_entries(db: Database, station_id: str, limit: int = 500) -> list[AuditRow]:
    """The latest entries of a ward's audit trail held here, newest first."""
    with db.read() as session:
        rows = session.execute(
            select(WardAuditEntry)
            .where(WardAuditEntry.station_id == station_id)
            .order_by(WardAuditEntry.entry_id.desc())
            .limit(limit)
        ).scalars()
        rewrites: dict[int, int] = {
            entry_id: count
            for entry_id, count in session.execute(
                select(WardAuditRewrite.entry_id, func.count())
                .where(WardAuditRewrite.station_id == station_id)
                .group_by(WardAuditRewrite.entry_id)
            )
        }
        return [
            AuditRow(
                r.entry_id,
                r.at,
                r.actor,
                r.action,
                r.table_name,
                r.changes,
                rewrites.get(r.entry_id, 0),
            )
            for r in rows
        ]


def ward_rewrites(db: Database, station_id: str) -> list[AuditRow]:
    """Entries that arrived again with other content (evidence of a rewritten history)."""
    with db.read() as session:
        rows = session.execute(
            select(WardAuditRewrite)
            .where(WardAuditRewrite.station_id == station_id)
            .order_by(WardAuditRewrite.entry_id, WardAuditRewrite.id)
        ).scalars()
        return [
            AuditRow(r.entry_id, r.at, r.actor, r.action, r.table_name, r.changes, 0, r.bundle_id)
            for r in rows
        ]
