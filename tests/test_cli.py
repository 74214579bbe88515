"""The ``modelward`` command, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app import __version__

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
