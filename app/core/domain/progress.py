"""Progress reporting and cancellation for long services, without Qt."""

from __future__ import annotations

import threading
from collections.abc import Callable

from app.core.domain.errors import Cancelled

ProgressCallback = Callable[[int, int, str], None]
"""Called as ``progress(done, total, message)``; ``total`` is 0 when unknown."""


def no_progress(done: int, total: int, message: str) -> None:
    """A progress callback that ignores every report."""


class CancelToken:
    """A thread-safe flag a long service polls; ``check()`` raises ``Cancelled`` once set."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()
