"""The guard against PySide6 6.12.0's lost reference to True on every Signal.emit(), run in
child processes: without the guard the interpreter aborts, with it thousands of emits pass."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
from app.ui.qt_fixes import emit_leaks_true, guard_true_refcount, top_up
app = QCoreApplication([])
class Sender(QObject):
    changed = Signal()
sender = Sender()
leaks = emit_leaks_true()
if sys.argv[1] == "guarded":
    guard_true_refcount(app)
for n in range(60_000):
    sender.changed.emit()
    if sys.argv[1] == "guarded" and n % 10_000 == 0:
        app.processEvents()  # the guard's timer runs in the event loop, as in the app
        top_up()
print("leaks" if leaks else "fixed", "survived")
"""


def _run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120
    )


def test_many_emits_survive_with_the_guard() -> None:
    guarded = _run("guarded")
    assert guarded.returncode == 0, guarded.stderr[-500:]
    assert guarded.stdout.strip().endswith("survived")
    if guarded.stdout.startswith("leaks"):
        # the binding has the defect: without the guard the same emits kill the process
        bare = _run("bare")
        assert bare.returncode != 0
        assert "bool_dealloc" in bare.stderr
