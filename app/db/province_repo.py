"""The queries of a province station: its enrolled wards (``SyncStation``), the bundles it
received from them (``InboxBundle``), the wards' audit trails and the ward data those bundles
brought (records, indicator values, locks, assessments). Each function takes the caller's
session and returns rows or values; what they mean for the chain, a fork, a receipt or the
overview is the services' concern (``app.core.services.sync.province``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.audit import AuditEntry
from app.db.models import RECORD_MODELS, Unit
from app.db.pack_models import Assessment, AssessmentItem, IndicatorValue, PeriodLock
from app.db.sync_models import InboxBundle, SyncStation, TrustList, WardAuditEntry

APPLIED = "applied"  # the status of a bundle whose rows were merged here


# -- enrolled stations -------------------------------------------------------------------------


def find_station(session: Session, station_id: str) -> SyncStation | None:
    """The enrolment of ``station_id``, or None when it is not enrolled."""
    return session.execute(
        select(SyncStation).where(SyncStation.station_id == station_id)
    ).scalar_one_or_none()


def known_station(session: Session, station_id: str) -> SyncStation:
    """The enrolment of a station the caller knows is enrolled (``NoResultFound`` if not)."""
    return session.execute(
        select(SyncStation).where(SyncStation.station_id == station_id)
    ).scalar_one()


def stations_among(session: Session, station_ids: Iterable[str]) -> list[SyncStation]:
    """The enrolments of those of ``station_ids`` that are enrolled."""
    return list(
        session.execute(
            select(SyncStation).where(SyncStation.station_id.in_(station_ids))
        ).scalars()
    )


def stations_in_order(session: Session) -> list[SyncStation]:
    """Every enrolled station, by station code."""
    return list(session.execute(select(SyncStation).order_by(SyncStation.station_id)).scalars())


def other_unit_with_code(session: Session, code: str, own_unit_id: int) -> Unit | None:
    """The unit with ``code`` other than the province's own, or None."""
    return session.execute(
        select(Unit).where(Unit.code == code, Unit.id != own_unit_id)
    ).scalar_one_or_none()


def latest_trust_list_version(session: Session, province_code: str) -> int:
    """The newest trust list version this province published (0: none yet)."""
    version: int | None = session.execute(
        select(func.max(TrustList.version)).where(TrustList.province_code == province_code)
    ).scalar()
    return version or 0


# -- received bundles --------------------------------------------------------------------------


def manifest_received(session: Session, bundle_id: str, manifest_sha256: str) -> bool:
    """Whether a bundle with this id and this signed manifest was received before (in any
    status)."""
    row = session.execute(
        select(InboxBundle.id).where(
            InboxBundle.bundle_id == bundle_id,
            InboxBundle.manifest_sha256 == manifest_sha256,
        )
    ).first()
    return row is not None


def bundles_with_id(session: Session, bundle_id: str) -> list[InboxBundle]:
    """Every bundle received under ``bundle_id`` (the same id may carry two manifests)."""
    return list(
        session.execute(select(InboxBundle).where(InboxBundle.bundle_id == bundle_id))
        .scalars()
        .all()
    )


def applied_bundle(session: Session, bundle_id: str) -> InboxBundle | None:
    """The applied bundle with this id, or None."""
    return session.execute(
        select(InboxBundle).where(InboxBundle.bundle_id == bundle_id, InboxBundle.status == APPLIED)
    ).scalar_one_or_none()


def applied_bundles_starting(session: Session, prefix: str) -> list[InboxBundle]:
    """The applied bundles whose id starts with ``prefix``."""
    return list(
        session.execute(
            select(InboxBundle).where(
                InboxBundle.bundle_id.startswith(prefix), InboxBundle.status == APPLIED
            )
        )
        .scalars()
        .all()
    )


def applied_manifest(session: Session, bundle_id: str, manifest_sha256: str) -> InboxBundle:
    """The applied bundle with this id and this manifest (``NoResultFound`` if none)."""
    return session.execute(
        select(InboxBundle).where(
            InboxBundle.bundle_id == bundle_id,
            InboxBundle.manifest_sha256 == manifest_sha256,
            InboxBundle.status == APPLIED,
        )
    ).scalar_one()


def station_bundles(session: Session, station_id: str) -> list[InboxBundle]:
    """Every bundle received from a station, in any status."""
    return list(
        session.execute(select(InboxBundle).where(InboxBundle.station_id == station_id))
        .scalars()
        .all()
    )


def station_bundles_by_seq(session: Session, station_id: str) -> list[InboxBundle]:
    """Every bundle received from a station, by number, then in the order received."""
    return list(
        session.execute(
            select(InboxBundle)
            .where(InboxBundle.station_id == station_id)
            .order_by(InboxBundle.seq, InboxBundle.id)
        )
        .scalars()
        .all()
    )


def station_bundles_in(session: Session, station_id: str, status: str) -> list[InboxBundle]:
    """The bundles of a station in ``status`` (applied, fork or rejected)."""
    return list(
        session.execute(
            select(InboxBundle).where(
                InboxBundle.station_id == station_id, InboxBundle.status == status
            )
        ).scalars()
    )


def applied_seqs(session: Session, station_id: str) -> list[int]:
    """The numbers of a station's applied bundles, in no particular order."""
    return list(
        session.execute(
            select(InboxBundle.seq).where(
                InboxBundle.station_id == station_id, InboxBundle.status == APPLIED
            )
        ).scalars()
    )


