"""The background-operation helper under load: many fast operations that report progress.

A modal ``QProgressDialog.setValue`` processes events, so an operation's queued finish can be
delivered inside the progress update that is still using the dialog. The helper must survive
that re-entry every time, close every dialog, and deliver each result exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget
from pytestqt.qtbot import QtBot

from app.core.domain.errors import Cancelled
from app.core.domain.progress import CancelToken
from app.ui import ops

OPERATIONS = 300
STEPS = 40


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _progress_dialogs() -> list[QProgressDialog]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QProgressDialog) and w.isVisible()
    ]


def test_hundreds_of_fast_operations_with_progress_finish_cleanly(
    qtbot: QtBot, parent: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    # show every progress dialog at once: a shown modal dialog processes events in setValue,
    # which is where the queued finish used to run while the update still used the dialog
    monkeypatch.setattr(ops, "PROGRESS_SHOWS_AFTER_MS", 0)
    results: list[int] = []
    errors: list[BaseException] = []
    cancelled: list[int] = []
    operations = []
    started = time.monotonic()

    def make_work(number: int) -> ops.Work[int]:
        def work(progress: Callable[[int, int, str], None], token: CancelToken) -> int:
            for step in range(STEPS + 1):
                progress(step, STEPS, f"bước {step}")
            if number % 50 == 49:
                raise Cancelled()
            if number % 37 == 36:
                raise ValueError(number)
            return number

        return work

    def on_cancelled(number: int) -> Callable[[], None]:
        return lambda: cancelled.append(number)

    for number in range(OPERATIONS):
        operations.append(
            ops.run_in_background(
                make_work(number),
                parent=parent,
                on_done=results.append,
                on_error=errors.append,
                progress_label="Đang làm…",
                on_cancelled=on_cancelled(number),
            )
        )
        if number % 10 == 0:
            QApplication.processEvents()  # finishes arrive while new progress is queued

    def all_delivered() -> bool:
        return len(results) + len(errors) + len(cancelled) == OPERATIONS

    qtbot.waitUntil(all_delivered, timeout=60_000)
    assert ops.wait_for_background(10_000)
    QApplication.processEvents()
    elapsed = time.monotonic() - started

    expected_cancelled = [n for n in range(OPERATIONS) if n % 50 == 49]
    expected_errors = [n for n in range(OPERATIONS) if n % 37 == 36 and n % 50 != 49]
    assert sorted(cancelled) == expected_cancelled
    assert sorted(e.args[0] for e in errors) == expected_errors
    assert sorted(results) == [
        n for n in range(OPERATIONS) if n not in expected_cancelled and n not in expected_errors
    ]
    # each result exactly once, every operation over, every dialog gone
    assert len(results) == len(set(results))
    assert not any(operation.running for operation in operations)
    assert all(operation.dialog is None for operation in operations)
    qtbot.waitUntil(lambda: not _progress_dialogs(), timeout=5000)
    assert elapsed < 60, f"{OPERATIONS} operations took {elapsed:.1f} s"


def test_progress_after_the_finish_is_ignored(qtbot: QtBot, parent: QWidget) -> None:
    done: list[object] = []
    operation = ops.run_in_background(
        lambda _progress, _token: "xong",
        parent=parent,
        on_done=done.append,
        on_error=lambda error: done.append(error),
        progress_label="Đang làm…",
    )
    qtbot.waitUntil(lambda: done == ["xong"], timeout=10_000)
    assert operation.dialog is None and not operation.running
    # a late progress report (queued before the finish was seen) must not touch the dialog
    operation.signals.op_did_progress.emit(5, 10, "muộn")
    QApplication.processEvents()
    assert operation.dialog is None and done == ["xong"]


def test_a_failure_without_its_own_handler_is_presented_in_vietnamese(
    qtbot: QtBot, parent: QWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.domain.errors import UserFacingError
    from app.ui import errors

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        errors, "inform", lambda _parent, title, text, *_a, **_k: shown.append((title, text))
    )
    ended: list[str] = []

    def work(_progress: ops.Progress, _token: CancelToken) -> int:
        raise UserFacingError("Không mở được cơ sở dữ liệu.")

    ops.run_in_background(
        work,
        parent=parent,
        on_done=lambda _n: ended.append("done"),
        on_end=lambda: ended.append("end"),
    )
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == [("Không thể tiếp tục", "Không mở được cơ sở dữ liệu.")]
    assert ended == ["end"]


def test_the_busy_state_ends_before_the_result_arrives(qtbot: QtBot, parent: QWidget) -> None:
    events: list[str] = []
    ops.run_in_background(
        lambda _progress, _token: 7,
        parent=parent,
        on_done=lambda n: events.append(f"done {n}"),
        on_end=lambda: events.append("end"),
    )
    qtbot.waitUntil(lambda: len(events) == 2, timeout=10_000)
    assert events == ["end", "done 7"]
