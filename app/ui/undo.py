"""Undoable record edits: each command calls the service and hands the change to a refresher.

The first ``redo()`` Qt runs when a command is pushed is skipped, because the dialog has
already saved through the service by then; later redos and undos go through the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand

from app.core.domain.records import Change, RecordKind
from app.core.services.records import RecordService
from app.i18n import _
from app.ui.dialogs.record_dialog import with_lock_override
from app.ui.widgets.common import errors_shown

Refresh = Callable[[Change], None]


class _RecordCommand(QUndoCommand):
    def __init__(
        self, service: RecordService, kind: RecordKind, record_id: int, refresh: Refresh, text: str
    ) -> None:
        super().__init__(text)
        self.service = service
        self.kind = kind
        self.record_id = record_id
        self.refresh = refresh
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._apply(self.do)

    def undo(self) -> None:
        self._apply(self.revert)

    def _apply(self, step: Callable[..., Change]) -> None:
        # QUndoStack has already moved its index when undo()/redo() runs. If the service call
        # fails (database locked, record gone, a locked month), the command is dropped from the
        # stack, so the stack never claims a state the database does not have. A record of a
        # locked month is changed only after the chief confirms (app.core.services.locked_months).
        change = None
        with errors_shown(None) as attempt:
            change = with_lock_override(None, step)
        if attempt.failed:
            self.setObsolete(True)
            return
        if change is None:  # the chief chose not to change the locked month
            self.setObsolete(True)
            return
        self.refresh(change)

    def do(self, confirm_locked: bool = False) -> Change:
        raise NotImplementedError

    def revert(self, confirm_locked: bool = False) -> Change:
        raise NotImplementedError


class CreateCommand(_RecordCommand):
    def __init__(
        self, service: RecordService, kind: RecordKind, record_id: int, refresh: Refresh
    ) -> None:
        super().__init__(
            service, kind, record_id, refresh, _("add {kind}").format(kind=_(kind.singular))
        )

    def do(self, confirm_locked: bool = False) -> Change:
        return self.service.restore(self.kind.code, self.record_id, confirm_locked=confirm_locked)

    def revert(self, confirm_locked: bool = False) -> Change:
        return self.service.delete(self.kind.code, self.record_id, confirm_locked=confirm_locked)


class DeleteCommand(_RecordCommand):
    def __init__(
        self, service: RecordService, kind: RecordKind, record_id: int, refresh: Refresh
    ) -> None:
        super().__init__(
            service, kind, record_id, refresh, _("delete {kind}").format(kind=_(kind.singular))
        )

    def do(self, confirm_locked: bool = False) -> Change:
        return self.service.delete(self.kind.code, self.record_id, confirm_locked=confirm_locked)

    def revert(self, confirm_locked: bool = False) -> Change:
        return self.service.restore(self.kind.code, self.record_id, confirm_locked=confirm_locked)


class UpdateCommand(_RecordCommand):
    def __init__(
        self,
        service: RecordService,
        kind: RecordKind,
        record_id: int,
        refresh: Refresh,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
    ) -> None:
        super().__init__(
            service, kind, record_id, refresh, _("edit {kind}").format(kind=_(kind.singular))
        )
        self.before = dict(before)
        self.after = dict(after)

    def do(self, confirm_locked: bool = False) -> Change:
        return self.service.update(
            self.kind.code, self.record_id, self.after, confirm_locked=confirm_locked
        )

    def revert(self, confirm_locked: bool = False) -> Change:
        return self.service.update(
            self.kind.code, self.record_id, self.before, confirm_locked=confirm_locked
        )
