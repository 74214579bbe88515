"""The province administrator chooses which of a ward's two histories (a fork) to keep.

The choice is irreversible: the other copy's bundles are refused for good and the key both
copies share is revoked. Accepting the quarantined history applies the station's whole history
again from the archive, so it runs off the GUI thread while the dialog shows it is busy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.progress import CancelToken
from app.core.services.sync.province.imports import ProvinceSync, StationOverview
from app.core.services.sync.province.trust import ForkResolution
from app.i18n import _
from app.ui.dialogs.fit import grow_to_fit
from app.ui.errors import present_error
from app.ui.ops import GuardedDialog, Progress, run_in_background


@dataclass(frozen=True)
class ForkOption:
    """One history the administrator can keep."""

    accept: str  # what ``ProvinceSync.resolve_fork`` takes: an applied number or a bundle id
    quarantined: bool
    title: str
    details: str
    kept: tuple[int, ...]
    refused: tuple[int, ...]


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone():%d/%m/%Y %H:%M}" if moment is not None else "—"


def _seqs(seqs: tuple[int, ...] | list[int]) -> str:
    return ", ".join(map(str, seqs)) or "—"


def fork_options(row: StationOverview) -> list[ForkOption]:
    """The applied history, then each quarantined branch of ``row``'s station."""
    applied = tuple(sorted({s for branch in row.branches for s in branch.rival_seqs}))
    quarantined = tuple(sorted({b.seq for branch in row.branches for b in branch.bundles}))
    options = [
        ForkOption(
            # any applied bundle names the applied history (none may compete with the fork)
            str(max(applied, default=row.last_seq)),
            False,
            _("The history applied here"),
            _(
                "Bundles {seqs}, already applied: their records are in the province's "
                "figures. Last bundle received {time}."
            ).format(seqs=_seqs(applied), time=_when(row.last_received)),
            applied,
            quarantined,
        )
    ]
    for branch in row.branches:
        lines = [
            _("Bundle {seq} ({id}), received {time}").format(
                seq=b.seq, id=b.bundle_id[:8], time=_when(b.received_at)
            )
            for b in branch.bundles
        ]
        options.append(
            ForkOption(
                branch.bundles[0].bundle_id,
                True,
                _("The quarantined history from bundle {seq}").format(seq=branch.first_seq),
                _("Held in quarantine, nothing of it applied:") + "\n• " + "\n• ".join(lines),
                branch.seqs,
                branch.rival_seqs,
            )
        )
    return options


def consequence_text(option: ForkOption) -> str:
    """What keeping ``option`` does to the other copy, in the officer's words."""
    if option.quarantined:
        first = _(
            "What bundles {refused} of the history applied here wrote is taken out; the "
            "station's earlier bundles are applied again, then the quarantined bundles {kept}, "
            "from the files the province archived. Bundles {refused} of the other copy are "
            "refused for good. This needs the province's key passphrase and may take a while."
        )
    else:
        first = _(
            "The quarantined bundles {refused} are refused for good; the records applied here "
            "do not change."
        )
    return (
        first.format(kept=_seqs(option.kept), refused=_seqs(option.refused))
        + "\n\n"
        + _(
            "Either way the key both copies of the station share is revoked after the last "
            "bundle kept: the PC whose history is kept must create a new key and have it "
            "enrolled again (after the paper check); the other copy must not be used again. "
            "This cannot be undone."
        )
    )


def resolution_text(result: ForkResolution) -> str:
    """What was done, from the service's answer."""
    refused = (
        _("Bundles {seqs} of the other copy were taken out and refused for good.")
        if result.accepted_quarantined
        else _("Quarantined bundles {seqs} refused for good.")
    )
    return "\n\n".join(
        [
            _("Fork of station {code} resolved: bundles {kept} kept.").format(
                code=result.station_id, kept=_seqs(result.kept_seqs)
            ),
            refused.format(seqs=_seqs(result.rejected_seqs)),
            _(
                "The key both copies of the station share is revoked after bundle {seq}. The PC "
                "whose bundles were kept must create a new key and enroll it (trust enroll "
                "--replace-key, after the paper check); the other copy must not be used again."
            ).format(seq=result.cutoff),
        ]
    )


