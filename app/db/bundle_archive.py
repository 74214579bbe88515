"""The province's archive of the bundles it received, byte for byte as they arrived: still
encrypted to the province and signed by the ward. Applied and quarantined bundles alike are
kept, so a fork can later be resolved either way: accepting a quarantined branch applies the
archived bundles again (``app.core.services.sync.province.rebuild``). The archive lives in
the province database, so its encryption and its backups cover it."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db.base import Base


class ArchivedBundle(Base):
    """One bundle file as received, known by the SHA-256 of its bytes."""

    __tablename__ = "sync_bundle_archive"
    __table_args__ = (
        Index("ix_sync_bundle_archive_bundle", "bundle_id", "manifest_sha256"),
        Index("ix_sync_bundle_archive_station_seq", "station_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    station_id: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    bundle_id: Mapped[str] = mapped_column(String(36))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]


def keep(
    session: Session,
    data: bytes,
    *,
    station_id: str,
    seq: int,
    bundle_id: str,
    manifest_sha256: str,
    now: datetime,
) -> bool:
    """Archive ``data`` (a verified bundle file) unless the same bytes are archived already;
    return whether it was added. Runs in the caller's transaction."""
    digest = hashlib.sha256(data).hexdigest()
    held = session.execute(select(ArchivedBundle.id).where(ArchivedBundle.sha256 == digest)).first()
    if held is not None:
        return False
    session.execute(
        insert(ArchivedBundle).values(
            sha256=digest,
            station_id=station_id,
            seq=seq,
            bundle_id=bundle_id,
            manifest_sha256=manifest_sha256,
            size=len(data),
            data=data,
            received_at=now,
        )
    )
    return True


def find(session: Session, bundle_id: str, manifest_sha256: str) -> bytes | None:
    """The archived file of the bundle with this id and manifest, if it is held and its bytes
    still have the digest they were archived under."""
    rows = session.execute(
        select(ArchivedBundle.sha256, ArchivedBundle.data).where(
            ArchivedBundle.bundle_id == bundle_id,
            ArchivedBundle.manifest_sha256 == manifest_sha256,
        )
    ).all()
    for digest, data in rows:
        if hashlib.sha256(data).hexdigest() == digest:
            return bytes(data)
    return None
