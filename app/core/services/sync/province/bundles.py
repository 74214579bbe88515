"""What the province's import works with: a verified bundle, the report of one file, and the
file read whole from the stick (``sync_province``, ``province_forks``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.domain.sync_types import Change
from app.db.sync_models import SyncStation
from app.i18n import _
from app.sync import bundle as fmt

Progress = Callable[[int, int, str], None]


def no_progress(_done: int, _total: int, _label: str) -> None:
    return None


@dataclass
class BundleReport:
    """What importing one file did or would do."""

    path: Path
    outcome: str  # a BundleOutcome (app.core.domain.outcomes): new | duplicate | fork | rejected
    reason: str = ""
    station_id: str = ""
    station_name: str = ""
    seq: int = 0
    bundle_id: str = ""
    records: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    receipt_path: Path | None = None
    # the import was committed but the receipt file could not be written: why, and how to
    # write it again
    receipt_problem: str = ""


@dataclass
class Verified:
    """A bundle checked completely (nothing of it applied yet); ``data``: the file as
    received, which the province archives."""

    path: Path
    outer: fmt.Outer
    inner: fmt.Inner
    changes: list[Change]
    station: SyncStation
    report: BundleReport | None = None
    audit: list[fmt.AuditLine] = field(default_factory=list)
    data: bytes = b""


def read_file(path: Path) -> bytes:
    if path.name.endswith(".part") or path.name.startswith("."):
        raise fmt.BundleError(_("The file is an unfinished copy; it was skipped."))
    try:
        size = path.stat().st_size
        if size > fmt.MAX_BUNDLE:
            raise fmt.BundleError(_("The file is too large to be a bundle."))
        return path.read_bytes()
    except OSError as error:
        raise fmt.BundleError(
            _("The file {name} cannot be read: {reason}.").format(
                name=path.name, reason=error.strerror or error
            ),
            hint=_("Check that the USB stick is still plugged in, then try again."),
        ) from error
