"""Every button of every screen, through its signal, for every role, on a ward and a province.

The record screens' import and export crashed from their buttons while the tests that called
the methods directly passed: ``triggered(bool)`` arrived as the path. This test logs in as an
officer, a chief and an administrator the way the app does (the login box), opens every screen
of the main window, selects the first row of every table, triggers every ``QAction`` and clicks
every enabled ``QAbstractButton`` with ``trigger()`` / ``click()``, then goes through the
window's menus and quits. Dialogs are answered by hooks: file dialogs get paths in a temporary
folder (a record screen's import gets rows it does not hold yet), the print dialog prints to a
PDF file, message boxes get their default button, the key passphrase is typed, a spreadsheet
import is confirmed once, the lock screen logs the same user in again; any other dialog has
its own buttons and then its OK clicked, and is cancelled if still open. It fails on any
exception, any "unexpected error" box, a refusal of the role after a button that was enabled,
English in a message box, a dialog that does not close, and (pytest-qt) any Qt warning.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QMenu,
    QMessageBox,
    QProgressDialog,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.domain.access import PermissionDenied, Role
from app.core.domain.errors import EnvironmentProblem, UserFacingError
from app.core.domain.progress import CancelToken
from app.core.domain.records import KINDS
from app.core.services.records import RecordService
from app.core.services.spreadsheet import export_xlsx
from app.db.open import open_database
from app.i18n import _
from app.security.accounts import Accounts, KdfParams
from app.ui import errors, ops
from app.ui.app import StationSession
from app.ui.dialogs.import_dialog import ImportDialog
from app.ui.dialogs.login_dialog import LoginDialog
from app.ui.main_window import MainWindow
from app.ui.widgets.sync_page import PassphraseDialog
from tests.sync.bundle_pairs import PASSPHRASE, make_pair

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)
USERS = {
    Role.OFFICER: ("nvan", "Nguyễn Văn An", "mật khẩu cán bộ 1"),
    Role.CHIEF: ("thang", "Phạm Văn Thắng", "mật khẩu trưởng 2"),
    Role.ADMIN: ("quantri", "Lê Quản Trị", "mật khẩu quản trị 3"),
}
IMPORTED_ROWS = 3  # rows of each record kind taken out of the ward and offered for import
VIETNAMESE = re.compile(r"[À-ỹđĐ]")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{2,}\b")
PATH = re.compile(r"\S*[/\\]\S*")  # file names and paths say nothing of the language
SCREENS = {"ward": 14, "province": 4}  # per role; the administrator also has user accounts


@dataclass
class Coverage:
    screens: int = 0
    actions: int = 0
    buttons: int = 0
    menu_actions: int = 0
    dialog_buttons: int = 0
    dialogs: list[str] = field(default_factory=list)
    printed: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class Answers:
    """Answers every modal dialog as it opens and writes down everything that went wrong."""

    def __init__(self, folder: Path, imports: Path) -> None:
        self.folder = folder
        self.imports = imports  # a spreadsheet per record kind, of rows the ward lacks
        self.step = "start"
        self.user: tuple[str, str] | None = None
        self.problems: list[str] = []
        self.coverage = Coverage()
        self._files = 0
        self.timer = QTimer()
        self.timer.timeout.connect(self._answer)
        self.timer.start(15)

    def problem(self, what: str) -> None:
        self.problems.append(f"[{self.step}] {what}")

    # --- hooks ----------------------------------------------------------------------------

    def excepthook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        self.problem("".join(traceback.format_exception(kind, error, tb)))

    def error_shown(self, error: BaseException) -> None:
        if isinstance(error, PermissionDenied):
            self.problem(f"enabled for this role, then refused: {error}")
        elif not isinstance(error, UserFacingError | EnvironmentProblem):
            self.problem("unexpected error box: " + "".join(traceback.format_exception(error)))

    def new_file(self, suffix: str) -> Path:
        self._files += 1
        return self.folder / f"file-{self._files}{suffix}"

    def save_name(
        self, _parent: QWidget, _caption: str = "", suggested: str = "", filters: str = "", *_a: str
    ) -> tuple[str, str]:
        match = re.search(r"\*(\.\w+)", filters) or re.search(r"(\.\w+)$", suggested)
        return str(self.new_file(match.group(1) if match else ".bin")), ""

    def open_name(
        self, parent: QWidget, _caption: str = "", _folder: str = "", filters: str = "", *_a: str
    ) -> tuple[str, str]:
        kind = getattr(parent, "kind", None)
        prepared = self.imports / f"{getattr(kind, 'code', '')}.xlsx"
        if prepared.exists():
            return str(prepared), ""
        # not a file of the kind asked for: the screen must refuse it in clear words
        match = re.search(r"\*(\.\w+)", filters)
        path = self.new_file(match.group(1) if match else ".bin")
        path.write_bytes(b"not what was asked for")
        return str(path), ""

    def open_names(self, parent: QWidget, *args: str) -> tuple[list[str], str]:
        name, chosen = self.open_name(parent, *args)
        return [name], chosen

    def folder_name(self, *_args: object) -> str:
        path = self.new_file("")
        path.mkdir()
        return str(path)

    def print_dialog(self, dialog: QPrintDialog) -> int:
        printer = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        out = self.new_file(".pdf")
        printer.setOutputFileName(str(out))
        self.coverage.dialogs.append(f"{self.step}: print dialog → PDF")
        self.coverage.printed.append(out)
        return QDialog.DialogCode.Accepted.value

    # --- modal dialogs --------------------------------------------------------------------

    def _answer(self) -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or not widget.isVisible() or isinstance(widget, QProgressDialog):
            return
        if isinstance(widget, ops.GuardedDialog) and widget.busy():
            return  # its background work closes it or makes it answerable
        if widget.property("smoke_exploring"):
            return  # its buttons are being clicked (_explore)
        # counted on the Qt object: Python ids are reused once a dialog is collected
        answered = int(widget.property("smoke_answered") or 0) + 1
        widget.setProperty("smoke_answered", answered)
        if answered > 3:  # answered but still open: force it shut
            self.problem(f"{type(widget).__name__} “{widget.windowTitle()}” did not close")
            widget.close()
            if isinstance(widget, QDialog):
                widget.done(0)
        elif isinstance(widget, QMessageBox):
            self._message(widget)
        else:
            self.coverage.dialogs.append(f"{self.step}: {type(widget).__name__}")
            self._dialog(widget, first_time=answered == 1)

    def _dialog(self, widget: QWidget, first_time: bool) -> None:
        if isinstance(widget, LoginDialog) and self.user is not None:
            widget.user.setCurrentIndex(widget.user.findData(self.user[0]))
            widget.password.setText(self.user[1])
            widget.ok.click()
        elif isinstance(widget, PassphraseDialog):
            widget.first.setText(PASSPHRASE)
            if widget.second is not None:
                widget.second.setText(PASSPHRASE)
            widget.accept()
        elif isinstance(widget, ImportDialog) and first_time:
            if widget.import_button.isEnabled():  # once: a refused import is then cancelled
                widget.import_button.click()
        elif isinstance(widget, QDialog) and not isinstance(widget, QInputDialog) and first_time:
            widget.setProperty("smoke_exploring", True)
            # not from this timer's slot: the dialogs its buttons open must still be answered
            QTimer.singleShot(0, partial(self._explore, widget))
        elif isinstance(widget, QDialog):
            widget.reject()
        else:
            widget.close()

    def _explore(self, dialog: QDialog) -> None:
        """Click the dialog's own buttons, then its OK, through their signals; a dialog that
        is still open after that is cancelled by the next answer."""
        outer = self.step
        name = type(dialog).__name__
        for button in dialog.findChildren(QAbstractButton):
            if not (alive(dialog) and dialog.isVisible()):
                break
            if usable(button) and not isinstance(button.parent(), QDialogButtonBox):
                self.step = f"{outer} › {name} › button “{button.text()}”"
                button.click()
                self.coverage.dialog_buttons += 1
        box = dialog.findChild(QDialogButtonBox) if alive(dialog) else None
        if box is not None and dialog.isVisible():
            accept = QDialogButtonBox.ButtonRole.AcceptRole
            for button in box.buttons():
                if box.buttonRole(button) is accept and usable(button):
                    self.step = f"{outer} › {name} › button “{button.text()}”"
                    button.click()
                    self.coverage.dialog_buttons += 1
                    break
        self.step = outer
        if alive(dialog):
            dialog.setProperty("smoke_exploring", False)

    def _message(self, box: QMessageBox) -> None:
        text = f"{box.windowTitle()}: {box.text()} {box.informativeText()}".strip()
        self.coverage.dialogs.append(f"{self.step}: box {box.icon().name}: {text[:100]}")
        if box.icon() is QMessageBox.Icon.Critical:
            self.problem(f"error box: {text}")
        for part in (box.windowTitle(), box.text(), box.informativeText()):
            words = ENGLISH_WORD.findall(PATH.sub("", part))
            if len(words) >= 2 and not VIETNAMESE.search(part):
                self.problem(f"English reaches the officer: {part}")
        buttons = [box.defaultButton(), box.escapeButton(), *box.buttons()]
        button = next((b for b in buttons if b is not None), None)
        if button is not None:
            button.click()
        else:
            box.done(0)


def settle(qtbot: QtBot, answers: Answers) -> None:
    """Let background work finish and the dialogs it opens be answered."""
    quiet = 0
    deadline = time.monotonic() + 60
    while quiet < 3 and time.monotonic() < deadline:
        ops.wait_for_background(30_000)
        qtbot.wait(5)
        progress = (w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog))
        busy = (
            QApplication.activeModalWidget() is not None
            or any(w.isVisible() for w in progress)
            or any(t.is_alive() and not t.daemon for t in threading.enumerate()[1:])
        )  # a backup is verified in a thread of its own (app.db.backup_verify)
        quiet = 0 if busy else quiet + 1
    if quiet < 3:
        answers.problem("still busy after 60 s")


def step(qtbot: QtBot, answers: Answers, label: str, act: Callable[[], object]) -> None:
    """Do one thing through a signal, wait for what it started, and time it."""
    answers.step = label
    started = time.monotonic()
    act()
    settle(qtbot, answers)
    answers.coverage.seconds[label] = time.monotonic() - started


def alive(obj: object) -> bool:
    return shiboken6.isValid(obj)


def select_first_rows(screen: QWidget) -> None:
    """So Edit, Delete, Open … have something to act on (a header shares its table's
    selection: selecting in it would clear the row)."""
    for view in screen.findChildren(QAbstractItemView):
        model = view.model()
        if isinstance(view, QHeaderView) or model is None or not view.isVisible():
            continue
        if model.rowCount() > 0:
            view.setCurrentIndex(model.index(0, 0))


def usable(control: QAction | QAbstractButton) -> bool:
    return alive(control) and control.isEnabled() and control.isVisible()


def exercise_screen(qtbot: QtBot, screen: QWidget, answers: Answers, name: str) -> None:
    select_first_rows(screen)
    triggered: set[int] = set()
    for action in screen.findChildren(QAction):
        if not usable(action):
            continue
        triggered.add(id(action))
        step(qtbot, answers, f"{name} › action “{action.text()}”", action.trigger)
        answers.coverage.actions += 1
        if not alive(screen):
            return
        select_first_rows(screen)
    for button in screen.findChildren(QAbstractButton):
        if not usable(button):
            continue
        if isinstance(button, QToolButton) and id(button.defaultAction()) in triggered:
            continue  # the toolbar button of an action already triggered
        label = button.text() or button.objectName()
        step(qtbot, answers, f"{name} › button “{label}”", button.click)
        answers.coverage.buttons += 1
        if not alive(screen):
            return
        select_first_rows(screen)


def exercise_menus(qtbot: QtBot, window: MainWindow, answers: Answers, role: Role) -> None:
    sidebar = [window.sidebar.item(row).text() for row in range(window.sidebar.count())]
    go_entries = [action.text() for action in window.go_menu.actions()]
    if go_entries != sidebar:
        answers.problem(f"the Go menu lists {go_entries}, the sidebar {sidebar}")
    quit_action = None
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if action.isSeparator() or not action.isEnabled():
                continue
            if action.text() == _("Quit"):
                quit_action = action  # last: it closes the window
                continue
            step(qtbot, answers, f"{role.value} › menu “{action.text()}”", action.trigger)
            answers.coverage.menu_actions += 1
            opened = window.sidebar.currentItem().text()
            if menu is window.go_menu and opened != action.text():
                answers.problem(f"opened “{opened}”")
    assert quit_action is not None
    step(qtbot, answers, f"{role.value} › menu “{quit_action.text()}”", quit_action.trigger)
    answers.coverage.menu_actions += 1
    assert not window.isVisible()


def exercise_window(qtbot: QtBot, window: MainWindow, answers: Answers, role: Role) -> None:
    for row, (key, _title) in enumerate(list(window.titles)):
        step(
            qtbot, answers, f"{role.value} › open {key}", partial(window.sidebar.setCurrentRow, row)
        )
        screen = window.screens[key]
        assert window.stack.currentWidget() is screen
        exercise_screen(qtbot, screen, answers, f"{role.value} › {key}")
        answers.coverage.screens += 1
    exercise_menus(qtbot, window, answers, role)


@dataclass
class Stations:
    ward: Path
    province: Path
    imports: Path


def _prepare_imports(ward: Path, folder: Path) -> None:
    """A spreadsheet of rows each record screen does not hold yet: taken out of the ward."""
    db = open_database(ward)
    service = RecordService(db, author="Nguyễn Văn An")
    folder.mkdir(parents=True)
    for kind in KINDS:
        ids = service.list_ids(kind.code)[:IMPORTED_ROWS]
        target = folder / f"{kind.code}.xlsx"
        rows = service.fetch(kind.code, ids)
        export_xlsx(kind.code, rows, target, kind.title, lambda *_a: None, CancelToken())
        for record_id in ids:
            service.delete(kind.code, record_id)
    db.close()


def _accounts(path: Path) -> None:
    accounts = Accounts(path, kdf=CHEAP)
    username, name, password = USERS[Role.ADMIN]
    admin, _code = accounts.create(username, name, password)
    for role in (Role.OFFICER, Role.CHIEF):
        username, name, password = USERS[role]
        accounts.add_user(admin, username, name, role, "tạm thời 123456")
        accounts.change_password(username, "tạm thời 123456", password)


@pytest.fixture(scope="module")
def stations(tmp_path_factory: pytest.TempPathFactory, ward_template: Path) -> Stations:
    """A ward with a year of data and keys, and its province, each with the three roles
    (made once: the ward test uses one, the province test the other)."""
    folder = tmp_path_factory.mktemp("smoke")
    pair = make_pair(folder / "pair", ward_template)
    ward, province = Path(pair.ward_db.path), Path(pair.province_db.path)
    pair.ward_db.close()
    pair.province_db.close()
    _prepare_imports(ward, folder / "imports")
    for path in (ward, province):
        _accounts(path)
    return Stations(ward, province, folder / "imports")


@pytest.fixture
def answers(
    tmp_path: Path, stations: Stations, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Answers]:
    folder = tmp_path / "answers"
    folder.mkdir()
    watcher = Answers(folder, stations.imports)
    monkeypatch.setattr(sys, "excepthook", watcher.excepthook)
    monkeypatch.setattr(errors, "error_listeners", [watcher.error_shown])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(watcher.save_name))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(watcher.open_name))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(watcher.open_names))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(watcher.folder_name))
    monkeypatch.setattr(QPrintDialog, "exec", lambda dialog: watcher.print_dialog(dialog))
    yield watcher
    watcher.timer.stop()


def run_role(qtbot: QtBot, path: Path, answers: Answers, role: Role) -> None:
    username, _name, password = USERS[role]
    answers.user = (username, password)
    answers.step = f"{role.value} › log in"
    session = StationSession(path, background_checks=False)
    window = session.start()
    qtbot.waitUntil(lambda: window.db is not None, timeout=30_000)
    assert session.actor is not None and session.actor.role is role
    try:
        exercise_window(qtbot, window, answers, role)
    finally:
        if session.window is not None:
            session.window.close()
        session.close()
        settle(qtbot, answers)
    still_open = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    if still_open:
        answers.problem(f"left open after quitting: {still_open}")


def report(station: str, coverage: Coverage, seconds: dict[str, float]) -> None:
    print(
        f"\n{station}: {coverage.screens} screens, {coverage.actions} actions, "
        f"{coverage.buttons} buttons, {coverage.menu_actions} menu actions, "
        f"{coverage.dialog_buttons} buttons in dialogs, "
        f"{len(coverage.dialogs)} dialogs answered; seconds per role {seconds}"
    )
    for line in coverage.dialogs:
        print("   ", line)
    slowest = sorted(coverage.seconds.items(), key=lambda item: -item[1])[:8]
    print("  slowest steps:", *(f"{s:5.2f} s  {label}" for label, s in slowest), sep="\n    ")


@pytest.mark.qt_no_exception_capture  # the test's own excepthook names the button
@pytest.mark.parametrize("station", ["ward", "province"])
def test_every_button_on_every_screen_for_every_role(
    qtbot: QtBot, stations: Stations, answers: Answers, station: str
) -> None:
    seconds: dict[str, float] = {}
    started = time.monotonic()
    for role in (Role.OFFICER, Role.CHIEF, Role.ADMIN):
        run_role(qtbot, getattr(stations, station), answers, role)
        seconds[role.value] = round(time.monotonic() - started, 1)
        started = time.monotonic()
    coverage = answers.coverage
    report(station, coverage, seconds)
    assert not answers.problems, "\n\n".join(answers.problems)
    assert coverage.screens == 3 * SCREENS[station] + 1  # + the administrator's accounts
    if station == "ward":  # the reports screen printed to PDF files for each role
        assert len(coverage.printed) == 3
        assert all(pdf.stat().st_size > 1000 for pdf in coverage.printed)


BOOL_SIGNALS = {"clicked", "triggered", "toggled"}


def _first_optional_not_bool(method: ast.FunctionDef) -> str | None:
    """The first positional parameter after ``self`` if it has a default and is not a bool."""
    positional = [*method.args.posonlyargs, *method.args.args][1:]
    if not positional:
        return None
    first, defaults = positional[0], method.args.defaults
    has_default = len(defaults) >= len(positional)
    annotation = ast.unparse(first.annotation) if first.annotation is not None else ""
    return first.arg if has_default and annotation != "bool" else None


def test_no_bool_signal_is_connected_to_an_optional_parameter() -> None:
    """``clicked(bool)`` / ``triggered(bool)`` / ``toggled(bool)`` connected straight to a
    method fills its first positional parameter with ``checked``: a method whose first
    parameter is an optional path or printer must be called through a lambda."""
    found = []
    for path in sorted(Path("app/ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
            methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
            for call in (node for node in ast.walk(cls) if isinstance(node, ast.Call)):
                func = call.func
                if not (
                    isinstance(func, ast.Attribute)
                    and func.attr == "connect"
                    and isinstance(func.value, ast.Attribute)
                    and func.value.attr in BOOL_SIGNALS
                    and call.args
                    and isinstance(call.args[0], ast.Attribute)
                    and isinstance(call.args[0].value, ast.Name)
                    and call.args[0].value.id == "self"
                    and call.args[0].attr in methods
                ):
                    continue
                parameter = _first_optional_not_bool(methods[call.args[0].attr])
                if parameter is not None:
                    found.append(f"{path}:{call.lineno} {ast.unparse(call)} → {parameter}")
    assert not found, "\n".join(found)
