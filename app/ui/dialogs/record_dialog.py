"""The add/edit form for any record kind, built from its field list.

Rules live in the service: the form sends what the officer typed, and a ``ValidationError``
comes back with one message per field, shown in red right under that field. A record dated in
a locked month is refused for an officer (the form stays open with the reason); the chief is
asked to confirm, and the service records the override in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.errors import ValidationError
from app.core.domain.formatting import format_float, format_int
from app.core.domain.records import Change, FieldSpec, FieldType, RecordKind
from app.core.services.locked_months import LockedMonthError
from app.i18n import _
from app.ui.dialogs.fit import grow_to_fit

EMPTY_DATE = QDate(1974, 12, 31)
QWIDGETSIZE_MAX = (1 << 24) - 1
ALIGN_NONE = Qt.AlignmentFlag(0)

Save = Callable[..., Change]  # save(values, confirm_locked=False) -> Change


def ask_locked_override(parent: QWidget | None, error: LockedMonthError) -> bool:
    """The chief's confirmation of a change to records of a locked month."""
    from app.ui.errors import confirm

    return confirm(
        parent,
        _("Locked month"),
        error.message,
        yes=_("Change it anyway"),
        detail=error.hint or "",
    )


def with_lock_override(
    parent: QWidget | None,
    call: Callable[..., Change],
    ask: Callable[[QWidget | None, LockedMonthError], bool] = ask_locked_override,
) -> Change | None:
    """Run ``call()``; if it touches a locked month and the user is the chief, ask, then run
    ``call(confirm_locked=True)``. None when the chief declines; a refusal is raised."""
    try:
        return call()
    except LockedMonthError as error:
        if not error.needs_confirmation:
            raise
        if not ask(parent, error):
            return None
        return call(confirm_locked=True)


class FieldEditor:
    """One field's widget and its error label."""

    def __init__(self, spec: FieldSpec, parent: QWidget) -> None:
        self.spec = spec
        self.widget = self._make_widget(parent)
        self.widget.setObjectName(f"field_{spec.name}")
        self.error = QLabel(parent)
        self.error.setObjectName(f"error_{spec.name}")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()

    def _make_widget(self, parent: QWidget) -> QWidget:
        spec = self.spec
        if spec.type is FieldType.LONG_TEXT:
            editor = QPlainTextEdit(parent)
            editor.setTabChangesFocus(True)
            editor.setFixedHeight(70)
            return editor
        if spec.type is FieldType.DATE:
            date_edit = QDateEdit(parent)
            date_edit.setDisplayFormat("dd/MM/yyyy")
            date_edit.setCalendarPopup(True)
            date_edit.setMinimumDate(EMPTY_DATE)
            if not spec.required:
                date_edit.setSpecialValueText(_("(not known)"))
            date_edit.setDate(QDate.currentDate() if spec.required else EMPTY_DATE)
            return date_edit
        if spec.type is FieldType.BOOL:
            return QCheckBox(parent)
        if spec.type is FieldType.CHOICE:
            combo = QComboBox(parent)
            if spec.required:
                # No silent default: a forgotten choice must be noticed, not saved as the
                # first option ("Corporal", "Ward police chief", ...).
                combo.addItem(_("— choose —"), None)
            for code, label in spec.choices:
                combo.addItem(_(label), code)
            return combo
        line = QLineEdit(parent)
        if spec.type in (FieldType.INT, FieldType.FLOAT):
            line.setMaximumWidth(160)
            line.setPlaceholderText(_("number"))
        else:
            line.setMaxLength(spec.max_length)
        return line

    def value(self) -> Any:
        widget = self.widget
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText()
        if isinstance(widget, QDateEdit):
            chosen = widget.date()
            return (
                None if chosen == EMPTY_DATE else date(chosen.year(), chosen.month(), chosen.day())
            )
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        assert isinstance(widget, QLineEdit)
        return widget.text()

    def set_value(self, value: Any) -> None:
        widget = self.widget
        if isinstance(widget, QPlainTextEdit):
            widget.setPlainText(value or "")
        elif isinstance(widget, QDateEdit):
            widget.setDate(QDate(value.year, value.month, value.day) if value else EMPTY_DATE)
        elif isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            position = widget.findData(value)
            if position < 0 and value is not None:
                # a code this version does not know: keep it rather than change it silently
                widget.addItem(str(value), value)
                position = widget.count() - 1
            widget.setCurrentIndex(max(0, position))
        elif isinstance(widget, QLineEdit):
            widget.setText(_as_text(self.spec, value))

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


def _as_text(spec: FieldSpec, value: Any) -> str:
    if value is None:
        return ""
    if spec.type is FieldType.INT:
        return format_int(value)
    if spec.type is FieldType.FLOAT:
        return format_float(value)
    return str(value)


class RecordDialog(QDialog):
    """Add or edit one record; ``save`` is the service call, retried until it validates."""

    def __init__(
        self,
        kind: RecordKind,
        save: Save,
        values: Mapping[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self._save = save
        self.change: Change | None = None
        # the chief's "change a locked month anyway?" question; replaced by tests
        self.ask_locked: Callable[[QWidget | None, LockedMonthError], bool] = ask_locked_override
        self.setObjectName(f"record_dialog_{kind.code}")
        title = _("Edit {kind}") if values else _("Add {kind}")
        self.setWindowTitle(title.format(kind=_(kind.singular)))
        self.setMinimumWidth(520)

        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.editors: dict[str, FieldEditor] = {}
        for spec in kind.fields:
            editor = FieldEditor(spec, self)
            self.editors[spec.name] = editor
            label = _(spec.label) + (" *" if spec.required else "")
            column = QVBoxLayout()
            column.setSpacing(2)
            # a narrow field (a number) is put on the left rather than narrowing the column:
            # its error message below it gets the whole width of the form
            narrow = editor.widget.maximumWidth() < QWIDGETSIZE_MAX
            column.addWidget(editor.widget, 0, Qt.AlignmentFlag.AlignLeft if narrow else ALIGN_NONE)
            column.addWidget(editor.error)
            form.addRow(label, column)
            if values is not None:
                editor.set_value(values.get(spec.name))
        layout.addLayout(form)

        self.summary = QLabel(self)
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("color: #b00020;")
        self.summary.hide()
        layout.addWidget(self.summary)

        note = QLabel(_("Fields marked * are required."), self)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)

        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton(_("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        return {name: editor.value() for name, editor in self.editors.items()}

    def try_save(self) -> None:
        for editor in self.editors.values():
            editor.show_error(None)
        self.summary.hide()
        values = self.values()
        try:
            change = with_lock_override(
                self, lambda **how: self._save(values, **how), self.ask_locked
            )
        except ValidationError as error:
            self._show_errors(error.field_errors)
            return
        except LockedMonthError as error:  # an officer: the form keeps what was typed
            self.summary.setText(f"{error.message} {error.hint or ''}".strip())
            self.summary.show()
            grow_to_fit(self)
            return
        if change is None:  # the chief chose not to change the locked month
            return
        self.change = change
        self.accept()

    def _show_errors(self, errors: Mapping[str, str]) -> None:
        first: QWidget | None = None
        for name, message in errors.items():
            editor = self.editors.get(name)
            if editor is not None:
                editor.show_error(message)
                first = first or editor.widget
        count = len(errors)
        self.summary.setText(
            _("{count} field(s) need correcting before saving.").format(count=count)
        )
        self.summary.show()
        grow_to_fit(self)
        if first is not None:
            first.setFocus()
