"""A month the chief locked keeps its records: a record dated inside it (by the date its
indicators count it under: a session's day, a camera's installation day, …) is not added,
edited, deleted, restored or imported by an officer; the chief may do it after confirming, and
that override is written to the audit trail in the same transaction.

Only the dates the installed indicator definitions use place a record in a month. Changes that
alter a locked month's figures otherwise (a team's status counts in every month, because the
stock of teams is recounted from the current register) are not refused here; the chief's
approval of the month, which covers every figure, shows them as "changed since approval".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.domain.access import Actor, Permission
from app.core.domain.errors import UserFacingError
from app.core.domain.packs.model import Pack
from app.core.domain.periods import month_of
from app.core.services.approvals import MONTH, month_key
from app.db import audit
from app.db.approval_models import Approval
from app.db.pack_models import PeriodLock
from app.i18n import _

OVERRIDE = "lock-override"  # the audit action of a chief's confirmed change in a locked month
SHOWN_RECORDS = 20  # record ids the audit entry names; the count is always complete


class LockedMonthError(UserFacingError):
    """A record change touches a locked month. ``needs_confirmation``: the acting user may make
    it (the chief) once confirmed; otherwise it is refused."""

    def __init__(
        self, months: Sequence[tuple[int, int]], needs_confirmation: bool, message: str, hint: str
    ) -> None:
        super().__init__(message, hint=hint)
        self.months = tuple(months)
        self.needs_confirmation = needs_confirmation


@dataclass(frozen=True)
class DatedBy:
    """The date fields that place a kind's records in a month, and the month cut-off day."""

    fields: tuple[str, ...]
    cutoff: int


def dated_by(packs: Iterable[Pack], kind_code: str) -> DatedBy:
    """What the installed indicators count ``kind_code`` records under (events by their day,
    timed stocks by their start day)."""
    with_indicators = sorted((p for p in packs if p.indicators), key=lambda p: p.pack_id)
    cutoff = with_indicators[0].month_start_day if with_indicators else 15
    fields: dict[str, None] = {}
    for pack in with_indicators:
        for indicator in pack.indicators:
            source = indicator.source
            if source is None or source.kind != kind_code:
                continue
            for name in (source.date_field, source.since_field):
                if name:
                    fields[name] = None
    return DatedBy(tuple(fields), cutoff)


def month_text(months: Sequence[tuple[int, int]]) -> str:
    return ", ".join(f"{month}/{year}" for year, month in months)


def locked(session: Session, unit_id: int) -> dict[tuple[int, int], str]:
    """The unit's locked months, (year, month) → the lock's uuid."""
    rows = session.execute(
        select(PeriodLock.year, PeriodLock.month, PeriodLock.uuid).where(
            PeriodLock.owner_unit_id == unit_id, PeriodLock.locked.is_(True)
        )
    )
    return {(year, month): uuid for year, month, uuid in rows}


def touched(dated: DatedBy, versions: Iterable[Mapping[str, Any]]) -> set[tuple[int, int]]:
    """The months the dates of ``versions`` (a record before and after a change) fall in."""
    months = set()
    for values in versions:
        for name in dated.fields:
            day = values.get(name)
            if isinstance(day, date):
                months.add(month_of(day, dated.cutoff))
    return months


@dataclass(frozen=True)
class Change:
    """A record change to check: who makes it, on which records, whether the chief confirmed."""

    actor: Actor
    author: str
    unit_id: int
    kind_code: str
    verb: str  # create | update | delete | restore | import
    confirmed: bool = False


def _confirmation(session: Session, unit_id: int, months: Sequence[tuple[int, int]]) -> str:
    """What the chief is asked to confirm: say that the month's figures are approved only when
    an approval of them exists (it may be stale; the approval bar tells which)."""
    refs = [month_key(year, month) for year, month in months]
    approved = session.execute(
        select(Approval.id).where(
            Approval.owner_unit_id == unit_id,
            Approval.subject == MONTH,
            Approval.subject_ref.in_(refs),
        )
    ).first()
    if approved is not None:
        return _(
            "Month {months} is locked and its figures were approved. Changing its records "
            "changes those figures: the approval will show as changed since approval."
        )
    return _("Month {months} is locked. Changing its records changes its figures.")


def guard(
    session: Session,
    change: Change,
    dated: DatedBy,
    versions: Iterable[Mapping[str, Any]],
    records: Sequence[str],
) -> None:
    """Refuse ``change`` if the dates of ``versions`` fall in a locked month, unless the chief
    confirmed it; a confirmed override is audited. Call inside the write transaction."""
    if not dated.fields:
        return
    held = locked(session, change.unit_id)
    if not held:
        return
    months = sorted(touched(dated, versions) & set(held))
    if not months:
        return
    text = month_text(months)
    if not change.actor.can(Permission.LOCK_PERIOD):
        raise LockedMonthError(
            months,
            False,
            _(
                "Month {months} is locked: records dated in it cannot be added, changed or deleted."
            ).format(months=text),
            _("Ask the chief to make the change, or to unlock the month."),
        )
    if not change.confirmed and not change.actor.trusted:
        raise LockedMonthError(
            months,
            True,
            _confirmation(session, change.unit_id, months).format(months=text),
            _("Confirm to make the change anyway; it is recorded in the audit trail."),
        )
    entries = [
        (
            change.author,
            OVERRIDE,
            PeriodLock.__tablename__,
            held[month],
            {
                "month": [None, f"{month[1]}/{month[0]}"],
                "kind": [None, change.kind_code],
                "action": [None, change.verb],
                "count": [None, len(records)],
                "records": [None, ", ".join(records[:SHOWN_RECORDS])],
            },
        )
        for month in months
    ]
    audit.append(session, entries)
    session.flush()  # the chain head moves on before the records it speaks of are written
