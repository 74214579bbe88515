"""First-run set-up of the ward profile: which unit this station is, under which province."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.domain import catalogues as cat
from app.core.domain.errors import EnvironmentProblem, UserFacingError, ValidationError
from app.core.domain.progress import CancelToken, ProgressCallback
from app.core.services import profile
from app.core.services.profile import ProfileInput, StationProfile
from app.core.services.station import set_up_station
from app.core.services.storage import Database
from app.i18n import _
from app.ui.dialogs.fit import grow_to_fit
from app.ui.errors import confirm, inform, present_error
from app.ui.ops import GuardedDialog, run_in_background

if TYPE_CHECKING:
    from app.core.services.accounts import LoginResult
    from app.core.services.demo_accounts import DemoCard


class SetupDialog(GuardedDialog):
    """``login``: the administrator just created; a demo built here gets the demo accounts
    beside that administrator (``app.core.services.demo_accounts``), since an administrator does not
    enter data."""

    def __init__(
        self, db: Database, parent: QWidget | None = None, *, login: LoginResult | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.login = login
        self.demo_card: DemoCard | None = None
        self.result_profile: StationProfile | None = None
        self.setObjectName("setup_dialog")
        self.setWindowTitle(_("Set up this station"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Welcome to ModelWard. Enter the unit this computer belongs to; "
                "it is printed on reports and identifies the station's data."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(self._unit_form())
        self.is_province = QCheckBox(
            _("This computer belongs to the provincial police: it receives the wards' bundles"),
            self,
        )
        self.is_province.setObjectName("is_province")
        self.is_province.toggled.connect(self._province_toggled)
        layout.addWidget(self.is_province)
        layout.addWidget(self._buttons())

    def _unit_form(self) -> QFormLayout:
        form = QFormLayout()
        self.province = QComboBox(self)
        self.province.setObjectName("province")
        for item in profile.provinces():
            self.province.addItem(f"{item.code} – {item.police_name}", item.code)
        self.kind = QComboBox(self)
        self.kind.setObjectName("unit_kind")
        for code, label in cat.UNIT_KINDS[1:]:
            self.kind.addItem(_(label), code)
        self.code = QLineEdit(self)
        self.code.setObjectName("ward_code")
        self.code.setMaxLength(5)
        self.code.setPlaceholderText("16681")
        self.name = QLineEdit(self)
        self.name.setObjectName("ward_name")
        self.name.setPlaceholderText(_("e.g. Công an phường Trường Vinh"))
        self.place = QLineEdit(self)
        self.place.setObjectName("place_name")
        self.place.setPlaceholderText(_("e.g. Trường Vinh"))
        self.errors: dict[str, QLabel] = {}
        for key, label, widget in (
            ("province_code", _("Province police *"), self.province),
            ("unit_kind", _("Unit type *"), self.kind),
            ("ward_code", _("Unit code (5 digits) *"), self.code),
            ("ward_name", _("Unit name *"), self.name),
            ("place_name", _("Place name on documents *"), self.place),
        ):
            error = QLabel(self)
            error.setStyleSheet("color: #b00020;")
            error.setWordWrap(True)
            error.hide()
            self.errors[key] = error
            column = QVBoxLayout()
            column.addWidget(widget)
            column.addWidget(error)
            form.addRow(label, column)
        return form

    def _buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        self.demo_button = buttons.addButton(
            _("Try with a demo ward…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.demo_button.setToolTip(
            _(
                "Fills this new database with a realistic demo ward for training. "
                "Use a separate database for the real unit."
            )
        )
        self.demo_button.clicked.connect(self.build_demo)
        save = buttons.addButton(_("Save and start"), QDialogButtonBox.ButtonRole.AcceptRole)
        save.setDefault(True)
        buttons.addButton(_("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_save)
        buttons.rejected.connect(self.reject)
        return buttons

    def _province_toggled(self, province: bool) -> None:
        for widget in (self.kind, self.code, self.name, self.place, self.demo_button):
            widget.setEnabled(not province)

    def profile_input(self) -> ProfileInput:
        return ProfileInput(
            province_code=self.province.currentData(),
            ward_code=self.code.text(),
            ward_name=self.name.text(),
            place_name=self.place.text(),
            unit_kind=self.kind.currentData(),
        )

    def try_save(self) -> None:
        for label in self.errors.values():
            label.hide()
        try:
            if self.is_province.isChecked():
                from app.core.services.station import set_up_province_station

                self.result_profile = set_up_province_station(self.db, self.province.currentData())
            else:
                self.result_profile = set_up_station(self.db, self.profile_input())
        except (UserFacingError, EnvironmentProblem) as error:
            if not isinstance(error, ValidationError):
                present_error(self, error)
                return
            for key, message in error.field_errors.items():
                if key in self.errors:
                    self.errors[key].setText(message)
                    self.errors[key].show()
            grow_to_fit(self)
            return
        self.accept()

    def build_demo(self, *, ask: bool = True) -> None:
        """Build a 3-year demo ward into this (empty) database off the GUI thread."""
        if ask and not confirm(
            self,
            _("Demo ward"),
            _(
                "Fill this database with demo data for training? It is marked as demo data "
                "everywhere and cannot be turned into the real unit's database."
            ),
            yes=_("Build the demo ward"),
        ):
            return
        from app.core.services import demo_accounts
        from app.core.services.demo import DemoBuilder

        db, login = self.db, self.login

        def work(
            progress: ProgressCallback, token: CancelToken
        ) -> tuple[StationProfile, DemoCard | None]:
            DemoBuilder(db, 3, date.today()).build(progress, token)
            card = None if login is None else demo_accounts.add_to_station(db.path, login)
            return profile.load(db), card

        self._set_busy(True)
        self._operation = run_in_background(
            work,
            parent=self,
            progress_label=_("Building the demo ward…"),
            on_done=self._demo_built,
            on_error=self._demo_failed,
        )

    def _demo_built(self, built: tuple[StationProfile, DemoCard | None]) -> None:
        self.result_profile, self.demo_card = built
        if self.demo_card is not None:
            from app.core.services.demo_accounts import card_lines

            inform(
                self,
                _("Demo ward"),
                _(
                    "The demo ward is ready. Lock the screen (Ctrl+L) to log in as the officer "
                    "or the chief of the demo: the lock screen shows their accounts."
                ),
                "\n".join(card_lines(self.demo_card)),
            )
        self.accept()

    def _demo_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        present_error(self, error)

    def _set_busy(self, busy: bool) -> None:
        """While the demo is built nothing else on this screen may be used."""
        for widget in self.findChildren(QWidget):
            if widget is not self and not isinstance(widget, QLabel):
                widget.setEnabled(not busy)
