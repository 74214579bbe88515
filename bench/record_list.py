"""The record-list workload of the 100,000-row table: open it, sort by a text, a number and a
catalogue column, filter it; the first screen (30 rows) is read after each. Shared by
``bench.__main__.big_table`` and the SQLCipher overhead bench."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from app.core.services.records import RecordService

Best = Callable[[Callable[[], object], Callable[[], object] | None], float]


def timings(service: RecordService, best: Best) -> dict[str, float]:
    """``best(action, reset)``: the fastest time of ``action`` in ms, ``reset`` untimed."""
    from app.core.domain.records import SESSIONS
    from app.ui.models.record_table_model import RecordTableModel

    def first_screen(model: RecordTableModel) -> None:
        for row in range(30):
            for column in range(model.columnCount()):
                model.data(model.index(row, column))

    model = RecordTableModel(service, SESSIONS)
    columns = [s.name for s in model.fields]

    def sort_by(name: str) -> Callable[[], None]:
        def action() -> None:
            model.sort(columns.index(name))
            first_screen(model)

        return action

    def back_to_default() -> None:
        model.sort(columns.index("held_on"), Qt.SortOrder.DescendingOrder)

    def search() -> None:
        model.set_search("khoi 42")
        first_screen(model)

    return {
        "open_ms": best(lambda: first_screen(RecordTableModel(service, SESSIONS)), None),
        "sort_text_ms": best(sort_by("place"), back_to_default),
        "sort_number_ms": best(sort_by("attendance"), back_to_default),
        "sort_catalogue_ms": best(sort_by("topic"), back_to_default),
        "filter_ms": best(search, lambda: model.set_search("")),
    }
