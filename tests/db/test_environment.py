"""Problems of the machine, not bugs: each becomes a clear message and loses nothing."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from app.core.domain.errors import EnvironmentProblem
from app.core.services.records import RecordService
from app.db import cipher
from app.db.engine import Database
from app.db.open import open_database
from app.fileio import atomic_write_bytes
from app.i18n import _
from tests.core.test_records import VALID


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "photo.sqlite"
    data = b"\xff\xd8\xff\xe0 this is a JPEG, not a database" * 100
    path.write_bytes(data)
    with pytest.raises(EnvironmentProblem) as caught:
        open_database(path)
    assert caught.value.message == _("The database file is damaged or is not a ModelWard database.")
    assert caught.value.hint
    assert path.read_bytes() == data


def test_a_database_locked_by_another_program_is_reported(db: Database) -> None:
    service = RecordService(db)
    impatient = open_database(db.path, busy_timeout_ms=50)
    blocker = cipher.dbapi().connect(db.path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(EnvironmentProblem) as caught:
            RecordService(impatient).create("teams", VALID["teams"])
        assert caught.value.message == _("The database is in use by another program.")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        impatient.close()
    assert service.count("teams") == 0
    service.create("teams", VALID["teams"])
    assert service.count("teams") == 1


def test_writing_into_a_missing_folder_is_an_environment_problem(tmp_path: Path) -> None:
    target = tmp_path / "usb-stick-removed" / "cameras.xlsx"
    with pytest.raises(EnvironmentProblem) as caught:
        atomic_write_bytes(target, b"data")
    assert "cameras.xlsx" in caught.value.message
    assert not target.parent.exists()


def test_atomic_write_replaces_whole_files_only(tmp_path: Path) -> None:
    target = tmp_path / "list.xlsx"
    target.write_bytes(b"old contents")

    def fail_midway(stream: BinaryIO) -> None:
        stream.write(b"half of the new")
        raise OSError(28, "No space left on device")

    from app.fileio import atomic_write

    with pytest.raises(EnvironmentProblem) as caught:
        atomic_write(target, fail_midway)
    assert "list.xlsx" in caught.value.message
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["list.xlsx"]
