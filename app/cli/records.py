"""Record verbs of the command line: list, import and export (no Qt)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.domain.records import RecordKind
    from app.core.services.records import RecordService
    from app.core.services.storage import Database


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    listing = verbs.add_parser("list", help=_("print the records of one kind"))
    listing.add_argument("kind")
    listing.add_argument("--search", default="")

    importing = verbs.add_parser("import", help=_("import records from an Excel or CSV file"))
    importing.add_argument("kind")
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--yes", action="store_true", help=_("import every new row without asking")
    )
    importing.add_argument(
        "--confirm-locked",
        action="store_true",
        help=_("chief: import rows dated in a locked month too (recorded in the audit trail)"),
    )

    exporting = verbs.add_parser("export", help=_("export records of one kind to Excel"))
    exporting.add_argument("kind")
    exporting.add_argument("file", type=Path)


def _kind(code: str) -> RecordKind:
    from app.core.domain.records import KINDS_BY_CODE, kind_by_code

    if code not in KINDS_BY_CODE:
        raise UserFacingError(
            _("Unknown record kind {kind}; choose one of: {kinds}.").format(
                kind=code, kinds=", ".join(KINDS_BY_CODE)
            )
        )
    return kind_by_code(code)


def run_record_verb(path: Path, args: argparse.Namespace) -> int:
    from app.cli.common import actor_of
    from app.core.domain.formatting import format_value
    from app.core.domain.records import ListQuery
    from app.core.services.records import RecordService
    from app.core.services.spreadsheet import export_xlsx
    from app.core.services.storage import open_database

    kind = _kind(args.kind)
    if not path.exists():
        raise UserFacingError(
            _("There is no database at {path}.").format(path=path),
            hint=_("Open the app once to set up the ward, or pass --db."),
        )
    db = open_database(path)
    try:
        service = RecordService(db, actor=actor_of(args))
        if args.verb == "list":
            ids = service.list_ids(kind.code, ListQuery(search=args.search))
            for row in service.fetch(kind.code, ids):
                print(" | ".join(format_value(spec, row.values[spec.name]) for spec in kind.fields))
            return 0
        if args.verb == "export":
            rows = service.fetch(kind.code, service.list_ids(kind.code))
            export_xlsx(kind.code, rows, args.file, _(kind.title))
            print(_("Exported {count} rows to {path}").format(count=len(rows), path=args.file))
            return 0
        return _import(service, db, kind, args)
    finally:
        db.close()


def _import(
    service: RecordService, db: Database, kind: RecordKind, args: argparse.Namespace
) -> int:
    from app.core.services.locked_months import LockedMonthError
    from app.core.services.spreadsheet import STATUS_LABELS, RowStatus, rows_to_import

    result = service.preview_import(kind.code, args.file)
    labels = {status: _(label) for status, label in STATUS_LABELS.items()}
    for row in result.rows:
        print(f"{row.line:>5}  {labels[row.status]:<14}  {row.reason}")
    new_lines = {row.line for row in result.rows if row.status is RowStatus.NEW}
    print(
        _("{new} new, {dup} duplicate, {bad} invalid").format(
            new=len(new_lines),
            dup=result.count(RowStatus.DUPLICATE),
            bad=result.count(RowStatus.INVALID),
        )
    )
    if not args.yes:
        print(_("Nothing imported; run again with --yes to import the new rows."))
        return 0
    confirm = bool(getattr(args, "confirm_locked", False))
    try:
        change = service.import_rows(
            kind.code, rows_to_import(result.rows, new_lines), confirm_locked=confirm
        )
    except LockedMonthError as error:
        if not error.needs_confirmation:
            raise
        raise UserFacingError(
            error.message,
            hint=_(
                "Nothing imported. To import these rows anyway, run again with "
                "--confirm-locked; it is recorded in the audit trail."
            ),
        ) from None
    print(
        _("Imported {count} rows at {time}.").format(
            count=len(change.created), time=datetime.now(UTC).astimezone().strftime("%H:%M")
        )
    )
    return 0