class ForkDialog(GuardedDialog):
    """Both histories side by side; the one chosen is kept after a confirmation."""

    fork_did_resolve = Signal(object)  # ForkResolution

    def __init__(
        self,
        sync: ProvinceSync,
        row: StationOverview,
        parent: QWidget | None = None,
        *,
        confirm_action: Callable[[str, str, str], bool],
        ask_passphrase: Callable[[], str | None],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("fork_dialog")
        self.sync, self.row = sync, row
        self.confirm_action, self.ask_passphrase = confirm_action, ask_passphrase
        self.resolution: ForkResolution | None = None
        self.options = fork_options(row)
        self.setWindowTitle(_("Resolve the fork of station {code}").format(code=row.station_id))
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Two copies of station {code} ({name}) sent different histories (a fork). "
                "Choose the history the province keeps."
            ).format(code=row.station_id, name=row.name),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.choices = [self._choice(layout, option) for option in self.options]
        self.consequence = self._label(layout, "fork_consequence")
        self.status = self._label(layout, "fork_status")
        self._add_buttons(layout)
        self._chosen()

    def _label(self, layout: QVBoxLayout, name: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.hide()
        layout.addWidget(label)
        return label

    def _choice(self, layout: QVBoxLayout, option: ForkOption) -> QRadioButton:
        box = QGroupBox(self)
        inner = QVBoxLayout(box)
        button = QRadioButton(option.title, box)
        button.setStyleSheet("font-weight: 600;")
        button.toggled.connect(lambda _checked: self._chosen())
        inner.addWidget(button)
        details = QLabel(option.details, box)
        details.setWordWrap(True)
        details.setContentsMargins(24, 0, 0, 0)
        inner.addWidget(details)
        layout.addWidget(box)
        return button

    def _add_buttons(self, layout: QVBoxLayout) -> None:
        self.buttons = QDialogButtonBox(self)
        self.resolve_button = QPushButton(_("Keep this history…"), self)
        self.resolve_button.setObjectName("fork_resolve")
        self.buttons.addButton(self.resolve_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(
            _("Cancel"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.resolve_button.clicked.connect(lambda: self.resolve())
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def chosen(self) -> ForkOption | None:
        for button, option in zip(self.choices, self.options, strict=True):
            if button.isChecked():
                return option
        return None

    def _chosen(self) -> None:
        option = self.chosen()
        self.resolve_button.setEnabled(option is not None and not self.busy())
        if option is not None:
            self.consequence.setText(consequence_text(option))
            self.consequence.show()
            grow_to_fit(self)

    def resolve(self) -> None:
        """Confirm, ask the passphrase when the quarantined history is kept, then resolve in
        the background."""
        option = self.chosen()
        if option is None or self.busy() or self.resolution is not None:
            return
        question = _("Keep bundles {kept} and refuse bundles {refused} of the other copy?").format(
            kept=_seqs(option.kept), refused=_seqs(option.refused)
        )
        if not self.confirm_action(
            self.windowTitle(),
            question + "\n\n" + consequence_text(option),
            _("Keep it, refuse the other"),
        ):
            return
        passphrase = None
        if option.quarantined:
            passphrase = self.ask_passphrase()
            if passphrase is None:
                return
        sync, station = self.sync, self.row.station_id

        def work(_progress: Progress, _token: CancelToken) -> ForkResolution:
            keys = sync.unlock(passphrase) if passphrase is not None else None
            return sync.resolve_fork(station, option.accept, keys=keys)

        operation = run_in_background(
            work,
            parent=self,
            on_done=self._resolved,
            on_error=self._failed,
            on_end=lambda: self._set_busy(False),
        )
        self.guard(operation)  # until it ends, the dialog cannot be closed
        self._set_busy(True)

    def _set_busy(self, busy: bool) -> None:
        for button in self.choices:
            button.setEnabled(not busy and self.resolution is None)
        self.close_button.setEnabled(not busy)
        if busy:
            self.status.setText(_("Resolving the fork… Applying a history again may take a while."))
            self.status.show()
        self._chosen()

    def _resolved(self, result: ForkResolution) -> None:
        self.resolution = result
        self.consequence.hide()  # it said what would happen; the status now says what did
        self.status.setText(resolution_text(result))
        self.status.setStyleSheet("font-weight: 600;")
        self.status.show()
        for button in self.choices:
            button.setEnabled(False)
        self.resolve_button.hide()
        self.close_button.setText(_("Close"))
        grow_to_fit(self)
        self.fork_did_resolve.emit(result)

    def _failed(self, error: BaseException) -> None:
        """The service's message (a wrong passphrase, a missing archived file…); nothing was
        changed, so the administrator may choose again or close."""
        self.status.hide()
        present_error(self, error)
