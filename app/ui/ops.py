"""Run slow work off the GUI thread and deliver its result or error back on the GUI thread.

Writes are serialized: the pool has one writer slot, so two background writes never race
for SQLite's write lock. The background function must not touch widgets.

``run_in_background`` is the one way to do this. An ``Operation[T]`` delivers the ``T`` its
work returned; a failure goes through one path: the caller's ``on_error`` if it has its own way
of telling the officer, otherwise ``present_error`` (the translated message, or the "unexpected
error" box for a bug). ``Cancelled`` is never shown as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QProgressDialog, QWidget

from app.core.domain.errors import Cancelled, EnvironmentProblem, UserFacingError
from app.core.domain.progress import CancelToken
from app.i18n import _
from app.ui.errors import present_error

log = logging.getLogger(__name__)

PROGRESS_SHOWS_AFTER_MS = 400  # quick operations never flash a dialog
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)  # an Operation[Record] is an Operation[object]
Progress = Callable[[int, int, str], None]
Work = Callable[[Progress, CancelToken], T]
"""``work(progress, cancel_token) -> T``, run on the writer thread."""


class _Signals(QObject):
    op_did_progress = Signal(int, int, str)
    op_did_finish = Signal(object)
    op_did_fail = Signal(object)
    op_was_cancelled = Signal()


class _Runnable(QRunnable, Generic[T]):
    def __init__(self, work: Work[T], signals: _Signals, token: CancelToken) -> None:
        super().__init__()
        self.work = work
        self.signals = signals
        self.token = token

    def run(self) -> None:
        try:
            result = self.work(self.signals.op_did_progress.emit, self.token)
        except Cancelled:
            self.signals.op_was_cancelled.emit()
        except (UserFacingError, EnvironmentProblem) as error:  # the officer is told why
            log.info("background operation refused: %s", error)
            self.signals.op_did_fail.emit(error)
        except BaseException as error:  # delivered to the GUI thread, never lost
            log.exception("background operation failed")
            self.signals.op_did_fail.emit(error)
        else:
            self.signals.op_did_finish.emit(result)


class Operation(QObject, Generic[T_co]):
    """One background operation whose work returns a ``T``; keep a reference until it ends.

    ``op_did_finish`` carries the ``T`` (Qt signals are untyped, so ``run_in_background`` is
    where the type is checked: its ``on_done`` takes a ``T``).

    A shown modal ``QProgressDialog`` processes events inside ``setValue``, so the queued
    finish (or failure, or cancel) of this very operation can arrive while a progress update
    is still using the dialog. The end is then held back until the update has returned: the
    dialog is closed and the result delivered exactly once, from a clean state, and progress
    that arrives after the end is ignored.
    """

    op_did_finish = Signal(object)  # T
    op_did_fail = Signal(object)  # BaseException
    op_was_cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.token = CancelToken()
        self.signals = _Signals()
        self.signals.op_did_finish.connect(self._finish, Qt.ConnectionType.QueuedConnection)
        self.signals.op_did_fail.connect(self._fail, Qt.ConnectionType.QueuedConnection)
        self.signals.op_was_cancelled.connect(self._cancelled, Qt.ConnectionType.QueuedConnection)
        self.dialog: QProgressDialog | None = None
        self._done = False  # the background work has ended
        self._delivered = False  # ... and its end was delivered: the operation is over
        self._updating = False  # inside a progress update that may process events
        self._held_end: Callable[[], None] | None = None

    @Slot(object)
    def _finish(self, result: object) -> None:
        self._end(lambda: self.op_did_finish.emit(result))

    @Slot(object)
    def _fail(self, error: object) -> None:
        self._end(lambda: self.op_did_fail.emit(error))

    @Slot()
    def _cancelled(self) -> None:
        self._end(self.op_was_cancelled.emit)

    def _end(self, deliver: Callable[[], None]) -> None:
        if self._done:
            return  # the background work ends once; never deliver twice
        self._done = True
        if self._updating:
            self._held_end = deliver  # run by _progress once the dialog is no longer in use
            return
        self._deliver(deliver)

    def _deliver(self, deliver: Callable[[], None]) -> None:
        self._close_dialog()
        self._delivered = True
        deliver()

    def _close_dialog(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.reset()
            dialog.hide()
            dialog.deleteLater()

    def show_progress(self, parent: QWidget, label: str, cancellable: bool) -> None:
        dialog = QProgressDialog(label, _("Cancel") if cancellable else "", 0, 0, parent)
        dialog.setWindowTitle(_("Please wait"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        if cancellable:
            dialog.canceled.connect(self._cancel)
        else:
            dialog.setCancelButton(None)
        dialog.setMinimumDuration(PROGRESS_SHOWS_AFTER_MS)
        # The minimum-duration timer only starts once a value is set.
        dialog.setValue(0)
        self.signals.op_did_progress.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self.dialog = dialog

    @Slot()
    def _cancel(self) -> None:
        self.token.cancel()
        if self.dialog is not None and not self._done:
            self.dialog.setLabelText(_("Cancelling…"))

    @property
    def running(self) -> bool:
        return not self._delivered

    @Slot(int, int, str)
    def _progress(self, done: int, total: int, message: str) -> None:
        dialog = self.dialog
        if dialog is None or self._done or self._updating or self.token.cancelled:
            return  # over, cancelling, or a report queued behind the one being shown
        self._updating = True
        try:
            if message:
                dialog.setLabelText(message)
            dialog.setMaximum(total)
            dialog.setValue(done)  # may process events: the end can arrive in here
        finally:
            self._updating = False
            held, self._held_end = self._held_end, None
            if held is not None:  # the end arrived meanwhile: delivered now, once
                self._deliver(held)


_writer_pool: QThreadPool | None = None


def _pool() -> QThreadPool:
    global _writer_pool
    if _writer_pool is None:
        _writer_pool = QThreadPool()
        _writer_pool.setMaxThreadCount(1)
    return _writer_pool


def run_in_background(
    work: Work[T],
    *,
    parent: QWidget,
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None] | None = None,
    progress_label: str | None = None,
    on_cancelled: Callable[[], None] | None = None,
    on_end: Callable[[], None] | None = None,
) -> Operation[T]:
    """Run ``work(progress, cancel_token)`` on the single writer thread; ``on_done`` gets its
    result on the GUI thread.

    A failure goes to ``on_error`` when given (a caller that tells the officer in its own
    way), else to ``present_error(parent, error)``. ``on_end`` runs after the operation is
    over, however it ended (done, failed or cancelled): the place to leave a busy state.
    With ``on_cancelled`` the progress dialog offers Cancel: the work must then poll the
    token and raise ``Cancelled`` before it commits anything.
    """
    operation: Operation[T] = Operation(parent)
    if progress_label is not None:
        operation.show_progress(parent, progress_label, cancellable=on_cancelled is not None)
    if on_end is not None:  # first: the busy state is left before the result is shown
        for signal in (
            operation.op_did_finish,
            operation.op_did_fail,
            operation.op_was_cancelled,
        ):
            signal.connect(lambda *_args: on_end())
    operation.op_did_finish.connect(on_done)
    operation.op_did_fail.connect(on_error or (lambda error: present_error(parent, error)))
    if on_cancelled is not None:
        operation.op_was_cancelled.connect(on_cancelled)
    _pool().start(_Runnable(work, operation.signals, operation.token))
    return operation


def wait_for_background(msecs: int = 30000) -> bool:
    """Block until background work is done (for shutdown and tests)."""
    return _pool().waitForDone(msecs)


class GuardedDialog(QDialog):
    """A dialog that cannot be closed (Escape, Cancel, the window's ×) while its background
    operation runs: closing would leave the work going on unseen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._operation: Operation[object] | None = None

    def busy(self) -> bool:
        return self._operation is not None and self._operation.running

    def guard(self, operation: Operation[object]) -> None:
        """Hold ``operation``: until it ends the dialog cannot be closed and ``busy()``."""
        self._operation = operation

    def reject(self) -> None:
        if self.busy():
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy():
            event.ignore()
            return
        super().closeEvent(event)
