"""The Vietnamese names of the synced tables, for messages that name a row (never a table name)."""

from __future__ import annotations

from app.core.domain.kind_titles import KIND_TITLES
from app.i18n import N_, _

# the same msgids the audit screen shows
OTHER_TABLES = {
    "indicator_values": N_("Monthly indicators"),
    "period_locks": N_("Monthly indicators"),
    "assessments": N_("Self-assessment"),
    "assessment_items": N_("Self-assessment"),
    "approvals": N_("Approvals"),
}


def table_title(name: str, kind_of_table: dict[str, str]) -> str:
    """What the officer calls the rows of table ``name`` (``kind_of_table``: table -> kind code)."""
    code = kind_of_table.get(name)
    if code is not None:
        return _(KIND_TITLES[code][0])
    return _(OTHER_TABLES[name]) if name in OTHER_TABLES else name
