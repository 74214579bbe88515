"""Alembic: empty -> head -> base, head equals the models, frozen databases upgrade."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.core.domain.errors import UserFacingError
from app.core.services.records import RecordService
from app.db import cipher
from app.db.base import Base
from app.db.engine import Database, make_engine
from app.db.migrate import current_revision
from app.db.open import open_database
from app.db.revisions import alembic_config, head_revision
from app.paths import backups_dir

FROZEN = Path(__file__).parent.parent / "data" / "db"


def _tables(path: Path) -> set[str]:
    with cipher.dbapi().connect(path) as raw:
        rows = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows} - {"alembic_version"}


def test_upgrade_from_empty_then_downgrade_to_base(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    engine = make_engine(path)
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision()
    assert _tables(path) == set(Base.metadata.tables)
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    assert _tables(path) == set()
    engine.dispose()


def test_head_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "m.sqlite")
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_pragmas_are_set_on_every_connection(empty_db: Database) -> None:
    with empty_db.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("foreign_keys", "journal_mode", "synchronous")
        }
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 2}


@pytest.mark.parametrize("frozen", sorted(FROZEN.glob("*.sqlite")), ids=lambda p: p.name)
def test_frozen_databases_upgrade_and_keep_their_records(frozen: Path, tmp_path: Path) -> None:
    copy = tmp_path / frozen.name
    shutil.copy(frozen, copy)
    with cipher.dbapi().connect(copy) as raw:
        before = raw.execute("SELECT count(*) FROM outreach_sessions").fetchone()[0]
    db = open_database(copy)
    try:
        assert current_revision(db.engine) == head_revision()
        if frozen.stem != head_revision():
            assert list(backups_dir(copy).glob("*.sqlite")), "migration must back up first"
        service = RecordService(db)
        assert service.count("sessions") == before > 0
        service.create(
            "teams",
            {
                "name": "Tổ mới",
                "households": 5,
                "leader": "Lê Văn A",
                "area": "Khối 1",
                "status": "active",
            },
        )
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        db.close()


def test_frozen_databases_exist_for_every_revision() -> None:
    assert (FROZEN / f"{head_revision()}.sqlite").exists()


def test_database_from_a_newer_version_is_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    open_database(path).close()
    with cipher.dbapi().connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_future'")
    data = path.read_bytes()
    with pytest.raises(UserFacingError) as caught:
        open_database(path)
    assert "9999" not in caught.value.message
    assert caught.value.message
    assert path.read_bytes() == data


def test_backup_file_is_a_complete_copy(db: Database, tmp_path: Path) -> None:
    from app.db.migrate import backup_file

    RecordService(db).create(
        "teams",
        {
            "name": "Tổ 1",
            "households": 5,
            "leader": "Lê Văn A",
            "area": "Khối 1",
            "status": "active",
        },
    )
    copy = backup_file(db.path, "test")
    assert copy.parent == backups_dir(db.path)
    with cipher.dbapi().connect(copy) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("SELECT name FROM fire_safety_teams").fetchall() == [("Tổ 1",)]


def test_schema_head_constant_matches_alembic() -> None:
    from app.db.migrate import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD
