"""The main window: a navigation sidebar, one screen per record kind, the overview, undo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from app import __version__
from app.core.profile import StationProfile
from app.core.record_service import RecordService
from app.core.records import KINDS, Change
from app.db.engine import Database
from app.i18n import _
from app.ui.errors import inform
from app.ui.ops import wait_for_background
from app.ui.widgets.overview_page import OverviewPage
from app.ui.widgets.record_page import RecordPage


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: Database,
        station: StationProfile,
        service: RecordService,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__()
        self.db = db
        self.station = station
        self.service = service
        self.setObjectName("main_window")
        self.setWindowTitle(_("Model Ward — {unit}").format(unit=station.unit.name))
        self.resize(1280, 780)
        self.undo_stack = QUndoStack(self)

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
        self.stack = QStackedWidget(central)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.overview = OverviewPage(
            db, f"{station.unit.name} — {station.province.name}", today, self.stack
        )
        self._add_page(_("Overview"), self.overview)
        self.pages: dict[str, RecordPage] = {}
        for kind in KINDS:
            page = RecordPage(service, kind, self.undo_stack, self.stack)
            page.record_did_change.connect(self._record_changed)
            self.pages[kind.code] = page
            self._add_page(_(kind.title), page)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sidebar.setCurrentRow(0)
        self._build_menus()
        self.statusBar().showMessage(
            _("{unit} (code {code}) · database: {path}").format(
                unit=station.unit.name, code=station.unit.code, path=db.path
            )
        )

    def _add_page(self, title: str, page: QWidget) -> None:
        self.stack.addWidget(page)
        QListWidgetItem(title, self.sidebar)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(_("&File"))
        quit_action = QAction(_("Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        edit_menu = self.menuBar().addMenu(_("&Edit"))
        undo = self.undo_stack.createUndoAction(self, _("Undo"))
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, _("Redo"))
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        self.undo_action, self.redo_action = undo, redo

        go_menu = self.menuBar().addMenu(_("&Go"))
        for row in range(self.sidebar.count()):
            action = QAction(self.sidebar.item(row).text(), self)
            action.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
            action.triggered.connect(lambda _checked=False, r=row: self.sidebar.setCurrentRow(r))
            go_menu.addAction(action)

        help_menu = self.menuBar().addMenu(_("&Help"))
        about = QAction(_("About ModelWard"), self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def show_page(self, key: str) -> None:
        """Switch to the overview ("overview") or a record kind's page."""
        if key == "overview":
            self.sidebar.setCurrentRow(0)
        else:
            self.sidebar.setCurrentRow(1 + list(self.pages).index(key))

    def _record_changed(self, _change: Change) -> None:
        self.overview.refresh()

    def show_about(self) -> None:
        inform(
            self,
            _("About ModelWard"),
            _("ModelWard (Phường Kiểu Mẫu) version {version}").format(version=__version__),
            _("Records, indicators and reports of a model ward police unit. Works offline."),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        wait_for_background()
        super().closeEvent(event)
