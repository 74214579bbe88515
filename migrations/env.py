"""Alembic environment: migrates the engine the app hands over, in batch mode for SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from app.db import approval_models, audit, models, pack_models, sync_models  # noqa: F401
from app.db.base import Base
from app.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    given = config.attributes.get("engine")
    if given is not None:
        return given
    url = config.get_main_option("sqlalchemy.url") or ""
    return make_engine(url.removeprefix("sqlite:///"))  # type: ignore[arg-type]


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
