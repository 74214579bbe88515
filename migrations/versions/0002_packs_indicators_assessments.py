"""Criteria packs, trusted TUF metadata, monthly indicators, period locks and assessments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:17:25.285981
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('installed_packs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('draft', sa.Boolean(), nullable=False),
    sa.Column('expires', sa.Date(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('installed_at', sa.DateTime(), nullable=False),
    sa.Column('installed_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installed_packs')),
    sa.UniqueConstraint('pack_id', 'version', name=op.f('uq_installed_packs_pack_id'))
    )
    with op.batch_alter_table('installed_packs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_installed_packs_pack_id'), ['pack_id'], unique=False)

    op.create_table('pack_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_events'))
    )
    with op.batch_alter_table('pack_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pack_events_pack_id'), ['pack_id'], unique=False)

    op.create_table('trusted_metadata',
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('role', name=op.f('pk_trusted_metadata'))
    )
    op.create_table('assessments',
    sa.Column('pack_id', sa.String(length=64), nullable=False),
    sa.Column('pack_version', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_assessments_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('owner_unit_id', 'pack_id', 'year', name=op.f('uq_assessments_owner_unit_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_assessments_uuid'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_change_seq'), ['change_seq'], unique=False)

    op.create_table('indicator_values',
    sa.Column('indicator_code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_indicator_values_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_values')),
    sa.UniqueConstraint('owner_unit_id', 'indicator_code', 'year', 'month', name=op.f('uq_indicator_values_owner_unit_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_indicator_values_uuid'))
    )
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_values_change_seq'), ['change_seq'], unique=False)

    op.create_table('period_lock_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_period_lock_events_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_lock_events'))
    )
    op.create_table('period_locks',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_period_locks_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_period_locks')),
    sa.UniqueConstraint('owner_unit_id', 'year', 'month', name=op.f('uq_period_locks_owner_unit_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_period_locks_uuid'))
    )
    with op.batch_alter_table('period_locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_period_locks_change_seq'), ['change_seq'], unique=False)

    op.create_table('assessment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_events_assessment_id_assessments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_events'))
    )
    with op.batch_alter_table('assessment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_events_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('assessment_items',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('criterion_code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('links', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_items_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_assessment_items_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_items')),
    sa.UniqueConstraint('assessment_id', 'criterion_code', name=op.f('uq_assessment_items_assessment_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_assessment_items_uuid'))
    )
    with op.batch_alter_table('assessment_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_items_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_items_change_seq'), ['change_seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assessment_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_items_change_seq'))
        batch_op.drop_index(batch_op.f('ix_assessment_items_assessment_id'))

    op.drop_table('assessment_items')
    with op.batch_alter_table('assessment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_events_assessment_id'))

    op.drop_table('assessment_events')
    with op.batch_alter_table('period_locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_period_locks_change_seq'))

    op.drop_table('period_locks')
    op.drop_table('period_lock_events')
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_values_change_seq'))

    op.drop_table('indicator_values')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_change_seq'))

    op.drop_table('assessments')
    op.drop_table('trusted_metadata')
    with op.batch_alter_table('pack_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pack_events_pack_id'))

    op.drop_table('pack_events')
    with op.batch_alter_table('installed_packs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_installed_packs_pack_id'))

    op.drop_table('installed_packs')
