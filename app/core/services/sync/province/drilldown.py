"""Looking into one ward from the province, read-only: its records, indicators,
assessments, approvals and the audit trail its bundles carried."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.services import approvals
from app.core.services import audit as audit_service
from app.core.services.sync.province.trust import enrolled_station
from app.db import province_repo
from app.db.engine import Database
from app.db.models import Unit


@dataclass(frozen=True)
class WardDetail:
    unit_id: int
    code: str
    name: str


def ward_detail(db: Database, station_id: str) -> WardDetail:
    with db.read() as session:
        entry = enrolled_station(session, station_id)
        unit = session.get(Unit, entry.unit_id)
        assert unit is not None
        return WardDetail(unit.id, unit.code, unit.name)


def ward_records(db: Database, unit_id: int, kind_code: str) -> list[dict[str, Any]]:
    """The live records of one kind a ward has sent, sorted by the kind's order."""
    from app.core.domain.records import kind_by_code

    kind = kind_by_code(kind_code)
    with db.read() as session:
        rows = province_repo.live_records(session, kind_code, unit_id)
        return [{spec.name: getattr(row, spec.name) for spec in kind.fields} for row in rows]


def ward_indicators(db: Database, unit_id: int, year: int) -> dict[str, dict[int, float | None]]:
    """Indicator code → month → value a ward reported for ``year``."""
    with db.read() as session:
        values: dict[str, dict[int, float | None]] = {}
        for code, month, value in province_repo.indicator_values_in(session, unit_id, year):
            values.setdefault(code, {})[month] = value
        return values


def ward_assessments(db: Database, unit_id: int) -> list[dict[str, Any]]:
    """Each assessment a ward sent: pack, year, and its findings by criterion."""
    with db.read() as session:
        result = []
        for assessment in province_repo.live_assessments(session, unit_id):
            items = province_repo.live_assessment_items(session, assessment.id)
            result.append(
                {
                    "pack_id": assessment.pack_id,
                    "pack_version": assessment.pack_version,
                    "year": assessment.year,
                    "items": [
                        (i.criterion_code, i.status, i.points, i.evidence or "") for i in items
                    ],
                }
            )
        return result


def ward_approvals(db: Database, station_id: str) -> list[approvals.ApprovalState]:
    """The chief's approvals a ward has sent, each checked against the ward's enrolled key and
    against the ward's data held here: approved, changed since approval, or altered."""
    with db.read() as session:
        entry = enrolled_station(session, station_id)
        return approvals.approval_states(session, entry.unit_id, [entry.signing_key])


def ward_audit_check(db: Database, station_id: str) -> audit_service.AuditCheck:
    """Check, now, the copy of a ward's audit trail that its bundles carried here: every
    entry's hash recomputed in order, the links and numbers, entries that arrived again with
    other content, and the head the ward last reported. The first break, or ok."""
    with db.read() as session:
        entry = enrolled_station(session, station_id)
        check, _held = audit_service.check_ward(session, entry)
        return check


def ward_audit_checks(db: Database) -> list[tuple[str, str, audit_service.AuditCheck]]:
    """Every enrolled ward's received audit trail checked now: (code, name, result)."""
    with db.read() as session:
        result = []
        for entry in province_repo.stations_in_order(session):
            unit = session.get(Unit, entry.unit_id)
            check, _held = audit_service.check_ward(session, entry)
            result.append((entry.station_id, unit.name if unit else "", check))
        return result
