"""What became of one bundle file at the province, and how the screens and the command line
name it: before an import (a preview says what *will* happen) and after it."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_, _


class BundleOutcome(StrEnum):
    NEW = "new"  # verified and applied (or, in a preview, would be)
    DUPLICATE = "duplicate"  # the same bundle was applied before: nothing changes
    FORK = "fork"  # does not extend the station's applied history: quarantined
    REJECTED = "rejected"  # refused (signature, key, manifest, demo …): nothing changes


PREVIEW_LABELS: dict[str, str] = {
    BundleOutcome.NEW: N_("will be imported"),
    BundleOutcome.DUPLICATE: N_("already imported"),
    BundleOutcome.FORK: N_("quarantined (fork)"),
    BundleOutcome.REJECTED: N_("rejected"),
}
DONE_LABELS: dict[str, str] = {**PREVIEW_LABELS, BundleOutcome.NEW: N_("imported")}


def outcome_label(outcome: str, *, done: bool) -> str:
    """The translated name of ``outcome``, as a preview or after the import."""
    return _((DONE_LABELS if done else PREVIEW_LABELS)[BundleOutcome(outcome)])
