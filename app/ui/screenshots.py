"""Render every main screen offscreen to PNG files, for the docs and for checking by eye."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.core.errors import UserFacingError
from app.core.records import KINDS
from app.db.open import open_database
from app.i18n import _
from app.ui.app import build_main_window, make_application
from app.ui.dialogs.record_dialog import RecordDialog
from app.ui.dialogs.setup_dialog import SetupDialog


def _grab(widget: QWidget, path: Path) -> Path:
    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise UserFacingError(_("Could not write {path}.").format(path=path))
    return path


def render_screenshots(db_path: Path, out: Path) -> list[Path]:
    """Write one PNG per screen (overview, each record page, a form, set-up) into ``out``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not db_path.exists():
        raise UserFacingError(
            _("There is no database at {path}.").format(path=db_path),
            hint=_("Build one first with `modelward demo`."),
        )
    make_application()
    out.mkdir(parents=True, exist_ok=True)
    db = open_database(db_path)
    written: list[Path] = []
    try:
        window = build_main_window(db)
        if window is None:
            raise UserFacingError(_("This station has not been set up yet."))
        window.resize(1366, 768)
        window.show()
        window.show_page("overview")
        written.append(_grab(window, out / "00-overview.png"))
        for number, kind in enumerate(KINDS, start=1):
            window.show_page(kind.code)
            page = window.page(kind.code)
            page.table.selectRow(0)
            written.append(_grab(window, out / f"{number:02d}-{kind.code}.png"))
            record = page.selected_row()
            dialog = RecordDialog(
                kind,
                lambda _v: None,  # type: ignore[arg-type,return-value]
                values=record.values if record else None,
                parent=window,
            )
            dialog.show()
            written.append(_grab(dialog, out / f"{number:02d}-{kind.code}-form.png"))
            dialog.close()
        setup = SetupDialog(db)
        setup.show()
        written.append(_grab(setup, out / "90-setup.png"))
        setup.close()
        window.close()
        QTimer.singleShot(0, lambda: None)
    finally:
        db.close()
    return written
