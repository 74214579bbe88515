"""The province's screen: enrolled wards and what each reported, importing bundles with a
preview, enrolling stations, publishing the trust list, revoking keys, and a read-only view
into one ward's records, indicators, assessments, approvals and audit trail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import Actor
from app.core.domain.outcomes import DONE_LABELS, PREVIEW_LABELS
from app.core.domain.progress import CancelToken
from app.core.services.storage import Database
from app.core.services.sync.keys import fingerprint
from app.core.services.sync.province import imports as sync_province
from app.core.services.sync.province import overview as province_overview
from app.core.services.sync.province import trust as province_trust
from app.core.services.sync.province.imports import BundleReport, ProvinceSync, StationOverview
from app.i18n import N_, _
from app.ui.dialogs.fork_dialog import ForkDialog
from app.ui.dialogs.ward_dialog import WardDialog
from app.ui.errors import confirm, inform
from app.ui.models.province_models import BundleReportModel, OverviewLine, StationOverviewModel
from app.ui.models.row_model import RowSortProxy
from app.ui.ops import Operation, Progress, run_in_background
from app.ui.widgets.common import (
    errors_shown,
    narrow_first_column,
    open_file,
    open_files,
    save_file,
    table_view,
)
from app.ui.widgets.sync_page import ask_passphrase, title_label

KEY_STATUS = {"active": N_("active"), "revoked": N_("revoked")}


def months_text(months: Sequence[tuple[int, int]], year: int) -> str:
    """The months of ``year`` reported, e.g. "1–9, 11"."""
    numbers = sorted(m for y, m in months if y == year)
    parts: list[str] = []
    start = previous = None
    for number in [*numbers, None]:
        if number is not None and previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = number
    return ", ".join(parts) or "—"


def month_columns(db: Database, row: sync_province.StationOverview, year: int) -> str:
    """The months of ``year`` reported, and the gaps ("missing month 10")."""
    states = province_overview.year_months(db, row.station_id, year, date.today())
    reported = months_text([(year, s.month) for s in states if s.reported], year)
    locked = months_text([(year, s.month) for s in states if s.locked], year)
    parts = [reported, province_overview.gaps_text(states)]
    if locked != "—":
        parts.append(_("locked: {months}").format(months=locked))
    return "; ".join(p for p in parts if p)


def overview_lines(db: Database, sync: ProvinceSync, year: int) -> list[OverviewLine]:
    """The enrolled wards with their key state and months (read off the GUI thread)."""
    return [
        OverviewLine(
            row,
            province_overview.key_status_text(
                row.status, row.cutoff, province_overview.key_replaced_at(db, row.station_id)
            ),
            month_columns(db, row, year),
        )
        for row in sync.overview()
    ]


class ImportPreviewDialog(QDialog):
    """What importing the chosen files would do, before anything is written."""

    def __init__(self, reports: Sequence[BundleReport], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Import sync bundles"))
        self.resize(1150, 420)
        layout = QVBoxLayout(self)
        new = sum(1 for r in reports if r.outcome == "new")
        layout.addWidget(
            QLabel(
                _(
                    "{new} of {total} files will be imported in one step. Rejected files change "
                    "nothing; the reason is shown for each."
                ).format(new=new, total=len(reports)),
                self,
            )
        )
        self.model = BundleReportModel(PREVIEW_LABELS, self)
        self.model.set_rows(reports)
        self.table = table_view(self, RowSortProxy(self.model, self), "preview", sortable=True)
        narrow_first_column(self.table)
        self.table.setWordWrap(True)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(self)
        self.import_button = buttons.addButton(_("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(new > 0 or any(r.outcome == "fork" for r in reports))
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ProvincePage(QWidget):
    """Bundles from the wards, for a province station."""

    def __init__(
        self,
        db: Database,
        year: int,
        parent: QWidget | None = None,
        service: ProvinceSync | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("page_province")
        self.db = db
        self.year = year
        self.sync = service or ProvinceSync(db, actor=actor)
        self._operation: Operation[object] | None = None
        self._refresh: Operation[list[OverviewLine]] | None = None
        self.rows: list[StationOverview] = []
        self.ask_passphrase: Callable[[bool], str | None] = lambda create: ask_passphrase(
            self, create
        )
        self.review_preview: Callable[[Sequence[BundleReport]], bool] = self._review
        self.confirm_action: Callable[[str, str, str], bool] = self._confirm  # a test hook
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(_("Wards and their sync bundles"), self))

        keys = QGroupBox(_("Province keys"), self)
        keys_layout = QHBoxLayout(keys)
        self.keys_label = QLabel(keys)
        self.keys_label.setWordWrap(True)
        keys_layout.addWidget(self.keys_label, 1)
        self.create_keys_button = QPushButton(_("Create keys…"), keys)
        self.create_keys_button.clicked.connect(lambda: self.create_keys())
        keys_layout.addWidget(self.create_keys_button)
        layout.addWidget(keys)

        layout.addLayout(self._button_bar())

        self.busy = QLabel(_("Reading the wards' reports…"), self)
        self.busy.setObjectName("overview_busy")
        self.busy.setStyleSheet("color: #555;")
        self.busy.hide()
        layout.addWidget(self.busy)
        self.model = StationOverviewModel(year, self)
        self.proxy = RowSortProxy(self.model, self)
        self.overview = table_view(self, self.proxy, "overview", sortable=True)
        self.overview.doubleClicked.connect(lambda _index: self.open_ward())
        layout.addWidget(self.overview, 2)
        layout.addWidget(QLabel(_("Last import:"), self))
        self.import_model = BundleReportModel(DONE_LABELS, self)
        self.last_import = table_view(
            self, RowSortProxy(self.import_model, self), "last_import", sortable=True
        )
        narrow_first_column(self.last_import)
        layout.addWidget(self.last_import, 1)
        self.refresh()

    def _confirm(self, title: str, text: str, yes: str) -> bool:
        return confirm(self, title, text, yes)

    def _button_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.import_button = QPushButton(_("Import sync bundles…"), self)
        self.import_button.setObjectName("import_bundles")
        self.import_button.setStyleSheet("font-weight: 600;")
        self.import_button.clicked.connect(lambda: self.import_bundles())
        self.enroll_button = QPushButton(_("Enroll a station…"), self)
        self.enroll_button.clicked.connect(lambda: self.enroll())
        self.publish_button = QPushButton(_("Publish trust list…"), self)
        self.publish_button.clicked.connect(lambda: self.publish())
        self.revoke_button = QPushButton(_("Revoke key…"), self)
        self.revoke_button.clicked.connect(lambda: self.revoke())
        self.resolve_button = QPushButton(_("Resolve fork…"), self)
        self.resolve_button.clicked.connect(lambda: self.resolve_fork())
        self.open_button = QPushButton(_("Open ward…"), self)
        self.open_button.clicked.connect(lambda: self.open_ward())
        for button in (
            self.import_button,
            self.enroll_button,
            self.publish_button,
            self.revoke_button,
            self.resolve_button,
            self.open_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        return bar

    def refresh(self) -> None:
        public = self.sync.public_keys()
        if public is None:
            self.keys_label.setText(_("The province has no keys yet: create them first."))
        else:
            self.keys_label.setText(
                _("Signing key: {signing}\nEncryption key: {encryption}").format(
                    **public.fingerprints()
                )
            )
        self.create_keys_button.setVisible(public is None)
        for button in (self.import_button, self.publish_button):
            button.setEnabled(public is not None)
        from app.core.domain.access import Permission
        from app.ui.permissions import restrict

        restrict(self.sync.actor, Permission.IMPORT_BUNDLES, self.import_button)
        keys_buttons = [self.create_keys_button, self.enroll_button, self.publish_button]
        keys_buttons += [self.revoke_button, self.resolve_button]
        restrict(self.sync.actor, Permission.MANAGE_KEYS, *keys_buttons)
        self._refresh_overview()

    def _refresh_overview(self) -> None:
        """The wards' overview is read in the background: with many wards it takes a while."""
        db, sync, year = self.db, self.sync, self.year

        def work(_progress: Progress, _token: CancelToken) -> list[OverviewLine]:
            return overview_lines(db, sync, year)

        self.busy.show()
        self._refresh = run_in_background(
            work, parent=self, on_done=self._show_overview, on_end=self._refresh_ended
        )

    def _show_overview(self, lines: list[OverviewLine]) -> None:
        self.rows = [line.row for line in lines]
        self.model.set_rows(lines)

    def _refresh_ended(self) -> None:
        if not self.refreshing():
            self.busy.hide()

    def refreshing(self) -> bool:
        """Whether the overview is still being read (tests wait on this)."""
        return self._refresh is not None and self._refresh.running

    def selected_station(self) -> str | None:
        chosen = self.overview.selectionModel().selectedRows()
        row = self.proxy.source_row(chosen[0].row() if chosen else -1)
        if row < 0 and len(self.rows) == 1:
            row = 0
        line = self.model.row_at(row)
        return line.row.station_id if line is not None else None

    # -- actions ------------------------------------------------------------------------

    def create_keys(self) -> None:
        passphrase = self.ask_passphrase(True)
        if passphrase is None:
            return
        with errors_shown(self) as attempt:
            self.sync.create_keys(passphrase)
        if attempt.failed:
            return
        self.refresh()

    def _review(self, reports: Sequence[BundleReport]) -> bool:
        return ImportPreviewDialog(reports, self).exec() == QDialog.DialogCode.Accepted

    def import_bundles(self, paths: Sequence[Path] | None = None) -> None:
        if paths is None:
            paths = open_files(self, _("Choose sync bundles"), _("Sync bundles (*.wsb)"))
            if not paths:
                return
        passphrase = self.ask_passphrase(False)
        if passphrase is None:
            return
        with errors_shown(self) as attempt:
            keys = self.sync.unlock(passphrase)
        if attempt.failed:
            return
        chosen = list(paths)

        def preview(progress: Progress, _token: CancelToken) -> list[BundleReport]:
            return self.sync.import_bundles(chosen, keys, dry_run=True, progress=progress)

        def apply(progress: Progress, _token: CancelToken) -> list[BundleReport]:
            return self.sync.import_bundles(chosen, keys, progress=progress)

        def reviewed(reports: Sequence[BundleReport]) -> None:
            if not self.review_preview(reports):
                return
            self._operation = run_in_background(
                apply,
                parent=self,
                on_done=self._imported,
                progress_label=_("Importing…"),
            )

        self._operation = run_in_background(
            preview,
            parent=self,
            on_done=reviewed,
            progress_label=_("Checking the bundles…"),
        )

    def _imported(self, reports: Sequence[BundleReport]) -> None:
        self.refresh()
        self.import_model.set_rows(reports)
        receipts = sorted({str(r.receipt_path.parent) for r in reports if r.receipt_path})
        problems = [r.receipt_problem for r in reports if r.receipt_problem]
        if problems:
            inform(self, _("Import finished"), "\n\n".join(problems), icon="warning")
        inform(
            self,
            _("Import finished"),
            _("{n} bundles imported.").format(n=sum(r.outcome == "new" for r in reports)),
            _("Receipts for the wards were written to: {folders}").format(
                folders=", ".join(receipts)
            )
            if receipts
            else "",
        )

    def enroll(self, path: Path | None = None) -> None:
        if path is None:
            path = open_file(self, _("Enroll a station"), _("Enrollment request (*.mwe)"))
            if path is None:
                return
        with errors_shown(self) as attempt:
            data = path.read_bytes()
            request = self.sync.read_enrollment(data)
            if not confirm(
                self,
                _("Enroll this station?"),
                _(
                    "{name} ({code}). Compare the fingerprint with the one the ward's chief "
                    "signed on paper:\n\n{fp}"
                ).format(
                    name=request.station_name,
                    code=request.station_id,
                    fp=fingerprint(request.keys.signing_id),
                ),
                _("They match: enroll"),
            ):
                return
            result = self.sync.enroll(data)
        if attempt.failed:
            return
        self.refresh()
        if result.outcome == province_trust.SAME_KEY and result.status == "revoked":
            inform(
                self,
                _("Enroll a station"),
                _(
                    "Station {code} is already enrolled with this key, which is revoked after "
                    "bundle {seq}: the station stays revoked. Only a new key, enrolled with "
                    "--replace-key after the paper check, lets it send again."
                ).format(code=result.request.station_id, seq=result.cutoff or 0),
                icon="warning",
            )

    def publish(self, path: Path | None = None) -> None:
        if path is None:
            path = save_file(
                self, _("Publish trust list"), "danh-sach-tin-cay.mwt", _("Trust list (*.mwt)")
            )
            if path is None:
                return
        passphrase = self.ask_passphrase(False)
        if passphrase is None:
            return
        with errors_shown(self) as attempt:
            version = self.sync.publish_trust_list(self.sync.unlock(passphrase), path)
        if attempt.failed:
            return
        inform(
            self,
            _("Trust list"),
            _("Trust list version {v} written to {path}.").format(v=version, path=path),
        )

    def revoke(self) -> None:
        station = self.selected_station()
        if station is None:
            return
        row = next(r for r in self.rows if r.station_id == station)
        seq, ok = QInputDialog.getInt(
            self,
            _("Revoke key"),
            _("Bundles of {code} up to this number stay valid; later ones are refused:").format(
                code=station
            ),
            row.last_seq,
            0,
            10**9,
        )
        if not ok:
            return
        reason, ok = QInputDialog.getText(self, _("Revoke key"), _("Reason:"))
        if not ok or not reason.strip():
            return
        reopen = row.status == "revoked" and seq > (row.cutoff or 0)
        if reopen and not self.confirm_action(
            _("Revoke key"),
            _("Bundles {first} to {last} of station {code} are acceptable again.").format(
                first=(row.cutoff or 0) + 1, last=seq, code=station
            ),
            _("Re-open them"),
        ):
            return
        with errors_shown(self) as attempt:
            self.sync.revoke(station, seq, reason.strip(), reopen=reopen)
        if attempt.failed:
            return
        self.refresh()

    def resolve_fork(self) -> ForkDialog | None:
        """Open the choice between the selected ward's applied and quarantined histories
        (shown, not run modally: the dialog resolves in the background and stays open)."""
        station = self.selected_station()
        row = next((r for r in self.rows if r.station_id == station), None)
        if row is None or not row.branches:
            inform(self, _("Resolve fork…"), _("This ward has no quarantined fork."))
            return None
        dialog = ForkDialog(
            self.sync,
            row,
            self,
            confirm_action=lambda title, text, yes: self.confirm_action(title, text, yes),
            ask_passphrase=lambda: self.ask_passphrase(False),
        )
        dialog.fork_did_resolve.connect(lambda _result: self.refresh())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def open_ward(self) -> WardDialog | None:
        station = self.selected_station()
        if station is None:
            return None
        dialog = WardDialog(self.db, station, self.year, self)
        dialog.open()
        return dialog
