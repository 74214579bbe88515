"""Import ward lists from Excel/CSV with a preview, and export any table to Excel.

Officers keep cameras and teams in spreadsheets whose headers vary ("Địa chỉ", "dia chi",
"Vị trí lắp đặt"), so headers are matched tone-insensitively against each field's label and
aliases. Nothing is written until the officer confirms the rows to import, and those rows
are saved in one transaction.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.core.errors import UserFacingError, ValidationError
from app.core.fileio import atomic_write
from app.core.records import FieldType, RecordKind, RecordRow, kind_by_code, validate
from app.core.text import clean, fold
from app.db import records_repo as repo
from app.db.engine import Database
from app.i18n import _

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
CSV_ENCODINGS = ("utf-8-sig", "cp1258", "cp1252")


class RowStatus(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


@dataclass(frozen=True)
class PreviewRow:
    line: int
    status: RowStatus
    reason: str
    values: dict[str, Any]
    raw: dict[str, Any]


@dataclass(frozen=True)
class ImportPreview:
    kind: str
    source: str
    columns: dict[str, str]
    ignored_headers: tuple[str, ...]
    rows: tuple[PreviewRow, ...] = field(default=())

    def count(self, status: RowStatus) -> int:
        return sum(1 for row in self.rows if row.status is status)


# --- reading ---------------------------------------------------------------------------------


def _read_xlsx(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook  # imported on use: it costs ~250 ms at start-up

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise UserFacingError(
            _("The file {name} is not a readable Excel workbook.").format(name=path.name),
            hint=_("Open it in Excel and save it again as .xlsx, or save it as CSV (UTF-8)."),
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _decode(data: bytes, name: str) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserFacingError(
        _("The file {name} is not in a text encoding ModelWard can read.").format(name=name),
        hint=_("In Excel choose Save As → CSV UTF-8, then import again."),
    )


def _read_csv(path: Path) -> list[list[Any]]:
    text = _decode(path.read_bytes(), path.name)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


Row = tuple[int, list[Any]]
"""A spreadsheet row: its 1-based row number in the file (as Excel shows it) and its cells."""


def read_table(path: Path) -> list[Row]:
    """The non-empty rows of the first sheet (or the CSV), each with its row number."""
    if not path.is_file():
        raise UserFacingError(_("The file {name} does not exist.").format(name=path.name))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise UserFacingError(
            _("The file {name} is larger than 20 MB.").format(name=path.name),
            hint=_("Split it into smaller files and import them one by one."),
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path)
    elif suffix in (".csv", ".txt"):
        rows = _read_csv(path)
    else:
        raise UserFacingError(
            _("ModelWard imports .xlsx and .csv files; {name} is neither.").format(name=path.name),
            hint=_("Save the list from Excel as .xlsx or CSV UTF-8."),
        )
    numbered = [
        (number, row)
        for number, row in enumerate(rows, start=1)
        if any(clean(str(c)) for c in row if c is not None)
    ]
    if len(numbered) > MAX_ROWS + 1:
        raise UserFacingError(
            _("The file has more than {limit} rows.").format(limit=MAX_ROWS),
            hint=_("Split it into smaller files and import them one by one."),
        )
    return numbered


# --- header matching -------------------------------------------------------------------------


def _header_names(kind: RecordKind) -> dict[str, str]:
    names: dict[str, str] = {}
    for spec in kind.fields:
        for candidate in (spec.name, spec.label, _(spec.label), *spec.aliases):
            names.setdefault(fold(candidate), spec.name)
    return names


def find_header_row(kind: RecordKind, table: Sequence[Row], scan: int = 10) -> int:
    """The index of the row holding the column headers: lists often start with a title."""
    known = _header_names(kind)

    def hits(row: Sequence[Any]) -> int:
        return sum(
            1 for cell in row if cell is not None and fold(clean(str(cell))).rstrip(" :*") in known
        )

    best = max(range(min(scan, len(table))), key=lambda i: (hits(table[i][1]), -i))
    return best


def match_headers(kind: RecordKind, headers: Sequence[Any]) -> tuple[dict[int, str], list[str]]:
    """Map column index -> field name; also return the headers that matched nothing."""
    known = _header_names(kind)
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        text = clean(str(header)) if header is not None else ""
        name = known.get(fold(text).rstrip(" :*"))
        if name and name not in mapping.values():
            mapping[index] = name
        elif text:
            ignored.append(text)
    missing = [
        _(spec.label) for spec in kind.fields if spec.required and spec.name not in mapping.values()
    ]
    if missing:
        raise UserFacingError(
            _("The first row of the file has no column for: {columns}.").format(
                columns=", ".join(missing)
            ),
            hint=_(
                'Add these column headers to the first row (for example "{example}"), '
                "then import again."
            ).format(example=_(kind.fields[0].label)),
        )
    return mapping, ignored


# --- preview and apply -----------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    return value


def preview(db: Database, kind_code: str, path: Path, unit_id: int, today: date) -> ImportPreview:
    """Classify every data row as new, duplicate or invalid, with the reason. Writes nothing."""
    kind = kind_by_code(kind_code)
    table = read_table(path)
    if not table:
        raise UserFacingError(_("The file {name} is empty.").format(name=path.name))
    header_row = find_header_row(kind, table)
    mapping, ignored = match_headers(kind, table[header_row][1])
    with db.read() as session:
        existing = repo.identities(session, kind, unit_id)
    seen: dict[tuple[str, ...], int] = {}
    rows: list[PreviewRow] = []
    for line, cells in table[header_row + 1 :]:
        raw = {name: _cell(cells[i]) if i < len(cells) else None for i, name in mapping.items()}
        rows.append(_classify(kind, line, raw, today, existing, seen))
    columns = {str(i): name for i, name in mapping.items()}
    return ImportPreview(kind.code, path.name, columns, tuple(ignored), tuple(rows))


def _classify(
    kind: RecordKind,
    line: int,
    raw: dict[str, Any],
    today: date,
    existing: dict[tuple[str, ...], int],
    seen: dict[tuple[str, ...], int],
) -> PreviewRow:
    try:
        values = validate(kind, raw, today)
    except ValidationError as error:
        return PreviewRow(line, RowStatus.INVALID, "; ".join(error.field_errors.values()), {}, raw)
    identity = repo.identity_of(kind, values)
    if identity in existing:
        return PreviewRow(line, RowStatus.DUPLICATE, _("Already in the ward's list."), values, raw)
    if identity in seen:
        return PreviewRow(
            line,
            RowStatus.DUPLICATE,
            _("Same as row {line} of the file.").format(line=seen[identity]),
            values,
            raw,
        )
    seen[identity] = line
    return PreviewRow(line, RowStatus.NEW, "", values, raw)


def rows_to_import(
    preview_rows: Iterable[PreviewRow], chosen_lines: set[int]
) -> list[dict[str, Any]]:
    """The values of the chosen rows; invalid rows can never be chosen."""
    return [
        dict(row.raw)
        for row in preview_rows
        if row.line in chosen_lines and row.status is not RowStatus.INVALID
    ]


# --- export ----------------------------------------------------------------------------------


def display_value(kind: RecordKind, name: str, value: Any) -> Any:
    """The cell value for Excel: labels for choices, Có/Không for yes/no, dates as dates."""
    spec = kind.field(name)
    if value is None:
        return None
    if spec.type is FieldType.CHOICE:
        return spec.choice_label(value)
    if spec.type is FieldType.BOOL:
        return _("Yes") if value else _("No")
    return value


def export_xlsx(kind_code: str, rows: Sequence[RecordRow], path: Path, title: str) -> None:
    """Write ``rows`` to an .xlsx file with Vietnamese headers and number/date formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    kind = kind_by_code(kind_code)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _(kind.title)[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    headers = [_("No."), *(_(spec.label) for spec in kind.fields)]
    sheet.append(headers)
    for column, _header in enumerate(headers, start=1):
        cell = sheet.cell(row=2, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *(display_value(kind, n, row.values[n]) for n in kind.field_names)])
    _format_columns(kind, sheet, len(rows))
    sheet.freeze_panes = "B3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write(path, lambda stream: stream.write(buffer.getvalue()))


def _format_columns(kind: RecordKind, sheet: Any, count: int) -> None:
    from openpyxl.utils import get_column_letter

    sheet.column_dimensions["A"].width = 6
    for offset, spec in enumerate(kind.fields, start=2):
        letter = get_column_letter(offset)
        wide = spec.type in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.CHOICE)
        sheet.column_dimensions[letter].width = 32 if wide else 14
        number_format = {
            FieldType.DATE: "DD/MM/YYYY",
            FieldType.INT: "#,##0",
            FieldType.FLOAT: "0.000000",
        }.get(spec.type)
        if number_format:
            for cells in sheet.iter_rows(
                min_row=3, max_row=count + 2, min_col=offset, max_col=offset
            ):
                cells[0].number_format = number_format


def export_stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M")
