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
