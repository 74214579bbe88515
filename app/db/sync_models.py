"""Tables for sync: trust lists, the ward's outbox, and the province's stations, inbox and the
copies of each ward's audit trail that its bundles carried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class TrustList(Base):
    """A province trust list, kept exactly as it was verified (imported or published here)."""

    __tablename__ = "sync_trust_lists"
    __table_args__ = (UniqueConstraint("province_code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    signer_key: Mapped[str] = mapped_column(String(64))  # hex of the Ed25519 public key
    content: Mapped[str] = mapped_column(Text)  # the DSSE envelope as verified
    expires: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(120))


class OutboxBundle(Base):
    """A bundle this station exported, and what the province said about it."""

    __tablename__ = "sync_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[str] = mapped_column(String(36), unique=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    from_counter: Mapped[int] = mapped_column(Integer)
    to_counter: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    records: Mapped[int] = mapped_column(Integer)
    tombstones: Mapped[int] = mapped_column(Integer)
    # exported | acknowledged | returned | superseded | failed
    state: Mapped[str] = mapped_column(String(16))
    exported_at: Mapped[datetime]
    exported_by: Mapped[str] = mapped_column(String(120))
    receipt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    receipt_comments: Mapped[str] = mapped_column(Text, default="")
    missing_seqs: Mapped[str] = mapped_column(Text, default="[]")
    # the last audit entry the bundle carried (None: exported before audit entries travelled)
    audit_to: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SyncStation(Base):
    """A ward station enrolled by this province: its unit and its signing key."""

    __tablename__ = "sync_stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[str] = mapped_column(String(16), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    signing_key: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    age_recipient: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))  # active | revoked
    last_trusted_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    enrolled_at: Mapped[datetime]
    enrolled_by: Mapped[str] = mapped_column(String(120))
    # the ward's audit chain head ("<count>:<last hash>") as its newest bundle (by seq) said
    audit_head: Mapped[str] = mapped_column(String(80), default="", server_default="")
    audit_head_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the check of the ward's received audit log, as of the last import (the overview shows it
    # without re-hashing every ward's log; the ward dialog and the CLI check again)
    audit_entries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    audit_broken_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_problem: Mapped[str] = mapped_column(String(16), default="", server_default="")


class InboxBundle(Base):
    """A bundle the province received: applied, or quarantined as a fork of its sequence."""

    __tablename__ = "sync_inbox"
    __table_args__ = (Index("ix_sync_inbox_station_seq", "station_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bundle_id: Mapped[str] = mapped_column(String(36), index=True)
    station_id: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    prev_manifest_sha256: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(36))
    to_counter: Mapped[int] = mapped_column(Integer)
    void_seqs: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(16))  # applied | fork
    summary: Mapped[str] = mapped_column(Text, default="{}")
    receipt: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]
    received_by: Mapped[str] = mapped_column(String(120))


class RecordVersion(Base):
    """At the province: the version of each ward record held, by its origin counter. A record
    is its station's: the same uuid from two stations is two records, two versions."""

    __tablename__ = "sync_versions"
    __table_args__ = (PrimaryKeyConstraint("station_id", "record_uuid"),)

    record_uuid: Mapped[str] = mapped_column(String(36))
    table_name: Mapped[str] = mapped_column(String(40))
    station_id: Mapped[str] = mapped_column(String(16))
    origin_instance: Mapped[str] = mapped_column(String(36))
    origin_counter: Mapped[int] = mapped_column(Integer)


class _CarriedAuditEntry:
    """One entry of a ward's audit log as a bundle carried it (see app.db.audit.AuditEntry)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))
    table_name: Mapped[str] = mapped_column(String(40))
    record_uuid: Mapped[str] = mapped_column(String(36))
    changes: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    bundle_id: Mapped[str] = mapped_column(String(36))  # the bundle it first arrived in
    instance_id: Mapped[str] = mapped_column(String(36))  # the ward database that sent it
    received_at: Mapped[datetime]


class WardAuditEntry(_CarriedAuditEntry, Base):
    """At the province: a ward's audit entry, the first version received of each number."""

    __tablename__ = "sync_ward_audit"
    __table_args__ = (UniqueConstraint("station_id", "entry_id"),)


class WardAuditRewrite(_CarriedAuditEntry, Base):
    """At the province: an entry that arrived again under a number already held, with other
    content. Kept as evidence that the ward's history was rewritten, never applied."""

    __tablename__ = "sync_ward_audit_rewrites"
    __table_args__ = (UniqueConstraint("station_id", "entry_id", "content_sha256"),)

    content_sha256: Mapped[str] = mapped_column(String(64))


# the province's archive of received bundles belongs with these tables (one metadata)
from app.db import bundle_archive as _bundle_archive  # noqa: E402, F401
