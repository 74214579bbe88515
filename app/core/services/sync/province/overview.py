"""What the province overview says about one ward beyond its bundles: the state of its key,
and every month of a chosen year (reported or missing, locked, approved)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.core.services import approvals
from app.core.services.sync.province import audit as province_audit
from app.core.services.sync.province import chain as province_chain
from app.core.services.sync.province.chain import chain_breaks, missing_seqs
from app.core.services.sync.province.trust import enrolled_station
from app.db import province_repo
from app.db.engine import Database
from app.db.models import Unit
from app.i18n import _, ngettext


@dataclass(frozen=True)
class StationOverview:
    station_id: str
    name: str
    status: str
    last_seq: int
    last_received: datetime | None
    months: tuple[tuple[int, int], ...]
    missing_seqs: tuple[int, ...]
    forks: int
    records: int
    chain_breaks: tuple[int, ...] = ()
    audit_entries: int = 0  # the ward's audit entries held here
    audit_broken_at: int | None = None  # the first break found at the last import
    audit_problem: str = ""  # its kind (audit_service.REWRITTEN, …)
    cutoff: int | None = None  # when revoked: the last bundle still accepted
    branches: tuple[province_chain.Branch, ...] = ()  # quarantined histories, undecided


def station_overviews(db: Database) -> list[StationOverview]:
    """Every enrolled ward: its key, its bundles, what it reported and its audit check."""
    with db.read() as session:
        result = []
        for entry in province_repo.stations_in_order(session):
            unit = session.get(Unit, entry.unit_id)
            assert unit is not None
            rows = province_repo.station_bundles(session, entry.station_id)
            applied = [r for r in rows if r.status == "applied"]
            months = province_repo.reported_months(session, unit.id)
            result.append(
                StationOverview(
                    station_id=entry.station_id,
                    name=unit.name,
                    status=entry.status,
                    last_seq=max((r.seq for r in applied), default=0),
                    last_received=max((r.received_at for r in applied), default=None),
                    months=tuple((y, m) for y, m in months),
                    missing_seqs=tuple(missing_seqs(session, entry.station_id)),
                    forks=sum(1 for r in rows if r.status == "fork"),
                    chain_breaks=tuple(chain_breaks(applied)),
                    records=province_repo.live_record_count(session, unit.id),
                    audit_entries=entry.audit_entries,
                    audit_broken_at=entry.audit_broken_at,
                    audit_problem=entry.audit_problem,
                    cutoff=entry.last_trusted_seq if entry.status == "revoked" else None,
                    branches=tuple(province_chain.branches(session, entry.station_id)),
                )
            )
        return result


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
        return province_repo.last_audit_moment(session, province_audit.REPLACE_KEY, station_id)


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
        reported = province_repo.months_reported_in(session, entry.unit_id, year)
        locked = province_repo.months_locked_in(session, entry.unit_id, year)
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
    elif state.approval == approvals.UNCHECKED:  # the ward's pack version is not held here
        marks.append(_("approved (cannot be checked here)"))
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
