"""Make a message shown in an open window take its room instead of being drawn over a field.

A word-wrapped label shown after the window was laid out needs more height than the window
has; Qt then squeezes the rows and the label overlaps its neighbours. ``grow_to_fit`` asks the
window's layout for the height its contents need at the current width and grows the window
(never shrinks it, so the officer's own resizing is kept).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def grow_to_fit(window: QWidget) -> None:
    """Grow ``window`` so that every visible widget of its layout gets the height it needs."""
    layout = window.layout()
    if layout is None:
        return
    layout.invalidate()
    layout.activate()
    width = max(window.width(), layout.totalMinimumSize().width())
    needed = layout.totalMinimumSize().height()
    if layout.hasHeightForWidth():
        needed = max(needed, layout.totalHeightForWidth(width))
    needed = max(needed, layout.totalSizeHint().height())
    if needed > window.height() or width > window.width():
        window.resize(width, max(needed, window.height()))
    layout.activate()
