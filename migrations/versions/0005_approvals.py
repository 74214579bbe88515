"""Approvals of indicator months, assessments and reports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("subject", sa.String(length=24), nullable=False),
        sa.Column("subject_ref", sa.String(length=80), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("approver", sa.String(length=120), nullable=False),
        sa.Column("approver_role", sa.String(length=16), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.Column("signer_key", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["units.id"], name=op.f("fk_approvals_owner_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint(
            "owner_unit_id", "subject", "subject_ref",
            name=op.f("uq_approvals_owner_unit_id"),
        ),
        sa.UniqueConstraint("uuid", name=op.f("uq_approvals_uuid")),
    )
    with op.batch_alter_table("approvals") as batch:
        batch.create_index(batch.f("ix_approvals_change_seq"), ["change_seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_index(batch.f("ix_approvals_change_seq"))
    op.drop_table("approvals")
