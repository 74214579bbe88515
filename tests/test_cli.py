"""The ``modelward`` command, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import __version__

if TYPE_CHECKING:
    from app.core.domain.records import RecordRow

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or dict(os.environ),
        timeout=120,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"modelward {__version__}"


def test_gui_without_a_display_exits_with_one_clear_line(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["MODELWARD_DATA_DIR"] = str(tmp_path)
    result = run("--db", str(tmp_path / "x.sqlite"), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISPLAY" in lines[0]
    assert "Aborted" not in result.stderr


def test_demo_list_export_and_log_file(tmp_path: Path) -> None:
    env = dict(os.environ, MODELWARD_DATA_DIR=str(tmp_path))
    db = tmp_path / "demo.sqlite"
    built = run("--db", str(db), "demo", "--years", "2", env=env)
    assert built.returncode == 0, built.stderr
    assert db.exists()
    again = run("--db", str(db), "demo", "--years", "2", env=env)
    assert again.returncode == 2
    assert str(db) in again.stderr
    skipped = run("--db", str(db), "demo", "--if-missing", env=env)
    assert skipped.returncode == 0
    # the demo comes with one account per role, printed when it is built
    assert "demo.canbo" in built.stdout and "canbo-demo" in built.stdout
    env.update(MODELWARD_USER="demo.canbo", MODELWARD_PASSWORD="canbo-demo")

    listed = run("--db", str(db), "list", "teams", env=env)
    assert listed.returncode == 0
    assert listed.stdout.count("Tổ liên gia an toàn PCCC số") == 6

    found = run("--db", str(db), "list", "officers", "--search", "pham van thang", env=env)
    assert found.stdout.splitlines()[0].startswith("Phạm Văn Thắng")

    out = tmp_path / "cameras.xlsx"
    exported = run("--db", str(db), "export", "cameras", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    from openpyxl import load_workbook

    sheet = load_workbook(out).active
    assert sheet is not None
    assert sheet.max_row == 2 + 40

    log_file = tmp_path / "logs" / "modelward.log"
    assert "modelward 0.1.0 started: demo" in log_file.read_text(encoding="utf-8")


def test_unknown_kind_is_a_clear_error(tmp_path: Path) -> None:
    env = dict(os.environ, MODELWARD_DATA_DIR=str(tmp_path))
    result = run("--db", str(tmp_path / "none.sqlite"), "list", "bicycles", env=env)
    assert result.returncode == 2
    assert "bicycles" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_log_file_rotates(tmp_path: Path) -> None:
    env = dict(os.environ, MODELWARD_DATA_DIR=str(tmp_path))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "modelward.log").write_text("x" * 2_100_000, encoding="utf-8")
    assert run("--db", str(tmp_path / "none.sqlite"), "list", "teams", env=env).returncode == 2
    assert (logs / "modelward.log.1").exists()
    assert "started: list" in (logs / "modelward.log").read_text(encoding="utf-8")


def test_a_station_with_accounts_needs_a_login_and_the_role_decides(tmp_path: Path) -> None:
    """The CLI logs in the way the app does; a wrong password counts towards the lock-out and
    an officer's command that needs the chief is refused before anything is written."""
    from app.core.domain.access import Role
    from app.core.services.demo import DEMO_PROFILE
    from app.core.services.profile import set_up
    from app.core.services.spreadsheet import export_xlsx
    from app.db.open import open_database
    from app.security.accounts import Accounts, KdfParams

    path = tmp_path / "station.sqlite"
    db = open_database(path)
    set_up(db, DEMO_PROFILE)
    db.close()
    accounts = Accounts(path, kdf=KdfParams(time_cost=1, memory_cost=8, parallelism=1))
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị")
    accounts.add_user(admin, "nvan", "Nguyễn Văn An", Role.OFFICER, "tạm thời 123")
    accounts.change_password("nvan", "tạm thời 123", "của tôi 2026")
    source = tmp_path / "sessions.xlsx"
    export_xlsx("sessions", [_session_row()], source, "Tuyên truyền")
    base = {k: v for k, v in os.environ.items() if not k.startswith("MODELWARD_")}
    base["MODELWARD_DATA_DIR"] = str(tmp_path)

    anonymous = run("--db", str(path), "list", "sessions", env=base)
    assert anonymous.returncode == 2
    assert "đăng nhập" in anonymous.stderr

    wrong = run(
        "--db", str(path), "--user", "nvan", "list", "sessions",
        env={**base, "MODELWARD_PASSWORD": "sai"},
    )  # fmt: skip
    assert wrong.returncode == 2 and "không đúng" in wrong.stderr
    assert next(u for u in accounts.users() if u.username == "nvan").failed_attempts == 1

    officer = {**base, "MODELWARD_USER": "nvan", "MODELWARD_PASSWORD": "của tôi 2026"}
    imported = run("--db", str(path), "import", "sessions", str(source), "--yes", env=officer)
    assert imported.returncode == 0, imported.stderr
    listed = run("--db", str(path), "list", "sessions", env=officer)
    assert listed.returncode == 0 and "Nhà văn hoá khối 3" in listed.stdout
    from app.db import cipher

    assert cipher.is_encrypted(path)  # the first login encrypted the station
    assert "Nhà văn hoá khối 3".encode() not in path.read_bytes()

    before = path.read_bytes()
    backups = sorted((tmp_path / "backups").glob("*")) if (tmp_path / "backups").exists() else []
    refused = run("--db", str(path), "pack", "install", str(tmp_path), env=officer)
    assert refused.returncode == 2
    assert "không được phép" in refused.stderr
    assert path.read_bytes() == before  # refused before the automatic backup or any write
    now = sorted((tmp_path / "backups").glob("*")) if (tmp_path / "backups").exists() else []
    assert now == backups
    # nothing secret in the logs: no password, right or wrong
    logs = "".join(p.read_text("utf-8") for p in (tmp_path / "logs").glob("*.log*"))
    assert "nvan" in logs or "import" in logs  # the log was written
    for secret in ("của tôi 2026", "tạm thời 123", "mật khẩu quản trị"):
        assert secret not in logs


def _session_row() -> RecordRow:
    from app.core.domain.records import RecordRow, kind_by_code
    from tests.conftest import NOW
    from tests.core.test_records import VALID

    empty: dict[str, Any] = {spec.name: None for spec in kind_by_code("sessions").fields}
    values = empty | VALID["sessions"]
    return RecordRow("sessions", 1, "u-1", values, NOW, NOW, "x", 1)
