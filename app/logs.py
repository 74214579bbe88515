"""Logging to a rotating file from the first line: a windowed Windows executable has no stdout."""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import IO

from app.paths import log_dir

_crash_stream: IO[str] | None = None


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to ``<log dir>/modelward.log`` (5 × 2 MB) and native crashes to ``crash.log``."""
    global _crash_stream
    root = logging.getLogger()
    if any(getattr(h, "_modelward", False) for h in root.handlers):
        return None
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "modelward.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
        folder = None  # type: ignore[assignment]
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    handler._modelward = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    if folder is not None and _crash_stream is None:
        _crash_stream = (folder / "crash.log").open("a", encoding="utf-8")
        faulthandler.enable(file=_crash_stream)
    return folder
