"""The audit trail as a table: one row per entry (this station's own log or a ward's copy),
with the change described in the officer's words."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject

from app.i18n import N_, _
from app.ui.models.row_model import Column, RowTableModel

ACTIONS = {
    "create": N_("added"),
    "update": N_("edited"),
    "delete": N_("deleted"),
    "restore": N_("restored"),
    "import": N_("bundle imported"),
    "restore-db": N_("database restored from a backup"),
    "lock-override": N_("changed records of a locked month (chief confirmed)"),
    "recover-password": N_("administrator's password recovered with the recovery code"),
    # the province's own decisions (app.core.services.sync.province.audit)
    "enroll": N_("station enrolled"),
    "replace_key": N_("station key replaced"),
    "revoke": N_("station key revoked"),
    "publish": N_("trust list published"),
    "quarantine": N_("bundle quarantined (fork)"),
    "resolve_fork": N_("fork resolved"),
    "refuse": N_("bundle refused"),
}
# the fields of the province's decisions
PROVINCE_FIELDS = {
    "station": N_("Station"),
    "seq": N_("Bundle number"),
    "reason": N_("Reason"),
    "key": N_("Key"),
    "status": N_("Status"),
    "cutoff": N_("Last trusted bundle"),
    "reopened": N_("Bundles accepted again"),
    "name": N_("Name"),
    "stations": N_("Stations"),
    "revoked": N_("Revoked stations"),
    "file": N_("File"),
    "kept_seqs": N_("Bundles kept"),
    "rejected": N_("Bundles refused"),
    "rejected_seqs": N_("Numbers refused"),
    "rows": N_("Records"),
}
PROVINCE_VALUES = {"active": N_("active"), "revoked": N_("revoked")}
# the fields of a month's lock and of a chief's override of it (app.core.services.locked_months)
LOCK_FIELDS = {
    "year": N_("Year"),
    "month": N_("Month"),
    "locked": N_("Locked"),
    "reason": N_("Reason"),
    "kind": N_("Kind of record"),
    "action": N_("Action"),
    "count": N_("Records"),
    "records": N_("Record ids"),
}


TABLES = {
    "indicator_values": N_("Monthly indicators"),
    "period_locks": N_("Monthly indicators"),
    "assessments": N_("Self-assessment"),
    "assessment_items": N_("Self-assessment"),
    "sync_inbox": N_("Sync bundles"),
    "sync_stations": N_("Enrolled stations"),
    "sync_trust_lists": N_("Trust list"),
    "approvals": N_("Approvals"),
    "user_accounts": N_("User accounts"),
}


def _table_title(name: str) -> str:
    from app.core.domain.kind_titles import KIND_TITLES
    from app.core.services.sync.rows import KIND_OF_TABLE

    code = KIND_OF_TABLE.get(name)
    if code is not None:
        return _(KIND_TITLES[code][0])
    return _(TABLES[name]) if name in TABLES else name


def _labels(table: str) -> dict[str, str]:
    from app.core.domain.records import kind_by_code
    from app.core.services.sync.rows import KIND_OF_TABLE

    code = KIND_OF_TABLE.get(table)
    labels = {"deleted_at": _("deleted at"), "notes": _("Notes")}
    if table == "period_locks":
        labels.update({name: _(label) for name, label in LOCK_FIELDS.items()})
    if table in ("sync_inbox", "sync_stations", "sync_trust_lists"):
        labels.update({name: _(label) for name, label in PROVINCE_FIELDS.items()})
    if code is not None:
        labels.update({spec.name: _(spec.label) for spec in kind_by_code(code).fields})
    return labels


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:299] + "…"


def _describe(table: str, changes: str) -> str:
    """ "field: old → new; …". A ward's entry received by the province may have been tampered
    with, so text that is not the usual JSON is shown as it is rather than failing."""
    try:
        parsed: Any = json.loads(changes)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return _short(changes)
    labels = _labels(table)
    parts = []
    for name, value in parsed.items():
        old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
        field = labels.get(name, name)
        if table in ("sync_stations",) and name == "status":
            old, new = (_(PROVINCE_VALUES.get(v, str(v))) if v else v for v in (old, new))
        if old is None:
            parts.append(f"{field}: {new}")
        else:
            parts.append(f"{field}: {old} → {new}")
    return _short("; ".join(parts))


def entry_cells(
    number: int, at: datetime, actor: str, action: str, table: str, changes: str
) -> list[str]:
    """One audit entry as the table shows it (this station's own log, or a ward's copy)."""
    return [
        str(number),
        at.astimezone().strftime("%d/%m/%Y %H:%M:%S"),
        actor,
        _(ACTIONS[action]) if action in ACTIONS else action,
        _table_title(table),
        _describe(table, changes),
    ]


def entry_headers() -> list[str]:
    return [_("No."), _("Time"), _("By"), _("Action"), _("Record"), _("What changed")]


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as stored: its number, time, who, action, table and JSON changes."""

    number: int
    at: datetime
    actor: str
    action: str
    table: str
    changes: str


def _audit_columns() -> list[Column[AuditLine]]:
    titles = entry_headers()
    return [
        Column(titles[0], lambda r: str(r.number), sort=lambda r: r.number),
        Column(
            titles[1],
            lambda r: r.at.astimezone().strftime("%d/%m/%Y %H:%M:%S"),
            sort=lambda r: r.at,
        ),
        Column(titles[2], lambda r: r.actor),
        Column(titles[3], lambda r: _(ACTIONS[r.action]) if r.action in ACTIONS else r.action),
        Column(titles[4], lambda r: _table_title(r.table)),
        Column(titles[5], lambda r: _describe(r.table, r.changes)),
    ]


class AuditEntryModel(RowTableModel[AuditLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(_audit_columns(), parent)
