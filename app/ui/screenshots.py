"""Render every main screen offscreen to PNG files, for the docs and for checking by eye."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.core.domain.errors import UserFacingError
from app.core.domain.records import KINDS
from app.core.services import storage
from app.core.services.storage import open_database
from app.i18n import _
from app.ui.app import build_main_window, make_application
from app.ui.dialogs.record_dialog import RecordDialog
from app.ui.dialogs.setup_dialog import SetupDialog

if TYPE_CHECKING:
    from app.core.services.accounts import LoginResult


def _grab(widget: QWidget, path: Path) -> Path:
    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise UserFacingError(_("Could not write {path}.").format(path=path))
    return path


SAMPLE_CAMERAS = (
    "STT,Địa chỉ,Loại chủ sở hữu,Chủ hộ,Kết nối Công an,Ngày lắp đặt,Tình trạng\n"
    "1,Số 18 đường Lê Lợi,Hộ gia đình,Trần Văn Bình,Có,12/05/2024,Hoạt động tốt\n"
    "2,Số 40 đường Trường Thi,Doanh nghiệp,Cửa hàng Thu Hà,Không,01/06/2024,Hoạt động tốt\n"
    "3,Số 18 đường Lê Lợi,Hộ gia đình,Trần Văn Bình,Có,12/05/2024,Hoạt động tốt\n"
    "4,Số 7 đường Nguyễn Du,Hộ gia đình,Lê Thị Hoa,Có,32/13/2024,Hoạt động tốt\n"
)


def _import_preview(window: QWidget, out: Path) -> Path:
    """The import dialog over a small sample list with new, duplicate and invalid rows."""
    from app.core.domain.records import CAMERAS
    from app.ui.dialogs.import_dialog import ImportDialog
    from app.ui.main_window import MainWindow

    assert isinstance(window, MainWindow) and window.service is not None
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "danh-sach-camera.csv"
        sample.write_text(SAMPLE_CAMERAS, encoding="utf-8")
        dialog = ImportDialog(window.service, CAMERAS, sample, parent=window)
        dialog.show()
        deadline = time.monotonic() + 30
        while dialog.model is None and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.01)
        path = _grab(dialog, out / "80-import-preview.png")
        dialog.close()
    return path


def _demo_login(db_path: Path) -> LoginResult | None:
    """The demo's chief, logged in with the demo card's password (the screens a chief sees);
    None for a station without accounts. Real stations are not photographed."""
    from app.core.domain.access import Role
    from app.core.services import demo_accounts, storage
    from app.core.services.accounts import Accounts

    accounts = Accounts(db_path)
    if not accounts.exists():
        return None
    card = demo_accounts.read_card(db_path)
    if card is None:
        raise UserFacingError(
            _("Screenshots are taken of the demo database; this station has real accounts."),
            hint=_("Build the demo with `modelward demo`, then `modelward screenshots --demo`."),
        )
    chief = next(account for account in card.accounts if account.role is Role.CHIEF)
    login = accounts.login(chief.username, chief.password)
    storage.unlock(db_path, login.db_key)
    return login


def _login_screens(db_path: Path, out: Path) -> list[Path]:
    """The demo's login screen with its accounts, and the recovery-code step of a first start
    (made with a throwaway accounts file, cheap to derive)."""
    from app.core.services import demo_accounts
    from app.core.services.accounts import Accounts, KdfParams
    from app.ui.dialogs.login_dialog import CreateAdminDialog, LoginDialog

    written = []
    login = LoginDialog(Accounts(db_path), demo=demo_accounts.read_card(db_path))
    login.show()
    written.append(_grab(login, out / "91-login-demo.png"))
    login.close()
    with tempfile.TemporaryDirectory() as folder:
        cheap = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
        create = CreateAdminDialog(Accounts(Path(folder) / "station.sqlite", kdf=cheap))
        create.username.setText("quantri")
        create.display_name.setText("Lê Quản Trị")
        for field in (create.password, create.again):
            field.setText("mật khẩu quản trị")
        create.show()
        written.append(_grab(create, out / "92-create-admin.png"))
        create.create_account()  # the keys are made off the GUI thread
        deadline = time.monotonic() + 30
        while create.code_view is None and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.01)
        written.append(_grab(create, out / "93-recovery-code.png"))
        create.done(0)
    return written


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
    login = _demo_login(db_path)
    db = open_database(db_path)
    written: list[Path] = []
    try:
        window = build_main_window(db, login=login)
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
        for number, key in (
            (20, "indicators"),
            (21, "assessment"),
            (22, "reports"),
            (23, "packs"),
            (24, "sync"),
            (25, "audit"),
        ):
            window.show_page(key)
            written.append(_grab(window, out / f"{number}-{key}.png"))
        written.append(_import_preview(window, out))
        setup = SetupDialog(db)
        setup.show()
        written.append(_grab(setup, out / "90-setup.png"))
        setup.close()
        if login is not None:
            written += _login_screens(db_path, out)
        window.close()
        QTimer.singleShot(0, lambda: None)
    finally:
        db.close()
        storage.forget_key(db_path)
    return written
