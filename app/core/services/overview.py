"""The ward at a glance: counts of teams, fire points, cameras, models and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.core.domain.periods import Period, month_of, reporting_month, reporting_year_to_date
from app.core.services.profile import own_unit_id
from app.db.engine import Database
from app.db.models import (
    Camera,
    CommunityModel,
    FirePoint,
    FireSafetyTeam,
    OutreachSession,
    SyncedRecord,
)


@dataclass(frozen=True)
class SessionTally:
    period: Period
    sessions: int
    attendance: int
    last_year_sessions: int
    last_year_attendance: int

    @property
    def change(self) -> int:
        return self.sessions - self.last_year_sessions


@dataclass(frozen=True)
class Overview:
    teams_active: int
    teams_total: int
    households_in_teams: int
    fire_points_ready: int
    fire_points_total: int
    cameras_linked: int
    cameras_total: int
    cameras_working: int
    models_active: int
    models_total: int
    month: SessionTally
    year: SessionTally


def _live(model: type[SyncedRecord], unit_id: int) -> list[ColumnElement[bool]]:
    return [model.owner_unit_id == unit_id, model.deleted_at.is_(None)]


def _tally(session: Session, unit_id: int, period: Period) -> SessionTally:
    def count(p: Period) -> tuple[int, int]:
        row = session.execute(
            select(func.count(), func.coalesce(func.sum(OutreachSession.attendance), 0)).where(
                *_live(OutreachSession, unit_id),
                OutreachSession.held_on.between(p.start, p.end),
            )
        ).one()
        return int(row[0]), int(row[1])

    now, last = count(period), count(period.same_period_last_year())
    return SessionTally(period, now[0], now[1], last[0], last[1])


def _count(
    session: Session, model: type[SyncedRecord], unit_id: int, *conditions: ColumnElement[bool]
) -> int:
    statement = select(func.count()).select_from(model).where(*_live(model, unit_id), *conditions)
    return int(session.execute(statement).scalar_one())


def overview(db: Database, today: date) -> Overview:
    unit_id = own_unit_id(db)
    year, month = month_of(today)
    with db.read() as s:
        households = s.execute(
            select(func.coalesce(func.sum(FireSafetyTeam.households), 0)).where(
                *_live(FireSafetyTeam, unit_id), FireSafetyTeam.status == "active"
            )
        ).scalar_one()
        return Overview(
            teams_active=_count(s, FireSafetyTeam, unit_id, FireSafetyTeam.status == "active"),
            teams_total=_count(s, FireSafetyTeam, unit_id),
            households_in_teams=int(households),
            fire_points_ready=_count(s, FirePoint, unit_id, FirePoint.status == "ready"),
            fire_points_total=_count(s, FirePoint, unit_id),
            cameras_linked=_count(s, Camera, unit_id, Camera.linked_to_police.is_(True)),
            cameras_total=_count(s, Camera, unit_id),
            cameras_working=_count(s, Camera, unit_id, Camera.status == "working"),
            models_active=_count(s, CommunityModel, unit_id, CommunityModel.status == "active"),
            models_total=_count(s, CommunityModel, unit_id),
            month=_tally(s, unit_id, _month_so_far(year, month, today)),
            year=_tally(s, unit_id, reporting_year_to_date(today)),
        )


def _month_so_far(year: int, month: int, today: date) -> Period:
    full = reporting_month(year, month)
    return Period(full.start, min(full.end, today), full.label)
