"""The ward's outbox as a table: every bundle sent, newest first, and what the province said."""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.core.services.sync.ward import OUTBOX_STATES, OutboxRow
from app.i18n import _
from app.ui.models.row_model import Column, RowTableModel


def exported_text(row: OutboxRow) -> str:
    return row.exported_at.astimezone().strftime("%d/%m/%Y %H:%M")


class OutboxModel(RowTableModel[OutboxRow]):
    """The bundles this ward exported, in the order the service lists them (newest first);
    numbers and moments sort as such."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(_("No."), lambda r: str(r.seq), sort=lambda r: r.seq),
                Column(_("Exported"), exported_text, sort=lambda r: r.exported_at),
                Column(_("Changes"), lambda r: str(r.records), sort=lambda r: r.records),
                Column(_("State"), lambda r: _(OUTBOX_STATES[r.state])),
                Column(_("Province comments"), lambda r: r.comments),
                Column(_("File"), lambda r: r.file_name),
            ],
            parent,
        )
