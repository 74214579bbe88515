"""One process per database, one writer connection, and where the file may live (T60, T62)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.pool import QueuePool

from app.core.domain.errors import EnvironmentProblem
from app.db import instance_lock, storage
from app.db.engine import Database
from app.db.open import open_database

ROOT = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time
from pathlib import Path
from app.db.open import open_database
db = open_database(Path(sys.argv[1]))
print("open", flush=True)
time.sleep(60)
"""


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--lang", "vi", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_a_second_process_is_refused_until_the_first_dies(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    open_database(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        refused = _cli(path, "audit", "verify")
        assert refused.returncode == 2
        assert "đang được mở" in refused.stderr, refused.stderr
        with pytest.raises(EnvironmentProblem):
            instance_lock.acquire(path)
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a crash: the OS drops the lock with the process
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert _cli(path, "audit", "verify").returncode == 0


def test_the_same_process_may_open_a_database_twice(tmp_path: Path) -> None:
    path = tmp_path / "station.sqlite"
    first = open_database(path)
    second = open_database(path)
    second.close()
    assert instance_lock.is_held_here(path)
    first.close()
    assert not instance_lock.is_held_here(path)


def test_there_is_one_writer_connection(empty_db: Database) -> None:
    """T62: a second writer waits for the first instead of writing beside it."""
    from sqlalchemy import text

    order: list[str] = []
    inside = threading.Event()

    def first() -> None:
        with empty_db.write() as session:
            session.execute(text("INSERT INTO app_meta (key, value) VALUES ('a', '1')"))
            inside.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait()
    with empty_db.write() as session:
        session.execute(text("INSERT INTO app_meta (key, value) VALUES ('b', '2')"))
        order.append("second wrote")
    thread.join()
    assert order == ["first done", "second wrote"]
    assert isinstance(empty_db.write_engine.pool, QueuePool)
    assert empty_db.write_engine.pool.size() == 1


def test_a_writer_that_waits_too_long_gets_a_clear_message(tmp_path: Path) -> None:
    db = Database(tmp_path / "busy.sqlite", busy_timeout_ms=300)
    try:
        release = threading.Event()
        inside = threading.Event()

        def hold() -> None:
            from sqlalchemy import text

            with db.write() as session:
                session.execute(text("SELECT 1"))  # takes the writer connection
                inside.set()
                release.wait(5)

        thread = threading.Thread(target=hold)
        thread.start()
        inside.wait()
        from sqlalchemy import text

        with pytest.raises(EnvironmentProblem) as raised, db.write() as session:
            session.execute(text("SELECT 1"))
        release.set()
        thread.join()
        assert "bận" in raised.value.message
    finally:
        db.close()


MOUNTS = r"""/dev/sda2 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
//server/share /mnt/share cifs rw 0 0
server:/export /srv/nfs nfs4 rw 0 0
/dev/sdb1 /media/officer/USB\040STICK vfat rw 0 0
/dev/sda3 /home ext4 rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/home/officer/modelward.sqlite", storage.LOCAL),
        ("/mnt/share/modelward.sqlite", storage.NETWORK),
        ("/srv/nfs/ward/modelward.sqlite", storage.NETWORK),
        ("/media/officer/USB STICK/modelward.sqlite", storage.REMOVABLE),
        ("/srv/other/modelward.sqlite", storage.LOCAL),
    ],
)
def test_where_the_database_lives(path: str, kind: str) -> None:
    assert storage.classify_mount(Path(path).parent, MOUNTS)[0] == kind


def test_this_machines_test_folder_is_local(tmp_path: Path) -> None:
    assert storage.classify(tmp_path / "x.sqlite")[0] == storage.LOCAL
