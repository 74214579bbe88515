"""What the province overview says about one ward beyond its bundles: the state of its key,
and every month of a chosen year (reported or missing, locked, approved)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from app.core import approval_service as approvals
from app.core import province_audit
from app.core.province_trust import enrolled_station
from app.db.audit import AuditEntry
from app.db.engine import Database
from app.db.pack_models import IndicatorValue, PeriodLock
from app.i18n import _, ngettext


@dataclass(frozen=True)
class MonthState:
    month: int
    reported: bool  # the ward sent values for it
    due: bool  # it is over, so it should have been reported
    locked: bool
    approval: str  # approval_service state: none | approved | changed | invalid | unchecked

    @property
    def missing(self) -> bool:
        return self.due and not self.reported


def key_replaced_at(db: Database, station_id: str) -> datetime | None:
    """When the station's key was last replaced here (from the province's audit trail)."""
    with db.read() as session:
        return session.execute(
            select(AuditEntry.at)
            .where(
                AuditEntry.action == province_audit.REPLACE_KEY,
                AuditEntry.record_uuid == station_id,
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).scalar_one_or_none()


def key_status_text(status: str, cutoff: int | None, replaced_at: datetime | None) -> str:
    if status == "revoked":
        return _("revoked after bundle {seq}").format(seq=cutoff or 0)
    if replaced_at is not None:
        return _("active (key replaced {date})").format(date=f"{replaced_at.astimezone():%d/%m/%Y}")
    return _("active")


def year_months(db: Database, station_id: str, year: int, today: date) -> list[MonthState]:
    """Months 1–12 of ``year`` for a ward: a month is due once it is over."""
    with db.read() as session:
        entry = enrolled_station(session, station_id)
        reported = {
            m
            for (m,) in session.execute(
                select(IndicatorValue.month)
                .where(
                    IndicatorValue.owner_unit_id == entry.unit_id,
                    IndicatorValue.year == year,
                    IndicatorValue.deleted_at.is_(None),
                    IndicatorValue.value.is_not(None),
                )
                .distinct()
            )
        }
        locked = {
            m
            for (m,) in session.execute(
                select(PeriodLock.month).where(
                    PeriodLock.owner_unit_id == entry.unit_id,
                    PeriodLock.year == year,
                    PeriodLock.locked.is_(True),
                    PeriodLock.deleted_at.is_(None),
                )
            )
        }
        states = {
            state.key: state.state
            for state in approvals.approval_states(
                session, entry.unit_id, [entry.signing_key], subject=approvals.MONTH
            )
        }
    return [
        MonthState(
            month=m,
            reported=m in reported,
            due=(year, m) < (today.year, today.month),
            locked=m in locked,
            approval=states.get(approvals.month_key(year, m), approvals.NONE),
        )
        for m in range(1, 13)
    ]


def month_cell(state: MonthState) -> str:
    """One month for the overview: its number, then what is known of it."""
    marks = []
    if state.missing:
        marks.append(_("missing"))
    elif not state.reported:
        marks.append("·")
    if state.locked:
        marks.append(_("locked"))
    if state.approval == approvals.APPROVED:
        marks.append(_("approved"))
    elif state.approval != approvals.NONE:
        marks.append(_("approval not valid"))
    return f"{state.month:02d}: " + ", ".join(marks) if marks else f"{state.month:02d}: ✓"


def gaps_text(states: list[MonthState]) -> str:
    """The months due but not reported, e.g. "missing month 10"; empty when none."""
    missing = [s.month for s in states if s.missing]
    if not missing:
        return ""
    return ngettext("missing month {months}", "missing months {months}", len(missing)).format(
        months=", ".join(map(str, missing))
    )
