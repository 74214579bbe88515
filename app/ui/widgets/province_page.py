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
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import audit_service, province_overview, province_trust, sync_province
from app.core.progress import CancelToken
from app.core.province_chain import Branch
from app.core.sync_province import BundleReport, ProvinceSync
from app.db.engine import Database
from app.i18n import N_, _
from app.security.accounts import Actor
from app.sync.envelope import fingerprint
from app.ui.dialogs.ward_dialog import WardDialog
from app.ui.errors import confirm, inform, present_error
from app.ui.ops import Operation, run_in_background
from app.ui.widgets.packs_page import _fill, _table
from app.ui.widgets.sync_page import ask_passphrase, title_label

OUTCOME_LABELS = {
    "new": N_("will be imported"),
    "duplicate": N_("already imported"),
    "fork": N_("quarantined (fork)"),
    "rejected": N_("rejected"),
}
DONE_LABELS = {**OUTCOME_LABELS, "new": N_("imported")}
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


def _narrow_file_column(table: QTableWidget) -> None:
    """Bundle file names are long: keep their column narrow (elided in the middle) so the
    reason, the column that matters, stays in view."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHeaderView

    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    table.setColumnWidth(0, 230)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)


def warnings_text(row: sync_province.StationOverview) -> str:
    parts = []
    if row.forks:
        parts.append(_("{n} quarantined (fork)").format(n=row.forks))
    for branch in row.branches:
        parts.append(branch_text(branch))
    if row.chain_breaks:
        parts.append(
            _("history rewritten at bundle {seqs}").format(
                seqs=", ".join(map(str, row.chain_breaks))
            )
        )
    if row.audit_broken_at is not None:
        if row.audit_problem == audit_service.REWRITTEN:
            text = _("audit trail rewritten at entry {n}")
        else:
            text = _("audit trail broken at entry {n}")
        parts.append(text.format(n=row.audit_broken_at))
    return "; ".join(parts) or "—"


def branch_text(branch: Branch) -> str:
    """A quarantined branch beside the applied one."""
    return _("fork from bundle {seq}: applied {applied}, quarantined {quarantined}").format(
        seq=branch.first_seq,
        applied=", ".join(f"#{s}" for s in branch.rival_seqs) or "—",
        quarantined=", ".join(f"#{b.seq} {b.bundle_id[:8]}" for b in branch.bundles),
    )


def month_columns(db: Database, row: sync_province.StationOverview, year: int) -> str:
    """The months of ``year`` reported, and the gaps ("missing month 10")."""
    states = province_overview.year_months(db, row.station_id, year, date.today())
    reported = months_text([(year, s.month) for s in states if s.reported], year)
    locked = months_text([(year, s.month) for s in states if s.locked], year)
    parts = [reported, province_overview.gaps_text(states)]
    if locked != "—":
        parts.append(_("locked: {months}").format(months=locked))
    return "; ".join(p for p in parts if p)


def _report_rows(reports: Sequence[BundleReport], labels: dict[str, str]) -> list[list[str]]:
    rows = []
    for report in reports:
        summary = report.summary
        counts = (
            _("{new} new, {updated} updated, {duplicate} unchanged, {conflict} conflicts").format(
                **{k: summary.get(k, 0) for k in ("new", "updated", "duplicate", "conflict")}
            )
            if summary
            else ""
        )
        rewritten = summary.get("audit", {}).get("rewritten", 0) if summary else 0
        if rewritten:
            counts += "; " + _(
                "{n} audit trail entries arrived again with different content"
            ).format(n=rewritten)
        rows.append(
            [
                report.path.name,
                f"{report.station_id} {report.station_name}".strip(),
                str(report.seq or ""),
                _(labels[report.outcome]),
                counts,
                report.reason,
            ]
        )
    return rows


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
        self.table = _table(
            self, [_("File"), _("Ward unit"), _("No."), _("Result"), _("Records"), _("Reason")]
        )
        self.table.setObjectName("preview")
        _narrow_file_column(self.table)
        self.table.setWordWrap(True)
        _fill(self.table, _report_rows(reports, OUTCOME_LABELS))
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

        self.overview = _table(
            self,
            [
                _("Code"),
                _("Ward unit"),
                _("Key"),
                _("Last bundle"),
                _("Received"),
                _("Months reported in {year}").format(year=year),
                _("Missing bundles"),
                _("Warnings"),
                _("Records"),
            ],
        )
        self.overview.setObjectName("overview")
        self.overview.doubleClicked.connect(lambda _index: self.open_ward())
        layout.addWidget(self.overview, 2)
        layout.addWidget(QLabel(_("Last import:"), self))
        self.last_import = _table(
            self, [_("File"), _("Ward unit"), _("No."), _("Result"), _("Records"), _("Reason")]
        )
        self.last_import.setObjectName("last_import")
        _narrow_file_column(self.last_import)
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
        from app.security.accounts import Permission
        from app.ui.permissions import restrict

        restrict(self.sync.actor, Permission.IMPORT_BUNDLES, self.import_button)
        keys_buttons = [self.create_keys_button, self.enroll_button, self.publish_button]
        keys_buttons += [self.revoke_button, self.resolve_button]
        restrict(self.sync.actor, Permission.MANAGE_KEYS, *keys_buttons)
        self.rows = self.sync.overview()
        _fill(
            self.overview,
            [
                [
                    row.station_id,
                    row.name,
                    province_overview.key_status_text(
                        row.status,
                        row.cutoff,
                        province_overview.key_replaced_at(self.db, row.station_id),
                    ),
                    str(row.last_seq or "—"),
                    row.last_received.astimezone().strftime("%d/%m/%Y %H:%M")
                    if row.last_received
                    else "—",
                    month_columns(self.db, row, self.year),
                    ", ".join(map(str, row.missing_seqs)) or "—",
                    warnings_text(row),
                    str(row.records),
                ]
                for row in self.rows
            ],
        )
        for number, row in enumerate(self.rows):
            if (
                row.missing_seqs
                or row.forks
                or row.chain_breaks
                or row.audit_broken_at is not None
                or row.status == "revoked"
            ):
                for column in (6, 7, 2):
                    item = self.overview.item(number, column)
                    if item is not None:
                        from PySide6.QtGui import QColor

                        item.setBackground(QColor("#fde7e9"))

    def selected_station(self) -> str | None:
        row = self.overview.currentRow()
        if row < 0 and len(self.rows) == 1:
            row = 0
        return self.rows[row].station_id if 0 <= row < len(self.rows) else None

    # -- actions ------------------------------------------------------------------------

    def create_keys(self) -> None:
        passphrase = self.ask_passphrase(True)
        if passphrase is None:
            return
        try:
            self.sync.create_keys(passphrase)
        except Exception as error:
            present_error(self, error)
            return
        self.refresh()

    def _review(self, reports: Sequence[BundleReport]) -> bool:
        return ImportPreviewDialog(reports, self).exec() == QDialog.DialogCode.Accepted

    def import_bundles(self, paths: Sequence[Path] | None = None) -> None:
        if paths is None:
            names, _filter = QFileDialog.getOpenFileNames(
                self, _("Choose sync bundles"), "", _("Sync bundles (*.wsb)")
            )
            if not names:
                return
            paths = [Path(n) for n in names]
        passphrase = self.ask_passphrase(False)
        if passphrase is None:
            return
        try:
            keys = self.sync.unlock(passphrase)
        except Exception as error:
            present_error(self, error)
            return
        chosen = list(paths)

        def preview(
            progress: Callable[[int, int, str], None], _token: CancelToken
        ) -> list[BundleReport]:
            return self.sync.import_bundles(chosen, keys, dry_run=True, progress=progress)

        def apply(
            progress: Callable[[int, int, str], None], _token: CancelToken
        ) -> list[BundleReport]:
            return self.sync.import_bundles(chosen, keys, progress=progress)

        def reviewed(reports: Sequence[BundleReport]) -> None:
            if not self.review_preview(reports):
                return
            self._operation = run_in_background(
                apply,
                parent=self,
                on_done=self._imported,
                on_error=lambda e: present_error(self, e),
                progress_label=_("Importing…"),
            )

        self._operation = run_in_background(
            preview,
            parent=self,
            on_done=reviewed,
            on_error=lambda e: present_error(self, e),
            progress_label=_("Checking the bundles…"),
        )

    def _imported(self, reports: Sequence[BundleReport]) -> None:
        self.refresh()
        _fill(self.last_import, _report_rows(reports, DONE_LABELS))
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
            name, _filter = QFileDialog.getOpenFileName(
                self, _("Enroll a station"), "", _("Enrollment request (*.mwe)")
            )
            if not name:
                return
            path = Path(name)
        try:
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
        except Exception as error:
            present_error(self, error)
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
            name, _filter = QFileDialog.getSaveFileName(
                self, _("Publish trust list"), "danh-sach-tin-cay.mwt", _("Trust list (*.mwt)")
            )
            if not name:
                return
            path = Path(name)
        passphrase = self.ask_passphrase(False)
        if passphrase is None:
            return
        try:
            version = self.sync.publish_trust_list(self.sync.unlock(passphrase), path)
        except Exception as error:
            present_error(self, error)
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
        try:
            self.sync.revoke(station, seq, reason.strip(), reopen=reopen)
        except Exception as error:
            present_error(self, error)
            return
        self.refresh()

    def resolve_fork(self) -> province_trust.ForkResolution | None:
        """Keep the applied history of the selected ward and refuse its quarantined one."""
        station = self.selected_station()
        row = next((r for r in self.rows if r.station_id == station), None)
        if row is None or not row.branches:
            inform(self, _("Resolve fork…"), _("This ward has no quarantined fork."))
            return None
        quarantined = sorted({b.seq for branch in row.branches for b in branch.bundles})
        kept = max(s for branch in row.branches for s in branch.rival_seqs)
        if not self.confirm_action(
            _("Resolve fork…"),
            _(
                "Keep the bundles applied here ({applied}) and refuse the quarantined bundles "
                "{quarantined} for good? The key both copies share is then revoked after bundle "
                "{seq}, and the PC whose bundles were kept must enroll a new key. To keep the "
                "quarantined copy instead, restore the backup taken before the other copy was "
                "imported."
            ).format(
                applied=", ".join(
                    map(str, sorted({s for b in row.branches for s in b.rival_seqs}))
                ),
                quarantined=", ".join(map(str, quarantined)),
                seq=row.last_seq,
            ),
            _("Keep the applied bundles"),
        ):
            return None
        try:
            result = self.sync.resolve_fork(row.station_id, str(kept))
        except Exception as error:
            present_error(self, error)
            return None
        self.refresh()
        return result

    def open_ward(self) -> WardDialog | None:
        station = self.selected_station()
        if station is None:
            return None
        dialog = WardDialog(self.db, station, self.year, self)
        dialog.open()
        return dialog
