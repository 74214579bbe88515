"""Create, edit, delete, restore and list ward records: the only API screens and CLI use."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.core.domain.access import Permission
from app.core.domain.errors import NotFound
from app.core.domain.progress import CancelToken, ProgressCallback, no_progress
from app.core.domain.record_values import parse_value, validate
from app.core.domain.records import Change, ListQuery, RecordKind, RecordRow, kind_by_code
from app.core.services import locked_months, packs
from app.core.services.spreadsheet import ImportPreview, RowStatus, preview
from app.core.services.station_service import StationService
from app.db import records_repo as repo
from app.db.models import SyncedRecord
from app.i18n import _


class RecordService(StationService):
    """Record use cases for the station's own unit."""

    # --- reading -------------------------------------------------------------------------

    def list_ids(self, kind_code: str, query: ListQuery | None = None) -> list[int]:
        kind = kind_by_code(kind_code)
        with self.db.read() as session:
            return repo.list_ids(session, kind, self.unit_id, query or ListQuery())

    def fetch(self, kind_code: str, ids: Sequence[int]) -> list[RecordRow]:
        kind = kind_by_code(kind_code)
        with self.db.read() as session:
            return repo.fetch_rows(session, kind, ids)

    def get(self, kind_code: str, record_id: int) -> RecordRow:
        rows = self.fetch(kind_code, [record_id])
        if not rows:
            raise NotFound(_("The record no longer exists."))
        return rows[0]

    def count(self, kind_code: str, query: ListQuery | None = None) -> int:
        kind = kind_by_code(kind_code)
        with self.db.read() as session:
            return repo.count(session, kind, self.unit_id, query or ListQuery())

    # --- writing -------------------------------------------------------------------------

    def create(
        self, kind_code: str, raw: Mapping[str, Any], *, confirm_locked: bool = False
    ) -> Change:
        """Add a record. One dated in a locked month is refused for an officer and needs the
        chief's ``confirm_locked`` (see ``app.core.services.locked_months``)."""
        self.require(Permission.EDIT_RECORDS)
        kind = kind_by_code(kind_code)
        values = validate(kind, raw, self.today())
        dated = self._dated_by(kind)
        with self.db.write() as session:
            record = self._new_record(kind, values)
            self._guard(session, kind, "create", confirm_locked, dated, [values], [record.uuid])
            session.add(record)
            session.flush()
            return Change(kind.code, record.change_seq, created=(record.id,))

    def create_many(
        self,
        kind_code: str,
        rows: Sequence[Mapping[str, Any]],
        progress: ProgressCallback = no_progress,
        cancel: CancelToken | None = None,
        *,
        confirm_locked: bool = False,
    ) -> Change:
        """Create all ``rows`` in one transaction: all are saved or none is (rows dated in a
        locked month: as :meth:`create`).

        A cancel before the commit raises ``Cancelled`` and the transaction rolls back.
        """
        self.require(Permission.EDIT_RECORDS)
        kind = kind_by_code(kind_code)
        today = self.today()
        cleaned = []
        for number, raw in enumerate(rows):
            if cancel is not None and number % 200 == 0:
                cancel.check()
                progress(number, len(rows), "")
            cleaned.append(validate(kind, raw, today))
        dated = self._dated_by(kind)
        with self.db.write() as session:
            records = [self._new_record(kind, values) for values in cleaned]
            uuids = [r.uuid for r in records]
            self._guard(session, kind, "import", confirm_locked, dated, cleaned, uuids)
            session.add_all(records)
            session.flush()
            if cancel is not None:
                cancel.check()
            last = max((r.change_seq for r in records), default=0)
            return Change(kind.code, last, created=tuple(r.id for r in records))

    def import_rows(
        self, kind_code: str, rows: Sequence[Mapping[str, Any]], *, confirm_locked: bool = False
    ) -> Change:
        """An import from a spreadsheet: a verified backup first, then all rows or none."""
        from app.core.services.backup_steps import automatic_backup

        self.require(Permission.EDIT_RECORDS)  # before the backup it would take
        kind = kind_by_code(kind_code)
        if not confirm_locked:  # refused before the backup, not after it
            self._check_import(kind, rows)
        automatic_backup(self.db.path, "before-import")
        return self.create_many(kind_code, rows, confirm_locked=confirm_locked)

    def preview_import(self, kind_code: str, path: Path) -> ImportPreview:
        """Classify every row of a spreadsheet as new, duplicate or invalid. Writes nothing.
        Rows dated in a locked month are invalid for an officer and say so for the chief."""
        found = preview(self.db, kind_code, path, self.unit_id, self.today())
        return mark_locked_rows(found, self._dated_by(kind_by_code(kind_code)), self)

    def update(
        self,
        kind_code: str,
        record_id: int,
        raw: Mapping[str, Any],
        *,
        confirm_locked: bool = False,
    ) -> Change:
        self.require(Permission.EDIT_RECORDS)
        kind = kind_by_code(kind_code)
        values = validate(kind, raw, self.today())
        dated = self._dated_by(kind)
        with self.db.write() as session:
            record = self._live(session, kind, record_id)
            changed = {k: v for k, v in values.items() if getattr(record, k) != v}
            if not changed:
                return Change(kind.code, record.change_seq)
            versions = [_dates(record, dated), values]
            self._guard(session, kind, "update", confirm_locked, dated, versions, [record.uuid])
            for name, value in changed.items():
                setattr(record, name, value)
            self._stamp(record)
            session.flush()
            return Change(kind.code, record.change_seq, updated=(record.id,))

    def delete(self, kind_code: str, record_id: int, *, confirm_locked: bool = False) -> Change:
        """Soft-delete: the tombstone stays so sync can carry the deletion."""
        self.require(Permission.EDIT_RECORDS)
        kind = kind_by_code(kind_code)
        dated = self._dated_by(kind)
        with self.db.write() as session:
            record = self._live(session, kind, record_id)
            versions = [_dates(record, dated)]
            self._guard(session, kind, "delete", confirm_locked, dated, versions, [record.uuid])
            record.deleted_at = self.clock()
            self._stamp(record)
            session.flush()
            return Change(kind.code, record.change_seq, deleted=(record.id,))

    def restore(self, kind_code: str, record_id: int, *, confirm_locked: bool = False) -> Change:
        """Undo a deletion."""
        self.require(Permission.EDIT_RECORDS)
        kind = kind_by_code(kind_code)
        dated = self._dated_by(kind)
        with self.db.write() as session:
            record = session.get(repo.model_of(kind), record_id)
            if record is None or record.owner_unit_id != self.unit_id:
                raise NotFound(_("The record no longer exists."))
            if record.deleted_at is None:
                return Change(kind.code, record.change_seq)
            versions = [_dates(record, dated)]
            self._guard(session, kind, "restore", confirm_locked, dated, versions, [record.uuid])
            record.deleted_at = None
            self._stamp(record)
            session.flush()
            return Change(kind.code, record.change_seq, created=(record.id,))

    # --- helpers -------------------------------------------------------------------------

    def _dated_by(self, kind: RecordKind) -> locked_months.DatedBy:
        return locked_months.dated_by(packs.active_packs(self.db), kind.code)

    def _guard(
        self,
        session: Any,
        kind: RecordKind,
        verb: str,
        confirmed: bool,
        dated: locked_months.DatedBy,
        versions: Sequence[Mapping[str, Any]],
        records: Sequence[str],
    ) -> None:
        change = locked_months.Change(
            self.actor, self.author, self.unit_id, kind.code, verb, confirmed
        )
        locked_months.guard(session, change, dated, versions, records)

    def _check_import(self, kind: RecordKind, rows: Sequence[Mapping[str, Any]]) -> None:
        """Refuse an import touching a locked month before anything (a backup) is done. Only
        the date fields are read here: the rows are validated once, by ``create_many``."""
        dated = self._dated_by(kind)
        if not dated.fields:
            return
        with self.db.read() as session:
            if not locked_months.locked(session, self.unit_id):
                return
            versions = [_dates_of(kind, raw, dated) for raw in rows]
            self._guard(session, kind, "import", False, dated, versions, [])

    def _new_record(self, kind: RecordKind, values: Mapping[str, Any]) -> SyncedRecord:
        now = self.clock()
        return repo.model_of(kind)(
            uuid=str(uuid.uuid4()),
            owner_unit_id=self.unit_id,
            created_at=now,
            updated_at=now,
            created_by=self.author,
            updated_by=self.author,
            **values,
        )

    def _stamp(self, record: SyncedRecord) -> None:
        record.updated_at = self.clock()
        record.updated_by = self.author

    def _live(self, session: Any, kind: RecordKind, record_id: int) -> SyncedRecord:
        record = session.get(repo.model_of(kind), record_id)
        if record is None or record.deleted_at is not None or record.owner_unit_id != self.unit_id:
            raise NotFound(_("The record no longer exists; it may have been deleted."))
        assert isinstance(record, SyncedRecord)
        return record


