"""The tables: station metadata, units, the change counter and one table per record kind.

Every record table carries what sync needs later: a UUID, the owner unit, created/updated
timestamps and author, a soft-delete tombstone and ``change_seq``, the value of the
per-database change counter at its last insert, update or delete. Text fields shown in tables
have a ``<field>_key`` column holding the Vietnamese collation key, and ``search_text`` holds
the folded text that tone-insensitive search matches.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


def identity() -> UniqueConstraint:
    """A synced row is known by its uuid within its owner unit: the province holds every
    ward's rows, and two stations may send the same uuid, each for its own record."""
    return UniqueConstraint("uuid", "owner_unit_id")


def listing_indexes(table: str, *columns: str) -> tuple[Any, ...]:
    """Partial indexes over live rows that let a 100,000-row table sort and search quickly.

    Each sortable column gets (owner_unit_id, column), so ``ORDER BY column, id`` is an index
    scan; ``search_text`` gets one too, so a search scans a narrow index instead of wide rows.
    """
    live = text("deleted_at IS NULL")
    return tuple(
        Index(f"ix_{table}_live_{column}", "owner_unit_id", column, sqlite_where=live)
        for column in (*columns, "search_text")
    )


class AppMeta(Base):
    """Key/value facts about this database: instance id, own unit, set-up date."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ChangeCounter(Base):
    """A single row holding the last change sequence number handed out in this database."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Unit(Base):
    """A police unit in the hierarchy (province police, ward/commune police), valid in time."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    code: Mapped[str] = mapped_column(String(5), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    place_name: Mapped[str] = mapped_column(String(100), default="")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SyncedRow(Base):
    """Columns every row that travels in sync bundles has (an abstract base, not a table)."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))  # unique per owner unit: see identity()
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    updated_by: Mapped[str] = mapped_column(String(120))
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    change_seq: Mapped[int] = mapped_column(Integer, index=True)


class SyncedRecord(SyncedRow):
    """A ward record of one of the kinds in ``app.core.domain.records`` (abstract)."""

    __abstract__ = True

    search_text: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutreachSession(SyncedRecord):
    """A propaganda / legal-education session (buổi tuyên truyền, PBGDPL)."""

    __tablename__ = "outreach_sessions"
    __table_args__ = (
        identity(),
        *listing_indexes(
            "outreach_sessions",
            "held_on",
            "topic",
            "place_key",
            "audience_key",
            "attendance",
            "presenter_key",
        ),
    )

    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(40))
    place: Mapped[str] = mapped_column(String(200))
    place_key: Mapped[str] = mapped_column(String, default="")
    audience: Mapped[str] = mapped_column(String(200))
    audience_key: Mapped[str] = mapped_column(String, default="")
    attendance: Mapped[int] = mapped_column(Integer)
    presenter: Mapped[str | None] = mapped_column(String(200), nullable=True)
    presenter_key: Mapped[str] = mapped_column(String, default="")


class FireSafetyTeam(SyncedRecord):
    """A neighbourhood fire-safety team (Tổ liên gia an toàn PCCC)."""

    __tablename__ = "fire_safety_teams"
    __table_args__ = (
        identity(),
        *listing_indexes(
            "fire_safety_teams",
            "name_key",
            "households",
            "leader_key",
            "area_key",
            "established_on",
            "status",
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String, default="")
    households: Mapped[int] = mapped_column(Integer)
    leader: Mapped[str] = mapped_column(String(200))
    leader_key: Mapped[str] = mapped_column(String, default="")
    area: Mapped[str] = mapped_column(String(200))
    area_key: Mapped[str] = mapped_column(String, default="")
    established_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(40))


class FirePoint(SyncedRecord):
    """A public fire-fighting point (Điểm chữa cháy công cộng)."""

    __tablename__ = "fire_points"
    __table_args__ = (
        identity(),
        *listing_indexes(
            "fire_points", "location_key", "equipment_key", "last_inspected_on", "status"
        ),
    )

    location: Mapped[str] = mapped_column(String(200))
    location_key: Mapped[str] = mapped_column(String, default="")
    equipment: Mapped[str] = mapped_column(String(500))
    equipment_key: Mapped[str] = mapped_column(String, default="")
    last_inspected_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(40))


class Camera(SyncedRecord):
    """A security camera on the ward's list (camera an ninh)."""

    __tablename__ = "cameras"
    __table_args__ = (
        identity(),
        *listing_indexes(
            "cameras",
            "address_key",
            "owner_type",
            "owner_name_key",
            "linked_to_police",
            "installed_on",
            "status",
        ),
    )

    address: Mapped[str] = mapped_column(String(200))
    address_key: Mapped[str] = mapped_column(String, default="")
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    owner_name_key: Mapped[str] = mapped_column(String, default="")
    linked_to_police: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    installed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(40))


class CommunityModel(SyncedRecord):
    """A self-management or movement model (mô hình)."""

    __tablename__ = "community_models"
    __table_args__ = (
        identity(),
        *listing_indexes(
            "community_models", "model_type", "name_key", "established_on", "members", "status"
        ),
    )

    model_type: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String, default="")
    established_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(40))


class Officer(SyncedRecord):
    """An officer of the unit: name, rank, position."""

    __tablename__ = "officers"
    __table_args__ = (
        identity(),
        *listing_indexes("officers", "full_name_key", "rank", "position", "phone_key"),
    )

    full_name: Mapped[str] = mapped_column(String(200))
    full_name_key: Mapped[str] = mapped_column(String, default="")
    rank: Mapped[str] = mapped_column(String(40))
    position: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    phone_key: Mapped[str] = mapped_column(String, default="")


RECORD_MODELS: dict[str, type[SyncedRecord]] = {
    "sessions": OutreachSession,
    "teams": FireSafetyTeam,
    "fire_points": FirePoint,
    "cameras": Camera,
    "models": CommunityModel,
    "officers": Officer,
}
