"""A synced record is known by its uuid within its owner unit, and the province keeps each
record's version per station: the same uuid from two stations is two records (issue 13, 8).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYNCED_TABLES = (
    "outreach_sessions",
    "fire_safety_teams",
    "fire_points",
    "cameras",
    "community_models",
    "officers",
    "indicator_values",
    "period_locks",
    "assessments",
    "assessment_items",
    "approvals",
)
_VERSION_COLUMNS = (
    "record_uuid",
    "table_name",
    "station_id",
    "origin_instance",
    "origin_counter",
)


def _children() -> list[str]:
    """The tables whose rows name a row of a synced table (an assessment's items and
    events)."""
    bind = op.get_bind()
    tables = bind.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    return sorted(
        name
        for (name,) in tables.fetchall()
        if any(
            key[2] in SYNCED_TABLES
            for key in bind.exec_driver_sql(f"PRAGMA foreign_key_list({name})").fetchall()
        )
    )


def _identity(columns: list[str]) -> None:
    # rebuilding a table drops it, and foreign keys are on: the rows naming a synced row are
    # set aside while the tables are rebuilt, so no row ever names a missing one
    children = _children()
    for child in children:
        op.execute(f"CREATE TABLE _aside_{child} AS SELECT * FROM {child}")
        op.execute(f"DELETE FROM {child}")
    for table in SYNCED_TABLES:
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_constraint(f"uq_{table}_uuid", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_uuid", columns)
    for child in children:  # they name synced rows only, not one another
        info = op.get_bind().exec_driver_sql(f"PRAGMA table_info(_aside_{child})")
        names = ", ".join(row[1] for row in info.fetchall())
        op.execute(
            f"INSERT INTO {child} ({names}) SELECT {names} FROM _aside_{child} ORDER BY rowid"
        )
        op.drop_table(f"_aside_{child}")


def _versions(primary_key: list[str], *, keep_one_per_uuid: bool = False) -> None:
    op.create_table(
        "_sync_versions_new",
        sa.Column("record_uuid", sa.String(length=36), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.String(length=16), nullable=False),
        sa.Column("origin_instance", sa.String(length=36), nullable=False),
        sa.Column("origin_counter", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*primary_key, name=op.f("pk_sync_versions")),
    )
    names = ", ".join(_VERSION_COLUMNS)
    verb = "INSERT OR IGNORE" if keep_one_per_uuid else "INSERT"
    op.execute(
        f"{verb} INTO _sync_versions_new ({names}) SELECT {names} FROM sync_versions ORDER BY rowid"
    )
    op.drop_table("sync_versions")
    op.rename_table("_sync_versions_new", "sync_versions")


def upgrade() -> None:
    _identity(["uuid", "owner_unit_id"])
    _versions(["station_id", "record_uuid"])


def downgrade() -> None:
    # only possible while no uuid is held by two units (the first station's version is kept)
    _versions(["record_uuid"], keep_one_per_uuid=True)
    _identity(["uuid"])
