"""Approvals: the chief's signed statement that a month's indicators, an assessment or a report
is right, carrying the hash of exactly what was approved (they travel in sync bundles)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models import SyncedRow, identity


class Approval(SyncedRow):
    """The current approval of one subject; approving again replaces it (the audit trail keeps
    every earlier one)."""

    __tablename__ = "approvals"
    __table_args__ = (
        identity(),
        UniqueConstraint("owner_unit_id", "subject", "subject_ref"),
    )

    subject: Mapped[str] = mapped_column(String(24))  # indicators-month | assessment | report
    # "2026-10", an assessment uuid, …; not "subject_key": sync takes *_key for derived keys
    subject_ref: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the approved content
    approver: Mapped[str] = mapped_column(String(120))  # the approving user's name
    approver_role: Mapped[str] = mapped_column(String(16))
    approved_at: Mapped[datetime]
    signer_key: Mapped[str] = mapped_column(String(64))  # hex of the station's Ed25519 key
    signature: Mapped[str] = mapped_column(String(128))  # hex Ed25519 signature (see app.sync)
