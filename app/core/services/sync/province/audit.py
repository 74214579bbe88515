"""The province's own decisions in its hash-chained audit trail: enrollments, key
replacements, revocations, trust-list publications, quarantines, fork resolutions and refused
bundles, beside the imports (``app.db.audit`` appends them to the same chain)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import audit

ENROLL = "enroll"
REPLACE_KEY = "replace_key"
REVOKE = "revoke"
PUBLISH = "publish"
QUARANTINE = "quarantine"
RESOLVE_FORK = "resolve_fork"
REFUSE = "refuse"

# which table each action is about (the entry's record id is that row's natural key)
TABLES = {
    ENROLL: "sync_stations",
    REPLACE_KEY: "sync_stations",
    REVOKE: "sync_stations",
    RESOLVE_FORK: "sync_stations",
    PUBLISH: "sync_trust_lists",
    QUARANTINE: "sync_inbox",
    REFUSE: "sync_inbox",
}


def record(
    session: Session,
    author: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    at: datetime,
) -> None:
    """Append one province action; ``details`` are stored as ``{name: [None, value]}`` like
    the changes of a created row, or ``{name: [old, new]}`` when a value is a 2-tuple."""
    changes = {
        name: list(value) if isinstance(value, tuple) and len(value) == 2 else [None, value]
        for name, value in details.items()
    }
    audit.append(session, [(author, action, TABLES[action], subject[:36], changes)], at)
