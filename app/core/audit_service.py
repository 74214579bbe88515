"""Checking the audit trail: recompute every entry's hash in order and find the first break."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.db import audit
from app.db.engine import Database
from app.i18n import _


@dataclass(frozen=True)
class AuditCheck:
    entries: int
    ok: bool
    broken_at: int | None = None  # the first entry that does not follow from the ones before
    problem: str = ""


def verify(db: Database) -> AuditCheck:
    """Walk the chain from the first entry; an edited, deleted, inserted or reordered entry,
    or entries cut off the end, make it fail at the first place it no longer holds."""
    with db.read() as session:
        count, head = audit._head(session)
        previous = audit.GENESIS
        expected = 0
        rows = session.execute(select(audit.AuditEntry).order_by(audit.AuditEntry.id))
        for entry in rows.scalars():
            expected += 1
            if entry.id != expected:
                return AuditCheck(
                    expected - 1,
                    False,
                    expected,
                    _("Entry {n} is missing: entries were deleted.").format(n=expected),
                )
            if entry.prev_hash != previous:
                return AuditCheck(
                    expected - 1,
                    False,
                    entry.id,
                    _(
                        "Entry {n} does not follow the one before it: entries were removed or "
                        "reordered."
                    ).format(n=entry.id),
                )
            digest = audit.entry_hash(
                entry.id,
                entry.at,
                entry.actor,
                entry.action,
                entry.table_name,
                entry.record_uuid,
                entry.changes,
                entry.prev_hash,
            )
            if digest != entry.hash:
                return AuditCheck(
                    expected - 1,
                    False,
                    entry.id,
                    _("Entry {n} was changed after it was written.").format(n=entry.id),
                )
            previous = entry.hash
        if (expected, previous) != (count, head):
            return AuditCheck(
                expected,
                False,
                expected + 1,
                _(
                    "The log ends at entry {n}, but {total} were written: entries were cut "
                    "off the end."
                ).format(n=expected, total=count),
            )
        return AuditCheck(expected, True)
