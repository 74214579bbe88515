"""The main window: a navigation sidebar, one screen per record kind, the overview, undo.

The window is built in two steps so the officer sees it at once: the frame (sidebar, menus,
a "loading" page) needs only Qt and the record catalogue; ``attach`` then adds the screens,
which need the database layer (SQLAlchemy alone takes ~0.3 s to import on a station PC).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from app import __version__
from app.core.domain.kind_titles import KIND_TITLES
from app.i18n import _
from app.ui.errors import inform

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QUndoStack

    from app.core.domain.access import Actor
    from app.core.domain.records import Change
    from app.core.services.profile import StationProfile
    from app.core.services.records import RecordService
    from app.core.services.storage import Database
    from app.ui.widgets.overview_page import OverviewPage
    from app.ui.widgets.record_page import RecordPage


def screen_titles(province: bool = False) -> list[tuple[str, str]]:
    """The sidebar, in order: key and translated title. A province station receives the
    wards' bundles instead of keeping ward records."""
    if province:
        return [
            ("province", _("Wards and bundles")),
            ("packs", _("Criteria packs")),
            ("audit", _("Audit trail")),
            ("backup", _("Backup and restore")),
        ]
    return [
        ("overview", _("Overview")),
        ("indicators", _("Monthly indicators")),
        ("assessment", _("Self-assessment")),
        ("reports", _("Reports")),
        *((code, _(title)) for code, (title, _singular) in KIND_TITLES.items()),
        ("sync", _("Sync with the province")),
        ("packs", _("Criteria packs")),
        ("audit", _("Audit trail")),
        ("backup", _("Backup and restore")),
    ]


