"""Schema migrations with alembic, run at start-up after a backup of the existing file (the
revisions themselves are read by ``app.db.revisions``)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import Engine

from app.core.domain.errors import UserFacingError
from app.db import cipher
from app.db.errors import database_errors
from app.db.revisions import alembic_config, head_revision, known_revisions
from app.i18n import _

# The newest revision in migrations/versions. Start-up compares the file's revision with this
# before importing alembic at all (alembic and its dialect modules cost ~250 ms to import);
# a test keeps it equal to alembic's own head.
SCHEMA_HEAD = "0008"


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def backup_file(source: Path, reason: str) -> Path:
    """A copy of ``source`` (SQLite's online backup API) in the backups folder, durable now and
    verified in the background."""
    from app.db.backup_copy import automatic_backup  # backup modules load only when needed

    return automatic_backup(source, reason).path


def stored_revision(path: Path) -> str | None:
    """The schema revision recorded in ``path``, read without alembic (None if unknown).

    An encrypted file is read with the key unlocked for it; without one this raises
    ``DatabaseLocked`` (nothing is written)."""
    if not path.exists():
        return None
    try:
        with contextlib.closing(cipher.connect(path, readonly=True)) as raw:
            row = raw.execute("SELECT version_num FROM alembic_version").fetchone()
    except database_errors():
        return None
    return str(row[0]) if row else None


def upgrade_to_head(engine: Engine, path: Path) -> Path | None:
    """Bring the database to the newest schema; return the backup made first, if any."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return None
    if current is not None and current not in known_revisions():
        raise UserFacingError(
            _("This database was created by a newer version of ModelWard."),
            hint=_(
                "Install the newest version of ModelWard to open it; the file was left unchanged."
            ),
        )
    backup = backup_file(path, f"before-{head}") if current is not None else None
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    return backup
