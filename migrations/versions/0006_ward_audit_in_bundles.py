"""Audit trails travel in bundles: the province keeps each ward's entries (and rewritten ones
as evidence), the ward remembers which entries each bundle carried.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entry_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("record_uuid", sa.String(length=36), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "sync_ward_audit",
        *_entry_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_ward_audit")),
        sa.UniqueConstraint(
            "station_id", "entry_id", name=op.f("uq_sync_ward_audit_station_id")
        ),
    )
    op.create_table(
        "sync_ward_audit_rewrites",
        *_entry_columns(),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_ward_audit_rewrites")),
        sa.UniqueConstraint(
            "station_id",
            "entry_id",
            "content_sha256",
            name=op.f("uq_sync_ward_audit_rewrites_station_id"),
        ),
    )
    with op.batch_alter_table("sync_outbox") as batch:
        batch.add_column(sa.Column("audit_to", sa.Integer(), nullable=True))
    with op.batch_alter_table("sync_stations") as batch:
        batch.add_column(
            sa.Column("audit_head", sa.String(length=80), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("audit_head_seq", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("audit_entries", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("audit_broken_at", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("audit_problem", sa.String(length=16), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_stations") as batch:
        for name in (
            "audit_problem",
            "audit_broken_at",
            "audit_entries",
            "audit_head_seq",
            "audit_head",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("sync_outbox") as batch:
        batch.drop_column("audit_to")
    op.drop_table("sync_ward_audit_rewrites")
    op.drop_table("sync_ward_audit")