class MainWindow(QMainWindow):
    # a verified backup the officer chose to restore: the app closes the data, restores it
    # and opens a new window on the result (app.ui.app)
    restore_requested = Signal(object)
    # the officer locks the screen by hand (app.ui.app shows the login box again)
    lock_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.db: Database | None = None
        self.actor: Actor | None = None
        self.service: RecordService | None = None
        self.pages: dict[str, RecordPage] = {}
        self.screens: dict[str, QWidget] = {}
        self.today: Callable[[], date] = date.today
        self.overview: OverviewPage | None = None
        self.setObjectName("main_window")
        self.setWindowTitle(_("Model Ward"))
        self._fit_to_screen(1280, 780)
        # the undo stack, menus and shortcuts come with the data (build_menus): QtGui's
        # action and shortcut classes are not needed to draw the first frame
        self.undo_stack: QUndoStack | None = None

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        self.sidebar = QListWidget(central)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(250)
        self.sidebar.setStyleSheet(
            "QListWidget { background: #0b3d91; color: white; font-size: 11pt; border: 0; }"
            "QListWidget::item { padding: 10px 12px; }"
            "QListWidget::item:selected { background: #f2c12e; color: #1a1a1a; }"
        )
        self.titles = screen_titles()
        for _key, title in self.titles:
            QListWidgetItem(title, self.sidebar)
        self.stack = QStackedWidget(central)
        self.loading = QLabel(_("Opening the ward's data…"), self.stack)
        # A style property rather than Qt.AlignmentFlag: touching PySide6's Qt namespace costs
        # ~35 ms, a tenth of the time to the first window, and the frame needs nothing else.
        self.loading.setStyleSheet("qproperty-alignment: AlignCenter; font-size: 12pt;")
        self.stack.addWidget(self.loading)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._menus_built = False

    def _fit_to_screen(self, width: int, height: int) -> None:
        # Many station PCs have 1366x768 screens: never open larger than the desktop.
        screen = self.screen()
        if screen is not None:
            available = screen.availableGeometry()
            width = min(width, available.width() - 20)
            height = min(height, available.height() - 40)
        self.resize(width, height)

    def attach(
        self,
        db: Database,
        station: StationProfile,
        service: RecordService,
        today: Callable[[], date] = date.today,
        actor: Actor | None = None,
    ) -> None:
        """Add the screens for ``station``'s data; called once the database is open.

        Only the overview is built now; each record screen is built the first time the
        officer opens it, so start-up does not list six tables nobody has asked for yet.
        """
        from app.core.domain.access import Permission
        from app.core.services.profile import is_province
        from app.ui.widgets.overview_page import OverviewPage

        self.actor = actor
        manages_users = actor is not None and actor.can(Permission.MANAGE_USERS)
        if is_province(station) or manages_users:
            self.titles = screen_titles(province=is_province(station))
            if manages_users:
                self.titles.append(("users", _("User accounts")))
            self.sidebar.clear()
            for _key, title in self.titles:
                QListWidgetItem(title, self.sidebar)
            if self._menus_built:
                self._fill_go_menu()
        self.build_menus()
        self.db = db
        self.service = service
        self._show_who_and_where(station, actor)
        self.today = today
        if is_province(station):
            first = self._build_screen("province")
            self.screens["province"] = first
        else:
            self.overview = OverviewPage(
                db, f"{station.unit.name} — {station.province.name}", today, self.stack
            )
            self.screens["overview"] = first = self.overview
        self.stack.addWidget(first)
        for _key, _title in self.titles[1:]:
            self.stack.addWidget(QWidget(self.stack))
        self.stack.removeWidget(self.loading)
        self.loading.deleteLater()
        self.sidebar.currentRowChanged.connect(self._show_row)
        self.sidebar.setCurrentRow(0)
        self._show_row(0)
        self.statusBar().showMessage(
            _("{unit} (code {code}) · database: {path}").format(
                unit=station.unit.name, code=station.unit.code, path=db.path
            )
        )

    def _show_who_and_where(self, station: StationProfile, actor: Actor | None) -> None:
        """The logged-in user in the status bar; the unit (and DEMO) in the title."""
        if actor is not None:
            from app.core.domain.access import role_label

            user = QLabel(
                _("Logged in: {name} ({role})").format(
                    name=actor.display_name, role=role_label(actor.role)
                ),
                self,
            )
            user.setObjectName("user_label")
            user.setStyleSheet("padding: 2px 8px; font-weight: 600;")
            self.statusBar().addPermanentWidget(user)
        title = _("Model Ward — {unit}").format(unit=station.unit.name)
        if station.is_demo:
            title += " — " + _("DEMO DATA, NOT REAL")
            banner = QLabel(_("DEMO DATA, NOT REAL"), self)
            banner.setObjectName("demo_banner")
            banner.setStyleSheet(
                "background: #b00020; color: white; font-weight: 600; padding: 2px 8px;"
            )
            self.statusBar().addPermanentWidget(banner)
        self.setWindowTitle(title)

    def open_screen(self, key: str) -> QWidget:
        """The screen ``key`` ("overview", "indicators", "assessment", "packs" or a record
        kind), built the first time it is needed."""
        existing = self.screens.get(key)
        if existing is not None:
            return existing
        assert self.service is not None and self.db is not None, "attach() first"
        position = [k for k, _title in self.titles].index(key)
        widget = self._build_screen(key)
        placeholder = self.stack.widget(position)
        assert placeholder is not None
        self.stack.insertWidget(position, widget)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        self.screens[key] = widget
        return widget

    def _build_screen(self, key: str) -> QWidget:
        assert self.service is not None and self.db is not None
        if key == "indicators":
            from app.ui.widgets.indicator_page import IndicatorPage

            return IndicatorPage(self.db, self.today, self.stack, actor=self.actor)
        if key == "assessment":
            from app.ui.widgets.assessment_page import AssessmentPage

            return AssessmentPage(self.db, self.service, self.today, self.stack, actor=self.actor)
        if key == "reports":
            from app.ui.widgets.report_page import ReportPage

            return ReportPage(self.db, self.today, self.stack, actor=self.actor)
        if key == "sync":
            from app.ui.widgets.sync_page import SyncPage

            return SyncPage(self.db, self.stack, actor=self.actor)
        if key == "audit":
            from app.ui.widgets.audit_page import AuditPage

            return AuditPage(self.db, self.stack)
        if key == "backup":
            from app.ui.widgets.backup_page import BackupPage

            backup_page = BackupPage(self.db.path, self.stack, actor=self.actor)
            backup_page.restore_requested.connect(self.restore_requested)
            return backup_page
        if key == "users":
            from app.ui.widgets.users_page import UsersPage

            assert self.actor is not None
            return UsersPage(self.db.path, self.actor, self.stack)
        if key == "province":
            from app.ui.widgets.province_page import ProvincePage

            return ProvincePage(self.db, self.today().year, self.stack, actor=self.actor)
        if key == "packs":
            from app.ui.widgets.packs_page import PacksPage

            packs_page = PacksPage(self.db, self.stack, actor=self.actor)
            packs_page.packs_did_change.connect(self._packs_changed)
            return packs_page
        from app.core.domain.records import kind_by_code
        from app.ui.widgets.record_page import RecordPage

        assert self.undo_stack is not None
        page = RecordPage(self.service, kind_by_code(key), self.undo_stack, self.stack)
        page.record_did_change.connect(self._record_changed)
        self.pages[key] = page
        return page

    def page(self, kind_code: str) -> RecordPage:
        """The screen of one record kind, built on first use."""
        self.open_screen(kind_code)
        return self.pages[kind_code]

    def _show_row(self, row: int) -> None:
        self.open_screen(self.titles[row][0])
        self.stack.setCurrentIndex(row)

    def _packs_changed(self) -> None:
        # screens that read the packs are rebuilt the next time they are opened
        for key in ("indicators", "assessment"):
            widget = self.screens.pop(key, None)
            if widget is not None:
                position = self.stack.indexOf(widget)
                self.stack.insertWidget(position, QWidget(self.stack))
                self.stack.removeWidget(widget)
                widget.deleteLater()

    def build_menus(self) -> None:
        """Menus and shortcuts. Not part of the first frame: PySide6's first shortcut costs
        ~35 ms of one-time set-up, and nothing can be chosen before the data is open."""
        if self._menus_built:
            return
        from PySide6.QtGui import QAction, QKeySequence, QUndoStack

        self._menus_built = True
        self.undo_stack = QUndoStack(self)
        file_menu = self.menuBar().addMenu(_("&File"))
        quit_action = QAction(_("Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        lock_action = QAction(_("Lock the screen / change user"), self)
        lock_action.setObjectName("lock_action")
        lock_action.setShortcut(QKeySequence("Ctrl+L"))
        lock_action.triggered.connect(self.lock_requested)
        file_menu.addAction(lock_action)
        file_menu.addAction(quit_action)

        edit_menu = self.menuBar().addMenu(_("&Edit"))
        undo = self.undo_stack.createUndoAction(self, _("Undo"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, _("Redo"))
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.undo_action, self.redo_action = undo, redo

        self.go_menu = self.menuBar().addMenu(_("&Go"))
        self._fill_go_menu()

        help_menu = self.menuBar().addMenu(_("&Help"))
        about = QAction(_("About ModelWard"), self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _fill_go_menu(self) -> None:
        """One entry per screen of the sidebar; filled again when ``attach`` changes the
        screens (a province station, the administrator's user accounts)."""
        from PySide6.QtGui import QAction, QKeySequence

        for old in self.go_menu.actions():
            self.go_menu.removeAction(old)
            old.deleteLater()
        for row in range(self.sidebar.count()):
            action = QAction(self.sidebar.item(row).text(), self)
            if row < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
            action.triggered.connect(lambda _checked=False, r=row: self.sidebar.setCurrentRow(r))
            self.go_menu.addAction(action)

    def show_recovery_banner(self) -> None:
        """Read-only recovery mode: said on every screen, in the status bar."""
        banner = QLabel(_("DAMAGED DATABASE: READ-ONLY"), self)
        banner.setObjectName("recovery_banner")
        banner.setStyleSheet(
            "background: #b00020; color: white; font-weight: 600; padding: 2px 8px;"
        )
        self.statusBar().addPermanentWidget(banner)
        self.setWindowTitle(self.windowTitle() + " — " + _("DAMAGED DATABASE: READ-ONLY"))

    def show_page(self, key: str) -> None:
        """Switch to the overview ("overview") or a record kind's page."""
        self.sidebar.setCurrentRow([k for k, _title in self.titles].index(key))

    def _record_changed(self, _change: Change) -> None:
        if self.overview is not None:
            self.overview.refresh()

    def show_about(self) -> None:
        inform(
            self,
            _("About ModelWard"),
            _("ModelWard (Phường Kiểu Mẫu) version {version}").format(version=__version__),
            _("Records, indicators and reports of a model ward police unit. Works offline."),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        from app.ui.ops import wait_for_background

        wait_for_background()
        super().closeEvent(event)
