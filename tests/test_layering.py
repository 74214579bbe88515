"""Qt lives only in app/ui: the domain, database and CLI import without PySide6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
import sys
import app.cli, app.cli_records, app.core.demo, app.core.overview, app.core.spreadsheet
import app.core.record_service, app.core.formatting, app.db.open, app.db.migrate
import app.i18n, app.paths, app.logs
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


def test_no_orm_or_session_in_ui_modules() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "app" / "ui").rglob("*.py")
        if any(
            word in path.read_text(encoding="utf-8")
            for word in (
                "from sqlalchemy",
                "import sqlalchemy",
                "app.db.models",
                "app.db.records_repo import list_ids",
                ".write()",
            )
        )
    ]
    assert offenders == []
