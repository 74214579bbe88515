"""The ward's sync screen: station keys, the province trust list, exporting bundles to a USB
stick, importing receipts, and the outbox of what was sent and what the province said.

File choices and the passphrase go through ``choose_*``/``ask_passphrase`` so tests (and
scripts) can drive every action without a native dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import Actor
from app.core.domain.formatting import format_date
from app.core.domain.progress import CancelToken
from app.core.services.storage import Database
from app.core.services.sync.keys import trust_list_fingerprint
from app.core.services.sync.ward import WardSync
from app.i18n import _
from app.ui.errors import confirm, inform, present_error
from app.ui.models.outbox_model import OutboxModel
from app.ui.models.row_model import RowSortProxy
from app.ui.ops import Operation, Progress, run_in_background
from app.ui.widgets.common import errors_shown, table_view

if TYPE_CHECKING:
    from app.core.services.sync.keys import PublicKeys, TrustListDoc


class PassphraseDialog(QDialog):
    """Asks for the key passphrase (twice when keys are being created)."""

    def __init__(self, parent: QWidget | None, *, create: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Key passphrase"))
        form = QFormLayout(self)
        if create:
            note = QLabel(
                _(
                    "Choose a passphrase of at least 8 characters. Without it the keys cannot "
                    "be used: keep it where the chief can find it."
                ),
                self,
            )
            note.setWordWrap(True)
            form.addRow(note)
        self.first = QLineEdit(self)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("Passphrase"), self.first)
        self.second: QLineEdit | None = None
        if create:
            self.second = QLineEdit(self)
            self.second.setEchoMode(QLineEdit.EchoMode.Password)
            form.addRow(_("Type it again"), self.second)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b00020;")
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _accept(self) -> None:
        if self.second is not None and self.second.text() != self.first.text():
            self.error.setText(_("The two passphrases differ."))
            return
        self.accept()


def ask_passphrase(parent: QWidget, create: bool = False) -> str | None:
    dialog = PassphraseDialog(parent, create=create)
    return dialog.first.text() if dialog.exec() == QDialog.DialogCode.Accepted else None


def title_label(text: str, parent: QWidget) -> QLabel:
    title = QLabel(text, parent)
    title.setStyleSheet("font-size: 16pt; font-weight: 600;")
    return title


class SyncPage(QWidget):
    """Sync with the province, for a ward station."""

    def __init__(
        self,
        db: Database,
        parent: QWidget | None = None,
        service: WardSync | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("page_sync")
        self.sync = service or WardSync(db, actor=actor)
        self._operation: Operation[object] | None = None
        self.ask_passphrase: Callable[[bool], str | None] = lambda create: ask_passphrase(
            self, create
        )
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(_("Sync with the province"), self))
        layout.addWidget(self._keys_box())
        layout.addWidget(self._trust_box())
        layout.addWidget(self._send_box())
        layout.addWidget(QLabel(_("Bundles sent (newest first):"), self))
        self.outbox_model = OutboxModel(self)
        self.outbox = table_view(
            self, RowSortProxy(self.outbox_model, self), "outbox", sortable=True
        )
        layout.addWidget(self.outbox, 1)
        self.refresh()

    def _keys_box(self) -> QGroupBox:
        keys = QGroupBox(_("Station keys"), self)
        keys_layout = QHBoxLayout(keys)
        self.keys_label = QLabel(keys)
        self.keys_label.setObjectName("keys_label")
        self.keys_label.setWordWrap(True)
        self.keys_label.setTextInteractionFlags(self.keys_label.textInteractionFlags())
        keys_layout.addWidget(self.keys_label, 1)
        self.create_keys_button = QPushButton(_("Create keys…"), keys)
        self.create_keys_button.clicked.connect(lambda: self.create_keys())
        self.enrollment_button = QPushButton(_("Write enrollment request…"), keys)
        self.enrollment_button.clicked.connect(lambda: self.write_enrollment())
        keys_layout.addWidget(self.create_keys_button)
        keys_layout.addWidget(self.enrollment_button)
        return keys

    def _trust_box(self) -> QGroupBox:
        trust_box = QGroupBox(_("Province trust list"), self)
        trust_layout = QHBoxLayout(trust_box)
        self.trust_label = QLabel(trust_box)
        self.trust_label.setObjectName("trust_label")
        self.trust_label.setWordWrap(True)
        trust_layout.addWidget(self.trust_label, 1)
        self.trust_button = QPushButton(_("Import trust list…"), trust_box)
        self.trust_button.clicked.connect(lambda: self.import_trust_list())
        trust_layout.addWidget(self.trust_button)
        return trust_box

    def _send_box(self) -> QGroupBox:
        send = QGroupBox(_("Send to the province"), self)
        send_layout = QHBoxLayout(send)
        self.pending_label = QLabel(send)
        self.pending_label.setObjectName("pending_label")
        self.pending_label.setWordWrap(True)
        send_layout.addWidget(self.pending_label, 1)
        self.export_button = QPushButton(_("Export sync bundle…"), send)
        self.export_button.setObjectName("export_bundle")
        self.export_button.setStyleSheet("font-weight: 600;")
        self.export_button.clicked.connect(lambda: self.export_bundle())
        self.receipt_button = QPushButton(_("Import receipt…"), send)
        self.receipt_button.clicked.connect(lambda: self.import_receipt())
        send_layout.addWidget(self.export_button)
        send_layout.addWidget(self.receipt_button)
        return send

    # -- display ------------------------------------------------------------------------

    def refresh(self) -> None:
        public = self.sync.public_keys()
        self._show_keys(public)
        doc = self.sync.trust_list()
        self._show_trust_list(doc)
        pending = self.sync.pending_changes() if public is not None else 0
        self.pending_label.setText(
            _(
                "{n} changes not yet acknowledged by the province. Every export carries all of "
                "them again until a receipt comes back, so a lost USB stick loses nothing."
            ).format(n=pending)
        )
        self.export_button.setEnabled(public is not None and doc is not None)
        from app.core.domain.access import Permission
        from app.ui.permissions import restrict

        actor = self.sync.actor
        restrict(actor, Permission.EXPORT_BUNDLES, self.export_button, self.receipt_button)
        restrict(
            actor,
            Permission.MANAGE_KEYS,
            self.create_keys_button,
            self.enrollment_button,
            self.trust_button,
        )
        self.outbox_model.set_rows(self.sync.outbox())

    def _show_keys(self, public: PublicKeys | None) -> None:
        if public is None:
            self.keys_label.setText(
                _(
                    "This station has no keys yet. Create them, then send the enrollment "
                    "request to the province."
                )
            )
        else:
            prints = public.fingerprints()
            self.keys_label.setText(
                _("Signing key: {signing}\nEncryption key: {encryption}").format(**prints)
            )
        self.create_keys_button.setVisible(public is None)
        self.enrollment_button.setEnabled(public is not None)

    def _show_trust_list(self, doc: TrustListDoc | None) -> None:
        if doc is None:
            self.trust_label.setText(_("No trust list yet: import the one the province sent."))
            return
        self.trust_label.setText(
            _("Version {v} from {name}, valid until {date}; {n} stations enrolled.").format(
                v=doc.version,
                name=doc.province_name,
                date=format_date(doc.expires.astimezone()),
                n=len(doc.stations),
            )
        )

    # -- actions ------------------------------------------------------------------------

    def create_keys(self) -> None:
        """The keys are made and sealed with the passphrase off the GUI thread."""
        passphrase = self.ask_passphrase(True)
        if passphrase is None:
            return
        sync = self.sync

        def work(_progress: Progress, _token: CancelToken) -> PublicKeys:
            return sync.create_keys(passphrase)

        self.create_keys_button.setEnabled(False)  # not twice while they are being made
        self._operation = run_in_background(
            work,
            parent=self,
            progress_label=_("Creating the station keys…"),
            on_done=self._keys_created,
            on_end=self.refresh,
        )

    def _keys_created(self, public: PublicKeys) -> None:
        inform(
            self,
            _("Keys created"),
            _("Write down these fingerprints and send them to the province on paper:"),
            _("Signing key: {signing}\nEncryption key: {encryption}").format(
                **public.fingerprints()
            ),
        )

    def write_enrollment(self, path: Path | None = None) -> None:
        if path is None:
            name, _filter = QFileDialog.getSaveFileName(
                self,
                _("Write enrollment request"),
                "dang-ky-tram.mwe",
                _("Enrollment request (*.mwe)"),
            )
            if not name:
                return
            path = Path(name)
        passphrase = self.ask_passphrase(False)
        if passphrase is None:
            return
        from app.fileio import atomic_write_bytes

        with errors_shown(self) as attempt:
            atomic_write_bytes(path, self.sync.enrollment_request(self.sync.unlock(passphrase)))
        if attempt.failed:
            return
        inform(
            self,
            _("Enrollment request written"),
            _(
                "The request was written to {path}. Take it to the province together with the "
                "fingerprints signed by the chief."
            ).format(path=path),
        )

    def import_trust_list(self, path: Path | None = None) -> None:
        if path is None:
            name, _filter = QFileDialog.getOpenFileName(
                self, _("Import trust list"), "", _("Trust list (*.mwt)")
            )
            if not name:
                return
            path = Path(name)
        result = None
        with errors_shown(self):
            data = path.read_bytes()
            confirmed = None
            if self.sync.pinned_anchor() is None:
                shown = trust_list_fingerprint(data)
                if not confirm(
                    self,
                    _("Trust the province key?"),
                    _(
                        "This is the first trust list. Compare this fingerprint with the one the "
                        "province sent on paper:\n\n{fp}"
                    ).format(fp=shown),
                    _("They match: trust it"),
                ):
                    return
                confirmed = shown
            result = self.sync.import_trust_list(data, confirmed)
        if result is None:
            return
        self.refresh()
        text = (
            _("Trust list version {v} of {name} installed ({n} stations).").format(
                v=result.version, name=result.province_name, n=result.stations
            )
            if result.changed
            else _("Trust list version {v} is already installed.").format(v=result.version)
        )
        detail = "" if result.own_listed else _("Note: this station is not in the list yet.")
        inform(self, _("Trust list"), text, detail)

    def export_bundle(self, folder: Path | None = None) -> None:
        if folder is None:
            name = QFileDialog.getExistingDirectory(self, _("Choose the USB stick or folder"))
            if not name:
                return
            folder = Path(name)
        passphrase = self.ask_passphrase(False)
        if passphrase is None:
            return
        with errors_shown(self) as attempt:
            keys = self.sync.unlock(passphrase)
        if attempt.failed:
            return

        def work(progress: Callable[[int, int, str], None], _token: CancelToken) -> Any:
            return self.sync.export(folder, keys, progress)

        self._operation = run_in_background(
            work,
            parent=self,
            on_done=self._exported,
            on_error=self._failed,
            progress_label=_("Exporting the sync bundle…"),
        )

    def _exported(self, result: Any) -> None:
        self.refresh()
        inform(
            self,
            _("Bundle exported"),
            _("Bundle {seq} with {n} changes was written and checked: {path}").format(
                seq=result.seq, n=result.records, path=result.path
            ),
            _(
                "It is safe to remove the USB stick. The changes stay in the outbox until the "
                "province's receipt is imported."
            ),
        )

    def _failed(self, error: BaseException) -> None:
        self.refresh()
        present_error(self, error)

    def import_receipt(self, path: Path | None = None) -> None:
        if path is None:
            name, _filter = QFileDialog.getOpenFileName(
                self, _("Import receipt"), "", _("Province receipt (*.wsr)")
            )
            if not name:
                return
            path = Path(name)
        with errors_shown(self) as attempt:
            result = self.sync.import_receipt(path.read_bytes())
        if attempt.failed:
            return
        self.refresh()
        if not result.changed:
            text = _("This receipt was already imported; nothing changed.")
        elif result.status == "returned":
            text = _("Bundle {seq} was returned for correction: {comments}").format(
                seq=result.seq, comments=result.comments
            )
        else:
            text = _("Bundle {seq} acknowledged by the province.").format(seq=result.seq)
        detail = (
            _("The province has not received bundles: {seqs}").format(
                seqs=", ".join(map(str, result.missing_seqs))
            )
            if result.missing_seqs
            else ""
        )
        inform(self, _("Receipt"), text, detail)
