"""The province archives every bundle it receives, as received (still encrypted), so a fork can
be resolved by accepting the quarantined branch (issue 13, item 1).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_bundle_archive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("station_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_bundle_archive")),
        sa.UniqueConstraint("sha256", name=op.f("uq_sync_bundle_archive_sha256")),
    )
    op.create_index(
        "ix_sync_bundle_archive_bundle",
        "sync_bundle_archive",
        ["bundle_id", "manifest_sha256"],
    )
    op.create_index(
        "ix_sync_bundle_archive_station_seq", "sync_bundle_archive", ["station_id", "seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_sync_bundle_archive_station_seq", table_name="sync_bundle_archive")
    op.drop_index("ix_sync_bundle_archive_bundle", table_name="sync_bundle_archive")
    op.drop_table("sync_bundle_archive")
