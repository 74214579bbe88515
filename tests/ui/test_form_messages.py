"""A message shown in an open form takes its own room: it is not drawn over the next field and
no line of it is cut off (issue 13, seen under Xvfb on the set-up form)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.records import kind_by_code
from app.core.services import profile
from app.core.services.records import RecordService
from app.db.engine import Database
from app.ui.dialogs.record_dialog import RecordDialog
from app.ui.dialogs.setup_dialog import SetupDialog
from tests.ui.conftest import type_text


def takes_its_room(label: QLabel, below: QWidget) -> None:
    assert label.isVisibleTo(label.window())
    assert label.height() >= label.heightForWidth(label.width()), label.text()
    assert not label.geometry().intersects(below.geometry()), label.text()


def test_the_set_up_form_errors_do_not_cover_the_next_field(
    qtbot: QtBot, empty_db: Database
) -> None:
    dialog = SetupDialog(empty_db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.province.setCurrentIndex(dialog.province.findData("40"))
    type_text(dialog.code, "1668")
    dialog.try_save()
    qtbot.wait(100)
    assert not profile.is_set_up(empty_db)
    takes_its_room(dialog.errors["ward_code"], dialog.name)
    takes_its_room(dialog.errors["ward_name"], dialog.place)
    takes_its_room(dialog.errors["place_name"], dialog.is_province)

    type_text(dialog.code, "1")  # the code is now right: its message goes once saved again
    dialog.try_save()
    qtbot.wait(100)
    assert not dialog.errors["ward_code"].isVisibleTo(dialog)
    takes_its_room(dialog.errors["ward_name"], dialog.place)


def test_the_record_form_field_errors_do_not_cover_the_next_field(
    qtbot: QtBot, service: RecordService
) -> None:
    kind = kind_by_code("sessions")
    form = RecordDialog(kind, lambda values, **how: service.create("sessions", values, **how))
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    form.save_button.click()  # nothing typed: every required field is refused
    qtbot.wait(100)
    assert form.change is None and form.isVisible()
    names = [spec.name for spec in kind.fields]
    shown = [name for name in names if form.editors[name].error.isVisibleTo(form)]
    assert shown
    for name in shown:
        below = names.index(name) + 1
        takes_its_room(
            form.editors[name].error,
            form.editors[names[below]].widget if below < len(names) else form.summary,
        )
    takes_its_room(form.summary, form.save_button)
