"""Qt lives only in app/ui: the domain, database and CLI import without PySide6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
import sys
import app.cli, app.cli.records, app.core.services.demo, app.core.services.overview
import app.core.services.spreadsheet
import app.core.services.records, app.core.domain.formatting, app.db.open, app.db.migrate
import app.i18n, app.paths, app.logs, app.cli.reports, app.core.services.report_data
import app.reports.period_report, app.reports.appendix_report
leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))
print(','.join(leaked))
"""


def test_core_db_and_cli_do_not_import_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == ""


def test_pyside6_is_imported_only_under_app_ui() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if "PySide6" in path.read_text(encoding="utf-8") and "ui" not in path.parts
    ]
    assert offenders == []


FORBIDDEN_IN_UI = (
    "sqlalchemy",
    "app.db.models",
    "app.db.pack_models",
    "app.db.records_repo",
    "app.db.tracking",
    "app.db.migrate",
)


def _imports(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_orm_sql_or_repositories_in_ui_modules() -> None:
    """The UI talks to services only: no SQLAlchemy, no models, no repositories."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _imports(path)
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_UI)
        )
        for path in (ROOT / "app" / "ui").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_crypto_and_tuf_live_in_app_sync_and_app_security() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app").rglob("*.py")
        if "sync" not in path.parts
        and "security" not in path.parts
        and any(
            name.split(".")[0] in ("cryptography", "tuf", "securesystemslib")
            for name in _imports(path)
        )
    ]
    assert offenders == []


def test_the_way_to_the_first_window_imports_no_database_or_crypto() -> None:
    """Cold start: the window frame is shown before SQLAlchemy, alembic, python-tuf or
    openpyxl are imported (bench/ measures the time; this keeps it from regressing)."""
    check = """
import sys
import app.cli
app.cli._parser()
import app.ui.app, app.ui.main_window
heavy = sorted(m for m in sys.modules
               if m.split('.')[0] in ('sqlalchemy', 'alembic', 'tuf', 'securesystemslib',
                                      'openpyxl', 'jsonschema', 'babel'))
print(','.join(heavy))
"""
    result = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.stdout.strip() == ""


FIRST_WINDOW = """
import os, sys
from PySide6.QtWidgets import QApplication, QMainWindow

from app.ui import app as ui_app
from app.ui.main_window import MainWindow

filtered = []
watch = ui_app.StationSession.eventFilter


def counting(self, watched, event):
    filtered.append(1)
    return watch(self, watched, event)


def shown(window):
    QMainWindow.show(window)
    QApplication.processEvents()
    window.grab()
    late = sorted(m for m in sys.modules if m.split('.')[0] in LATE or m in LATE)
    print(len(filtered), ','.join(late), flush=True)
    os._exit(0)


ui_app.StationSession.eventFilter = counting
MainWindow.show = shown
from app.cli import main

main(['--db', sys.argv[1]])
"""
# Not needed to show the first window: imported (or run) after it. The database, crypto and
# Babel, and also ctypes (the PySide6 emit guard), QtGui's actions, logging's rotating
# handler (socket, pickle), the CLI's login (getpass) and every service, repository and key.
LATE = (
    "sqlalchemy",
    "alembic",
    "tuf",
    "securesystemslib",
    "openpyxl",
    "jsonschema",
    "babel",
    "argon2",
    "cryptography",
    "pyrage",
    "sqlcipher3",
    "reportlab",
    "PIL",
    "ctypes",
    "getpass",
    "logging.handlers",
    "PySide6.QtPrintSupport",
    "app.cli.common",
    "app.ui.qt_fixes",
    "app.ui.ops",
    "app.ui.widgets",
    "app.ui.dialogs",
    "app.core.services",
    "app.db",
    "app.sync",
    "app.security",
    "app.reports",
)


def test_the_first_window_is_shown_before_the_station_is_watched_or_opened(
    tmp_path: Path,
) -> None:
    """``modelward`` shows its first window (bench/startup.py measures the time to it) before
    any of LATE is imported and before the auto-lock's application-wide event filter is
    installed: a Python event filter sees every event while the window is built and shown,
    and PySide6 builds the Python types and enums of every object it hands to it (~30 ms)."""
    result = subprocess.run(
        [sys.executable, "-c", FIRST_WINDOW.replace("LATE", repr(LATE)), str(tmp_path / "x")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={
            **__import__("os").environ,
            "QT_QPA_PLATFORM": "offscreen",
            "MODELWARD_DATA_DIR": str(tmp_path),
        },
        timeout=60,
    )
    filtered, _space, late = result.stdout.strip().partition(" ")
    assert (filtered, late) == ("0", "")
