"""The record form and a locked month: an officer's session dated in it is refused with the
form kept open; the chief is asked, and only a "yes" saves it (audited by the service)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.access import Actor, Role
from app.core.domain.records import kind_by_code
from app.core.services import packs
from app.core.services.indicators import IndicatorService
from app.core.services.locked_months import OVERRIDE, LockedMonthError
from app.core.services.records import RecordService
from app.db.engine import Database
from app.ui.dialogs.record_dialog import RecordDialog, with_lock_override
from tests.conftest import NOW
from tests.core.test_records import VALID

TODAY = date(2026, 12, 5)
OFFICER = Actor("nvan", "Nguyễn Văn An", Role.OFFICER)
CHIEF = Actor("thang", "Phạm Văn Thắng", Role.CHIEF)
IN_LOCKED_MONTH = {**VALID["sessions"], "held_on": date(2026, 11, 10), "place": "Chợ phường"}
Schedule = Callable[[Callable[[QWidget], None]], None]


@pytest.fixture
def locked(db: Database) -> Database:
    packs.install_bundled(db, datetime.now(UTC), "test")
    IndicatorService(db, actor=CHIEF, clock=lambda: NOW, today=lambda: TODAY).lock(2026, 11)
    return db


def _records(db: Database, actor: Actor) -> RecordService:
    return RecordService(db, actor=actor, clock=lambda: NOW, today=lambda: TODAY)


def _dialog(qtbot: QtBot, service: RecordService) -> RecordDialog:
    kind = kind_by_code("sessions")
    dialog = RecordDialog(kind, lambda v, **how: service.create("sessions", v, **how))
    qtbot.addWidget(dialog)
    for name, value in IN_LOCKED_MONTH.items():
        dialog.editors[name].set_value(value)
    return dialog


def _places(db: Database) -> list[str]:
    with sqlite3.connect(db.path) as raw:
        return [row[0] for row in raw.execute("SELECT place FROM outreach_sessions")]


def _overrides(db: Database) -> int:
    with sqlite3.connect(db.path) as raw:
        query = "SELECT count(*) FROM audit_log WHERE action = ?"
        return int(raw.execute(query, (OVERRIDE,)).fetchone()[0])


def test_an_officers_session_in_a_locked_month_is_refused_and_the_form_kept(
    qtbot: QtBot, locked: Database
) -> None:
    dialog = _dialog(qtbot, _records(locked, OFFICER))
    asked: list[LockedMonthError] = []

    def ask(_parent: QWidget | None, error: LockedMonthError) -> bool:
        asked.append(error)
        return True

    dialog.ask_locked = ask
    dialog.save_button.click()
    assert asked == []  # an officer is never offered the override
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.change is None
    assert not dialog.summary.isHidden()
    assert "11/2026" in dialog.summary.text() and "khoá sổ" in dialog.summary.text()
    assert dialog.values()["place"] == "Chợ phường"  # what was typed is still there
    assert _places(locked) == [] and _overrides(locked) == 0


def test_the_chief_is_asked_and_only_yes_saves(qtbot: QtBot, locked: Database) -> None:
    dialog = _dialog(qtbot, _records(locked, CHIEF))
    answers = [False, True]
    asked: list[LockedMonthError] = []

    def ask(_parent: QWidget | None, error: LockedMonthError) -> bool:
        asked.append(error)
        return answers.pop(0)

    dialog.ask_locked = ask
    dialog.save_button.click()  # "no": nothing saved, the form stays
    assert dialog.change is None and _places(locked) == []
    dialog.save_button.click()  # "yes"
    assert [error.months for error in asked] == [((2026, 11),), ((2026, 11),)]
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.change is not None
    assert _places(locked) == ["Chợ phường"] and _overrides(locked) == 1


def test_the_chiefs_question_is_a_real_message_box(
    qtbot: QtBot, locked: Database, when_modal: Schedule
) -> None:
    chief = _records(locked, CHIEF)
    seen: list[str] = []

    def answer(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        yes = next(b for b in box.buttons() if b.text() == "Vẫn thay đổi")
        yes.click()

    when_modal(answer)
    change = with_lock_override(
        None, lambda **how: chief.create("sessions", IN_LOCKED_MONTH, **how)
    )
    assert change is not None and change.created
    assert "11/2026" in seen[0]
    assert _overrides(locked) == 1


def test_undoing_the_chiefs_change_asks_again(
    qtbot: QtBot, locked: Database, when_modal: Schedule
) -> None:
    from PySide6.QtGui import QUndoStack

    from app.ui.undo import CreateCommand

    chief = _records(locked, CHIEF)
    change = chief.create("sessions", IN_LOCKED_MONTH, confirm_locked=True)
    stack = QUndoStack()
    refreshed: list[object] = []
    stack.push(CreateCommand(chief, kind_by_code("sessions"), change.created[0], refreshed.append))

    def answer(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        next(b for b in box.buttons() if b.text() == "Vẫn thay đổi").click()

    when_modal(answer)
    stack.undo()
    assert refreshed and _overrides(locked) == 2
    assert chief.list_ids("sessions") == []
