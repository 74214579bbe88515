"""Helpers the pages share: read-only tables, file pickers and the one way an action's error
reaches the officer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QTableView,
    QWidget,
)

from app.ui.errors import present_error

# --- errors ---------------------------------------------------------------------------------


@dataclass
class Attempt:
    """Whether the guarded block failed (its error has then been shown)."""

    failed: bool = False


@contextmanager
def errors_shown(parent: QWidget | None) -> Iterator[Attempt]:
    """Run the block; an error in it is shown by ``present_error`` (the officer reads the
    Vietnamese message, a bug's traceback goes to the log) and not raised further.

        with errors_shown(self) as attempt:
            self.sync.revoke(...)
        if attempt.failed:
            return
    """
    attempt = Attempt()
    try:
        yield attempt
    except Exception as error:  # every kind is presented; a bug is logged with its traceback
        attempt.failed = True
        present_error(parent, error)


def error_presenter(parent: QWidget | None) -> Callable[[BaseException], None]:
    """An ``on_error`` for ``run_in_background`` that shows the error over ``parent``."""
    return lambda error: present_error(parent, error)


# --- file pickers -----------------------------------------------------------------------------


def open_file(parent: QWidget, title: str, file_filter: str) -> Path | None:
    name, _filter = QFileDialog.getOpenFileName(parent, title, "", file_filter)
    return Path(name) if name else None


def open_files(parent: QWidget, title: str, file_filter: str) -> list[Path]:
    names, _filter = QFileDialog.getOpenFileNames(parent, title, "", file_filter)
    return [Path(name) for name in names]


def save_file(parent: QWidget, title: str, suggested: str, file_filter: str) -> Path | None:
    name, _filter = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return Path(name) if name else None


def choose_folder(parent: QWidget, title: str) -> Path | None:
    name = QFileDialog.getExistingDirectory(parent, title)
    return Path(name) if name else None


# --- tables -----------------------------------------------------------------------------------


def _read_only_rows(table: QAbstractItemView) -> None:
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)


def table_view(
    parent: QWidget, model: QAbstractItemModel, name: str, *, sortable: bool = False
) -> QTableView:
    """A read-only table of rows, columns sized to their contents, the last one stretched.

    A sortable table starts in the model's own order (no column chosen) until the officer
    clicks a column title."""
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.verticalHeader().hide()
    _read_only_rows(view)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    if sortable:
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        view.setSortingEnabled(True)
    return view


def narrow_first_column(view: QTableView, width: int = 230) -> None:
    """Bundle file names are long: keep their column narrow (elided in the middle) so the
    reason, the column that matters, stays in view."""
    view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    view.setColumnWidth(0, width)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
