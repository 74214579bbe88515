"""The province administrator resolves a ward's fork on the province screen (issue 13, item 1):
both histories are shown, the quarantined one can be kept (with the key passphrase, in the
background) as well as the applied one, and a wrong passphrase changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.services.sync.province.imports import ProvinceSync
from app.db.engine import Database
from app.ui.dialogs.fork_dialog import ForkDialog
from app.ui.widgets.province_page import ProvincePage
from app.ui.widgets.sync_page import PassphraseDialog
from tests.sync.bundle_pairs import PASSPHRASE
from tests.sync.helpers import db_digest
from tests.sync.test_fork_accept import REAL_ORDER, WARD, Setup, _bundle_id, _rows, setup
from tests.sync.test_forks import forked

__all__ = ["forked", "setup"]  # the module fixtures of the sync tests, shared

SHOTS = Path("/work/tools-tmp/shots/f")


def answer(kind: type[QWidget], act: Callable[[QWidget], None], seen: list[str]) -> None:
    """Act on the next modal dialog of ``kind`` (not on the fork dialog under it); record its
    text. Gives up after 10 s so that a missing dialog fails the test instead of hanging."""

    def poll(left: int = 500) -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind) and widget.isVisible():
            if isinstance(widget, QMessageBox):
                seen.append(widget.text() + "\n" + widget.informativeText())
            act(widget)
        elif left > 0:
            QTimer.singleShot(20, lambda: poll(left - 1))
        else:
            seen.append("no dialog appeared")

    QTimer.singleShot(0, poll)


def click_button(text: str) -> Callable[[QWidget], None]:
    def act(widget: QWidget) -> None:
        assert isinstance(widget, QMessageBox)
        (button,) = [b for b in widget.buttons() if b.text() == text]
        button.click()

    return act


def type_passphrase(passphrase: str) -> Callable[[QWidget], None]:
    def act(widget: QWidget) -> None:
        assert isinstance(widget, PassphraseDialog)
        widget.first.setText(passphrase)
        widget.accept()

    return act


def open_fork_dialog(qtbot: QtBot, db: Database, province: ProvinceSync) -> ForkDialog:
    page = ProvincePage(db, 2026, service=province)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not page.refreshing(), timeout=10000)
    (row,) = [i for i, r in enumerate(page.rows) if r.station_id == WARD]
    page.overview.selectRow(page.proxy.mapFromSource(page.model.index(row, 0)).row())
    page.resolve_button.click()  # through its signal, as the administrator does
    dialog = page.findChild(ForkDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def _statuses(db: Database) -> dict[str, str]:
    return dict(_rows(db, "SELECT bundle_id, status FROM sync_inbox WHERE station_id = ?", WARD))


def _places(db: Database) -> set[str]:
    return {place for (place,) in _rows(db, "SELECT place FROM outreach_sessions")}


def test_the_administrator_keeps_the_quarantined_history(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    db, province = setup.province(tmp_path / "p")
    try:
        setup.import_each(province, REAL_ORDER)  # the real 6 arrived first: the copy is held
        assert "Bản sao 7" not in _places(db) and "Thật 7" in _places(db)
        dialog = open_fork_dialog(qtbot, db, province)
        applied, quarantined = dialog.options
        assert not applied.quarantined and quarantined.quarantined
        assert applied.kept == (6, 7, 8) and quarantined.kept == (6, 7, 8)
        assert _bundle_id(setup.path(6, "c"))[:8] in quarantined.details
        assert "đã thu hồi" not in dialog.consequence.text()
        assert not dialog.resolve_button.isEnabled()  # nothing is chosen for the officer
        dialog.choices[1].setChecked(True)
        assert "mật khẩu khoá" in dialog.consequence.text()
        assert "khoá mới" in dialog.consequence.text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert dialog.grab().save(str(SHOTS / "fork-dialog.png"))
        asked: list[str] = []
        answer(QMessageBox, click_button("Giữ bên này, từ chối bên kia"), asked)
        answer(PassphraseDialog, type_passphrase(PASSPHRASE), asked)
        dialog.resolve_button.click()
        assert "Giữ các gói 6, 7, 8" in asked[0]
        qtbot.waitUntil(lambda: dialog.resolution is not None, timeout=30000)
        result = dialog.resolution
        assert result is not None and result.accepted_quarantined
        assert "gỡ bỏ" in dialog.status.text() and dialog.close_button.text() == "Đóng"
        assert dialog.grab().save(str(SHOTS / "fork-dialog-done.png"))
        statuses = _statuses(db)
        for seq in (6, 7, 8):
            assert statuses[_bundle_id(setup.path(seq, "c"))] == "applied"
            assert statuses[_bundle_id(setup.path(seq, "r"))] == "rejected"
        assert "Bản sao 7" in _places(db) and "Thật 7" not in _places(db)
        dialog.close_button.click()
        assert province.overview()[0].branches == ()
    finally:
        db.close()


def test_the_administrator_keeps_the_applied_history(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    db, province = setup.province(tmp_path / "p")
    try:
        setup.import_each(province, REAL_ORDER)
        dialog = open_fork_dialog(qtbot, db, province)
        dialog.choices[0].setChecked(True)
        asked: list[str] = []
        answer(QMessageBox, click_button("Giữ bên này, từ chối bên kia"), asked)
        dialog.resolve_button.click()  # no passphrase is asked: nothing is applied again
        qtbot.waitUntil(lambda: dialog.resolution is not None, timeout=30000)
        result = dialog.resolution
        assert result is not None and not result.accepted_quarantined
        assert result.rejected_seqs == (6, 7, 8) and "từ chối vĩnh viễn" in dialog.status.text()
        statuses = _statuses(db)
        assert statuses[_bundle_id(setup.path(7, "r"))] == "applied"
        assert statuses[_bundle_id(setup.path(7, "c"))] == "rejected"
        assert "Thật 7" in _places(db) and "Bản sao 7" not in _places(db)
    finally:
        db.close()


def test_a_wrong_passphrase_is_told_and_changes_nothing(
    qtbot: QtBot, setup: Setup, tmp_path: Path
) -> None:
    db, province = setup.province(tmp_path / "p")
    try:
        setup.import_each(province, REAL_ORDER)
        before = db_digest(db)
        dialog = open_fork_dialog(qtbot, db, province)
        dialog.choices[1].setChecked(True)
        seen: list[str] = []
        answer(QMessageBox, click_button("Giữ bên này, từ chối bên kia"), seen)
        answer(PassphraseDialog, type_passphrase("không phải mật khẩu"), seen)
        dialog.resolve_button.click()
        answer(QMessageBox, click_button("Đóng"), seen)  # the error, once the work ends
        qtbot.waitUntil(lambda: len(seen) == 2 and not dialog.busy(), timeout=30000)
        assert "Mật khẩu của khoá không đúng." in seen[1]
        assert dialog.resolution is None and dialog.isVisible()
        assert dialog.resolve_button.isEnabled()  # the administrator may try again
        assert db_digest(db) == before
        assert province.overview()[0].branches != ()
    finally:
        db.close()


def test_only_the_administrator_may_resolve(qtbot: QtBot, setup: Setup, tmp_path: Path) -> None:
    """The button mirrors the service's rule: the chief sees it disabled, the administrator
    can use it."""
    from app.core.domain.access import Actor, Role

    db, province = setup.province(tmp_path / "p")
    pair = setup.forked.pair
    try:
        setup.import_each(province, REAL_ORDER)
        for role, allowed in ((Role.OFFICER, False), (Role.CHIEF, False), (Role.ADMIN, True)):
            acting = ProvinceSync(
                db,
                now=pair.clock,
                actor=Actor("nguoidung", "Người dùng", role),
                keys_folder=pair.province.keys_folder,
            )
            page = ProvincePage(db, 2026, service=acting)
            qtbot.addWidget(page)
            qtbot.waitUntil(lambda: not page.refreshing(), timeout=10000)  # noqa: B023
            assert page.resolve_button.isEnabled() is allowed, role
    finally:
        db.close()
