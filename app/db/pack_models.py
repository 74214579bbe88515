"""Tables for criteria packs, the trusted TUF state, monthly indicators and assessments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base
from app.db.models import SyncedRow, identity


class InstalledPack(Base):
    """One installed version of a pack; its JSON is kept exactly as it was verified."""

    __tablename__ = "installed_packs"
    __table_args__ = (UniqueConstraint("pack_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    expires: Mapped[date | None] = mapped_column(Date, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500))
    installed_at: Mapped[datetime]
    installed_by: Mapped[str] = mapped_column(String(120))


class PackEvent(Base):
    """The install history: what was installed, over which version, with what changes."""

    __tablename__ = "pack_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(120))


class TrustedMetadata(Base):
    """The newest verified TUF metadata of each top-level role, and its version.

    Kept in the database rather than in python-tuf's cache folder: the database write is
    atomic and durable, happens in the same transaction as the pack install, and cannot be
    left half-written by a power cut (python-tuf's cache is replaced without fsync).
    """

    __tablename__ = "trusted_metadata"

    role: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class IndicatorValue(SyncedRow):
    """The value an officer typed for one indicator in one reporting month."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        identity(),
        UniqueConstraint("owner_unit_id", "indicator_code", "year", "month"),
    )

    indicator_code: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class PeriodLock(SyncedRow):
    """Whether a reporting month's indicators are complete and locked."""

    __tablename__ = "period_locks"
    __table_args__ = (
        identity(),
        UniqueConstraint("owner_unit_id", "year", "month"),
    )

    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class PeriodLockEvent(Base):
    """Every lock and unlock, with who, when and why (unlocking is explicit and recorded)."""

    __tablename__ = "period_lock_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(120))


class Assessment(SyncedRow):
    """A unit's self-assessment against one pack for one year, pinned to a pack version."""

    __tablename__ = "assessments"
    __table_args__ = (
        identity(),
        UniqueConstraint("owner_unit_id", "pack_id", "year"),
    )

    pack_id: Mapped[str] = mapped_column(String(64))
    pack_version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)


class AssessmentItem(SyncedRow):
    """The officer's finding on one criterion: status, points, evidence, linked records."""

    __tablename__ = "assessment_items"
    __table_args__ = (
        identity(),
        UniqueConstraint("assessment_id", "criterion_code"),
    )

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    criterion_code: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    links: Mapped[str] = mapped_column(Text, default="[]")


class AssessmentEvent(Base):
    """Creation of an assessment and every migration to a newer pack version."""

    __tablename__ = "assessment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(120))