def applied_bundles_numbered(session: Session, station_id: str, seq: int) -> list[InboxBundle]:
    """A station's applied bundles with number ``seq`` (one, unless the chain is broken)."""
    return list(
        session.execute(
            select(InboxBundle).where(
                InboxBundle.station_id == station_id,
                InboxBundle.seq == seq,
                InboxBundle.status == APPLIED,
            )
        ).scalars()
    )


def station_bundles_starting(session: Session, station_id: str, prefix: str) -> list[InboxBundle]:
    """A station's bundles, in any status, whose id starts with ``prefix``."""
    return list(
        session.execute(
            select(InboxBundle).where(
                InboxBundle.station_id == station_id, InboxBundle.bundle_id.startswith(prefix)
            )
        ).scalars()
    )


def station_seq_links(session: Session, station_id: str) -> list[tuple[int, str, str]]:
    """Each bundle of a station as (seq, void seqs as stored JSON, status)."""
    rows = session.execute(
        select(InboxBundle.seq, InboxBundle.void_seqs, InboxBundle.status).where(
            InboxBundle.station_id == station_id
        )
    ).all()
    return [(seq, void_seqs, status) for seq, void_seqs, status in rows]


# -- the wards' audit trails held here ---------------------------------------------------------


def ward_audit_hashes(
    session: Session, station_id: str, instance_id: str, entry_ids: Iterable[int]
) -> dict[int, str]:
    """The hashes held of a ward database's audit entries ``entry_ids`` (by entry number)."""
    return dict(
        session.execute(
            select(WardAuditEntry.entry_id, WardAuditEntry.hash).where(
                WardAuditEntry.station_id == station_id,
                WardAuditEntry.instance_id == instance_id,
                WardAuditEntry.entry_id.in_(entry_ids),
            )
        ).all()
    )


def last_audit_moment(session: Session, action: str, record_uuid: str) -> datetime | None:
    """When the province's audit trail last recorded ``action`` on ``record_uuid``."""
    return session.execute(
        select(AuditEntry.at)
        .where(AuditEntry.action == action, AuditEntry.record_uuid == record_uuid)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).scalar_one_or_none()


# -- a ward's data held here -------------------------------------------------------------------


def reported_months(session: Session, unit_id: int) -> list[tuple[int, int]]:
    """Every (year, month) a ward reported an indicator value for, in order."""
    rows = session.execute(
        select(IndicatorValue.year, IndicatorValue.month)
        .where(
            IndicatorValue.owner_unit_id == unit_id,
            IndicatorValue.deleted_at.is_(None),
            IndicatorValue.value.is_not(None),
        )
        .distinct()
        .order_by(IndicatorValue.year, IndicatorValue.month)
    ).all()
    return [(year, month) for year, month in rows]


def months_reported_in(session: Session, unit_id: int, year: int) -> set[int]:
    """The months of ``year`` a ward reported an indicator value for."""
    return {
        m
        for (m,) in session.execute(
            select(IndicatorValue.month)
            .where(
                IndicatorValue.owner_unit_id == unit_id,
                IndicatorValue.year == year,
                IndicatorValue.deleted_at.is_(None),
                IndicatorValue.value.is_not(None),
            )
            .distinct()
        )
    }


def months_locked_in(session: Session, unit_id: int, year: int) -> set[int]:
    """The months of ``year`` a ward locked."""
    return {
        m
        for (m,) in session.execute(
            select(PeriodLock.month).where(
                PeriodLock.owner_unit_id == unit_id,
                PeriodLock.year == year,
                PeriodLock.locked.is_(True),
                PeriodLock.deleted_at.is_(None),
            )
        )
    }


def live_record_count(session: Session, unit_id: int) -> int:
    """A unit's live records of every kind, counted now."""
    total = 0
    for model in RECORD_MODELS.values():
        total += session.execute(
            select(func.count())
            .select_from(model)
            .where(model.owner_unit_id == unit_id, model.deleted_at.is_(None))
        ).scalar_one()
    return total


def live_records(session: Session, kind_code: str, unit_id: int) -> list[Any]:
    """A unit's live records of one kind, in the order they were stored."""
    model = RECORD_MODELS[kind_code]
    return list(
        session.execute(
            select(model)
            .where(model.owner_unit_id == unit_id, model.deleted_at.is_(None))
            .order_by(model.id)
        ).scalars()
    )


def indicator_values_in(
    session: Session, unit_id: int, year: int
) -> list[tuple[str, int, float | None]]:
    """A unit's live indicator values of ``year`` as (code, month, value), by code and month."""
    rows = session.execute(
        select(IndicatorValue.indicator_code, IndicatorValue.month, IndicatorValue.value)
        .where(
            IndicatorValue.owner_unit_id == unit_id,
            IndicatorValue.year == year,
            IndicatorValue.deleted_at.is_(None),
        )
        .order_by(IndicatorValue.indicator_code, IndicatorValue.month)
    )
    return [(code, month, value) for code, month, value in rows]


def live_assessments(session: Session, unit_id: int) -> list[Assessment]:
    """A unit's live assessments, newest year first."""
    return list(
        session.execute(
            select(Assessment)
            .where(Assessment.owner_unit_id == unit_id, Assessment.deleted_at.is_(None))
            .order_by(Assessment.year.desc())
        ).scalars()
    )


def live_assessment_items(session: Session, assessment_id: int) -> list[AssessmentItem]:
    """An assessment's live findings, by criterion code."""
    return list(
        session.execute(
            select(AssessmentItem)
            .where(
                AssessmentItem.assessment_id == assessment_id,
                AssessmentItem.deleted_at.is_(None),
            )
            .order_by(AssessmentItem.criterion_code)
        ).scalars()
    )