def _dates_of(
    kind: RecordKind, raw: Mapping[str, Any], dated: locked_months.DatedBy
) -> dict[str, Any]:
    """The date fields of a row as typed (a date that does not parse is left to validation)."""
    found = {}
    for name in dated.fields:
        try:
            found[name] = parse_value(kind.field(name), raw.get(name))
        except ValueError:
            continue
    return found


def _dates(record: SyncedRecord, dated: locked_months.DatedBy) -> dict[str, Any]:
    return {name: getattr(record, name) for name in dated.fields}


def mark_locked_rows(
    found: ImportPreview, dated: locked_months.DatedBy, service: StationService
) -> ImportPreview:
    """New rows of a preview dated in a locked month: invalid for an officer (they would be
    refused), flagged for the chief (importing them needs a confirmation)."""
    if not dated.fields:
        return found
    with service.db.read() as session:
        locked = set(locked_months.locked(session, service.unit_id))
    if not locked:
        return found
    may = service.actor.can(Permission.LOCK_PERIOD)
    rows = []
    for row in found.rows:
        months = sorted(locked_months.touched(dated, [row.values]) & locked)
        if row.status is not RowStatus.NEW or not months:
            rows.append(row)
            continue
        text = locked_months.month_text(months)
        if may:
            reason = _("Dated in the locked month {months}: importing needs confirmation.")
            rows.append(replace(row, reason=reason.format(months=text)))
        else:
            reason = _("Dated in the locked month {months}: ask the chief.")
            rows.append(replace(row, status=RowStatus.INVALID, reason=reason.format(months=text)))
    return replace(found, rows=tuple(rows))
