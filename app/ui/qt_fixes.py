"""Work-arounds for defects of the Qt binding the app ships with.

PySide6 6.12.0 drops one reference to ``True`` on every ``Signal.emit()`` made from Python.
``True`` is not immortal before Python 3.12, so once the emits outnumber its references the
interpreter aborts ("Fatal Python error: bool_dealloc"): a few thousand emits, i.e. minutes of
sorting and editing in a table. Until a fixed PySide6 ships, the app gives ``True`` back the
references the binding takes: a timer raises its reference count whenever it runs low. (A list
of spare references would not do: freeing it at exit would itself drop ``True`` to zero.) The
leak is detected by trying it, not by version number, so the guard switches itself off on a
fixed binding.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, QTimer, Signal

CHUNK = 1_000_000  # references given back at a time
LOW_WATER = 250_000  # top up when True has fewer references than this


class _Probe(QObject):
    ping = Signal()


def emit_leaks_true() -> bool:
    """True if emitting a Python signal loses a reference to ``True`` (PySide6 6.12.0)."""
    probe = _Probe()
    _give_back(64)  # what the probe may take
    before = sys.getrefcount(True)
    for _ in range(32):
        probe.ping.emit()
    after = sys.getrefcount(True)
    probe.deleteLater()
    return after < before - 16


def _give_back(count: int) -> None:
    # CPython 3.11: ob_refcnt is the first field of every object, at id(obj)
    ctypes.c_ssize_t.from_address(id(True)).value += count


def top_up() -> None:
    if sys.getrefcount(True) < LOW_WATER:
        _give_back(CHUNK)


def guard_true_refcount(parent: QObject) -> QTimer | None:
    """Keep ``True`` alive under the 6.12.0 leak; None when the binding does not leak."""
    if sys.version_info >= (3, 12) or not emit_leaks_true():
        return None
    top_up()
    timer = QTimer(parent)
    timer.setObjectName("true_refcount_guard")
    timer.setInterval(500)  # far fewer than LOW_WATER emits can happen in half a second
    timer.timeout.connect(top_up)
    timer.start()
    return timer
