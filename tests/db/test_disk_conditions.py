"""A full disk and a read-only folder, made for real on a small tmpfs: each gives a clear
Vietnamese message, and the database keeps exactly what was committed before."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.domain.errors import EnvironmentProblem
from app.core.services import backup_steps as backup
from app.core.services.demo import DEMO_PROFILE
from app.core.services.profile import set_up
from app.core.services.records import RecordService
from app.db.open import open_database
from tests.core.test_records import VALID


def _mount(folder: Path, options: str) -> bool:
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return result.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB file system of its own (needs the right to mount, as root in CI here)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or not _mount(folder, "size=4m"):
        pytest.skip("mounting a tmpfs needs root; the full-disk test cannot run here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _rows(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(raw.execute("SELECT count(*) FROM outreach_sessions").fetchone()[0])


def _fill(folder: Path) -> Path:
    filler = folder / "filler.bin"
    with filler.open("wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
                stream.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_refuses_the_change_and_loses_nothing(small_disk: Path) -> None:
    path = small_disk / "station.sqlite"
    db = open_database(path)
    try:
        set_up(db, DEMO_PROFILE)
        service = RecordService(db, author="Nguyễn Văn An")
        service.create("sessions", VALID["sessions"])
        filler = _fill(small_disk)
        rows = [
            {**VALID["sessions"], "place": f"Tổ dân phố {n} — {uuid.uuid4()}"} for n in range(3000)
        ]
        with pytest.raises(EnvironmentProblem) as refused:
            service.create_many("sessions", rows)
        assert "đầy" in refused.value.message  # "Ổ đĩa đã đầy…"
        assert refused.value.hint
        with pytest.raises(EnvironmentProblem) as no_backup:
            backup.create_backup(path, "manual")
        assert "chỗ trống" in no_backup.value.message  # "Không còn chỗ trống để ghi…"
        assert backup.list_backups(path) == []  # no half-written backup under a real name
        filler.unlink()
        service.create("sessions", {**VALID["sessions"], "place": "Sau khi dọn ổ đĩa"})
    finally:
        db.close()
    assert _rows(path) == 2  # the first record and the one after space was freed; no partial import


def test_a_read_only_folder_is_reported_and_the_data_stays(small_disk: Path) -> None:
    path = small_disk / "station.sqlite"
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    RecordService(db, author="Nguyễn Văn An").create("sessions", VALID["sessions"])
    db.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        with pytest.raises(EnvironmentProblem) as refused:
            reopened = open_database(path)
            try:
                RecordService(reopened, author="x").create("sessions", VALID["sessions"])
            finally:
                reopened.close()
        assert "chỉ đọc" in refused.value.message or "quyền" in refused.value.message, (
            refused.value.message
        )
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert _rows(path) == 1
