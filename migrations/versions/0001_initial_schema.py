"""Initial schema: station metadata, units, the change counter and the record tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:00:49.653441
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_meta'))
    )
    op.create_table('change_counter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counter'))
    )
    op.execute("INSERT INTO change_counter (id, value) VALUES (1, 0)")
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('place_name', sa.String(length=100), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('uuid', name=op.f('uq_units_uuid'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_code'), ['code'], unique=False)

    op.create_table('cameras',
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('address_key', sa.String(), nullable=False),
    sa.Column('owner_type', sa.String(length=40), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=True),
    sa.Column('owner_name_key', sa.String(), nullable=False),
    sa.Column('linked_to_police', sa.Boolean(), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_cameras_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cameras')),
    sa.UniqueConstraint('uuid', name=op.f('uq_cameras_uuid'))
    )
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cameras_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_cameras_live_address_key', ['owner_unit_id', 'address_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_cameras_live_installed_on', ['owner_unit_id', 'installed_on'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_cameras_live_linked_to_police', ['owner_unit_id', 'linked_to_police'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_cameras_live_owner_name_key', ['owner_unit_id', 'owner_name_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_cameras_live_owner_type', ['owner_unit_id', 'owner_type'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_cameras_live_search_text', ['owner_unit_id', 'search_text'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_cameras_live_status', ['owner_unit_id', 'status'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('community_models',
    sa.Column('model_type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(), nullable=False),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('members', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_community_models_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_models')),
    sa.UniqueConstraint('uuid', name=op.f('uq_community_models_uuid'))
    )
    with op.batch_alter_table('community_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_models_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_community_models_live_established_on', ['owner_unit_id', 'established_on'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_community_models_live_members', ['owner_unit_id', 'members'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_community_models_live_model_type', ['owner_unit_id', 'model_type'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_community_models_live_name_key', ['owner_unit_id', 'name_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_community_models_live_search_text', ['owner_unit_id', 'search_text'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_community_models_live_status', ['owner_unit_id', 'status'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('fire_points',
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('location_key', sa.String(), nullable=False),
    sa.Column('equipment', sa.String(length=500), nullable=False),
    sa.Column('equipment_key', sa.String(), nullable=False),
    sa.Column('last_inspected_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_fire_points_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fire_points')),
    sa.UniqueConstraint('uuid', name=op.f('uq_fire_points_uuid'))
    )
    with op.batch_alter_table('fire_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fire_points_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_fire_points_live_equipment_key', ['owner_unit_id', 'equipment_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_points_live_last_inspected_on', ['owner_unit_id', 'last_inspected_on'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_points_live_location_key', ['owner_unit_id', 'location_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_points_live_search_text', ['owner_unit_id', 'search_text'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_points_live_status', ['owner_unit_id', 'status'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('fire_safety_teams',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('leader', sa.String(length=200), nullable=False),
    sa.Column('leader_key', sa.String(), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=False),
    sa.Column('area_key', sa.String(), nullable=False),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_fire_safety_teams_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fire_safety_teams')),
    sa.UniqueConstraint('uuid', name=op.f('uq_fire_safety_teams_uuid'))
    )
    with op.batch_alter_table('fire_safety_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fire_safety_teams_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_fire_safety_teams_live_area_key', ['owner_unit_id', 'area_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_safety_teams_live_established_on', ['owner_unit_id', 'established_on'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_safety_teams_live_households', ['owner_unit_id', 'households'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_safety_teams_live_leader_key', ['owner_unit_id', 'leader_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_safety_teams_live_name_key', ['owner_unit_id', 'name_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_safety_teams_live_search_text', ['owner_unit_id', 'search_text'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_fire_safety_teams_live_status', ['owner_unit_id', 'status'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('officers',
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('full_name_key', sa.String(), nullable=False),
    sa.Column('rank', sa.String(length=40), nullable=False),
    sa.Column('position', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('phone_key', sa.String(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_officers_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officers')),
    sa.UniqueConstraint('uuid', name=op.f('uq_officers_uuid'))
    )
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officers_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_officers_live_full_name_key', ['owner_unit_id', 'full_name_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_officers_live_phone_key', ['owner_unit_id', 'phone_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_officers_live_position', ['owner_unit_id', 'position'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_officers_live_rank', ['owner_unit_id', 'rank'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_officers_live_search_text', ['owner_unit_id', 'search_text'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('outreach_sessions',
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('place_key', sa.String(), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('audience_key', sa.String(), nullable=False),
    sa.Column('attendance', sa.Integer(), nullable=False),
    sa.Column('presenter', sa.String(length=200), nullable=True),
    sa.Column('presenter_key', sa.String(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('change_seq', sa.Integer(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['units.id'], name=op.f('fk_outreach_sessions_owner_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_sessions')),
    sa.UniqueConstraint('uuid', name=op.f('uq_outreach_sessions_uuid'))
    )
    with op.batch_alter_table('outreach_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_sessions_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_outreach_sessions_live_attendance', ['owner_unit_id', 'attendance'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_outreach_sessions_live_audience_key', ['owner_unit_id', 'audience_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_outreach_sessions_live_held_on', ['owner_unit_id', 'held_on'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_outreach_sessions_live_place_key', ['owner_unit_id', 'place_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_outreach_sessions_live_presenter_key', ['owner_unit_id', 'presenter_key'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_outreach_sessions_live_search_text', ['owner_unit_id', 'search_text'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_outreach_sessions_live_topic', ['owner_unit_id', 'topic'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('outreach_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_outreach_sessions_live_topic', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_outreach_sessions_live_search_text', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_outreach_sessions_live_presenter_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_outreach_sessions_live_place_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_outreach_sessions_live_held_on', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_outreach_sessions_live_audience_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_outreach_sessions_live_attendance', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_outreach_sessions_change_seq'))

    op.drop_table('outreach_sessions')
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.drop_index('ix_officers_live_search_text', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_officers_live_rank', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_officers_live_position', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_officers_live_phone_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_officers_live_full_name_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_officers_change_seq'))

    op.drop_table('officers')
    with op.batch_alter_table('fire_safety_teams', schema=None) as batch_op:
        batch_op.drop_index('ix_fire_safety_teams_live_status', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_safety_teams_live_search_text', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_safety_teams_live_name_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_safety_teams_live_leader_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_safety_teams_live_households', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_safety_teams_live_established_on', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_safety_teams_live_area_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_fire_safety_teams_change_seq'))

    op.drop_table('fire_safety_teams')
    with op.batch_alter_table('fire_points', schema=None) as batch_op:
        batch_op.drop_index('ix_fire_points_live_status', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_points_live_search_text', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_points_live_location_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_points_live_last_inspected_on', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_fire_points_live_equipment_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_fire_points_change_seq'))

    op.drop_table('fire_points')
    with op.batch_alter_table('community_models', schema=None) as batch_op:
        batch_op.drop_index('ix_community_models_live_status', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_community_models_live_search_text', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_community_models_live_name_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_community_models_live_model_type', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_community_models_live_members', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_community_models_live_established_on', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_community_models_change_seq'))

    op.drop_table('community_models')
    with op.batch_alter_table('cameras', schema=None) as batch_op:
        batch_op.drop_index('ix_cameras_live_status', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_cameras_live_search_text', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_cameras_live_owner_type', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_cameras_live_owner_name_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_cameras_live_linked_to_police', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_cameras_live_installed_on', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_cameras_live_address_key', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_cameras_change_seq'))

    op.drop_table('cameras')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_code'))

    op.drop_table('units')
    op.drop_table('change_counter')
    op.drop_table('app_meta')
