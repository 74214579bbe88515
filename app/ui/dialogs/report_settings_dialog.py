"""The ward's report settings: document number pattern, signer, Kính gửi and Nơi nhận."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.report_views import ReportSettings
from app.core.domain.text import clean
from app.i18n import _

PREFIXES = ("", "KT.", "TM.", "Q.", "TL.", "TUQ.")


def _lines(editor: QPlainTextEdit) -> tuple[str, ...]:
    return tuple(line for line in (clean(raw) for raw in editor.toPlainText().splitlines()) if line)


class ReportSettingsDialog(QDialog):
    def __init__(self, settings: ReportSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.result_settings: ReportSettings | None = None
        self.setObjectName("report_settings_dialog")
        self.setWindowTitle(_("Report settings"))
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.pattern = QLineEdit(settings.number_pattern, self)
        self.pattern.setObjectName("pattern")
        self.prefix = QComboBox(self)
        for prefix in PREFIXES:
            self.prefix.addItem(prefix or _("(signs as head)"), prefix)
        self.prefix.setCurrentIndex(max(0, self.prefix.findData(settings.signer_prefix)))
        self.authority = QLineEdit(settings.signer_authority, self)
        self.title = QLineEdit(settings.signer_title, self)
        self.rank = QLineEdit(settings.signer_rank, self)
        self.name = QLineEdit(settings.signer_name, self)
        self.name.setObjectName("name")
        self.addressees = QPlainTextEdit("\n".join(settings.addressees), self)
        self.recipients = QPlainTextEdit("\n".join(settings.recipients), self)
        self.recipients.setObjectName("recipients")
        for editor in (self.addressees, self.recipients):
            editor.setFixedHeight(80)
            editor.setTabChangesFocus(True)
        for label, widget in (
            (_("Number pattern"), self.pattern),
            (_("Signs as"), self.prefix),
            (_("Head's title"), self.authority),
            (_("Signer's title (when signing for the head)"), self.title),
            (_("Rank (optional)"), self.rank),
            (_("Signer's name"), self.name),
            (_("Kính gửi (one per line)"), self.addressees),
            (_("Nơi nhận (one per line; the last is the archive)"), self.recipients),
        ):
            form.addRow(label, widget)
        layout.addLayout(form)
        self.error = QLabel(self)
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        hint = QLabel(
            _(
                "The number pattern holds {number}, e.g. {number:02d}/BC-CAP gives "
                "05/BC-CAP. Numbers restart every year."
            ),
            self,
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        layout.addWidget(hint)
        buttons = QDialogButtonBox(self)
        buttons.addButton(_("Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def try_save(self) -> None:
        pattern = clean(self.pattern.text())
        try:
            if "{number" not in pattern:
                raise ValueError
            pattern.format(number=5)
        except (ValueError, IndexError, KeyError):
            self.error.setText(
                _("The number pattern must contain {number}, e.g. {number:02d}/BC-CAP.")
            )
            self.error.show()
            return
        if not clean(self.authority.text()):
            self.error.setText(_("Enter the head's title, e.g. Trưởng Công an phường."))
            self.error.show()
            return
        self.result_settings = replace(
            self.settings,
            number_pattern=pattern,
            signer_prefix=self.prefix.currentData(),
            signer_authority=clean(self.authority.text()),
            signer_title=clean(self.title.text()),
            signer_rank=clean(self.rank.text()),
            signer_name=clean(self.name.text()),
            addressees=_lines(self.addressees),
            recipients=_lines(self.recipients),
        )
        self.accept()
