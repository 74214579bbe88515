"""Logging to a rotating file from the first line: a windowed Windows executable has no stdout.

The first lines go through a plain ``FileHandler`` on the log file; ``enable_log_rotation``
then swaps in a ``RotatingFileHandler`` on the same file (5 × 2 MB). The GUI does that once its
window is shown, because ``logging.handlers`` pulls in socket, pickle and queue (~20 ms of a
~250 ms start).
"""

from __future__ import annotations

import faulthandler
import logging
import sys
from pathlib import Path
from typing import IO

from app.paths import log_dir

LOG_NAME = "modelward.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_crash_stream: IO[str] | None = None
_handler: logging.Handler | None = None


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to ``<log dir>/modelward.log`` and native crashes to ``crash.log``."""
    global _crash_stream, _handler
    if _handler is not None:
        return None
    root = logging.getLogger()
    folder: Path | None = log_dir()
    assert folder is not None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / LOG_NAME, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
        folder = None
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    _handler = handler
    if folder is not None and _crash_stream is None:
        _crash_stream = (folder / "crash.log").open("a", encoding="utf-8")
        faulthandler.enable(file=_crash_stream)
    return folder


def enable_log_rotation() -> None:
    """Replace the plain file handler with a rotating one on the same file (once)."""
    global _handler
    if not isinstance(_handler, logging.FileHandler) or _handler.name == "rotating":
        return
    from logging.handlers import RotatingFileHandler

    rotating = RotatingFileHandler(
        _handler.baseFilename, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    rotating.set_name("rotating")
    rotating.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    root.addHandler(rotating)
    root.removeHandler(_handler)
    _handler.close()
    _handler = rotating
