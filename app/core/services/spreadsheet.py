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
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.core.domain.errors import UserFacingError, ValidationError
from app.core.domain.progress import CancelToken, ProgressCallback, no_progress
from app.core.domain.record_values import validate
from app.core.domain.records import FieldType, RecordKind, RecordRow, kind_by_code
from app.core.domain.text import clean, fold
from app.db import records_repo as repo
from app.db.engine import Database
from app.fileio import atomic_write
from app.i18n import N_, _

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an .xlsx is a zip: what its parts may unpack to
MAX_ROWS = 20_000
MAX_COLUMNS = 256  # cells further right are not read
EXCEL_MAX_ROWS = 1_048_576


class RowStatus(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


STATUS_LABELS = {
    RowStatus.NEW: N_("New"),
    RowStatus.DUPLICATE: N_("Duplicate"),
    RowStatus.INVALID: N_("Invalid"),
}


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
    ignored_headers: tuple[str, ...]
    rows: tuple[PreviewRow, ...] = field(default=())

    def count(self, status: RowStatus) -> int:
        return sum(1 for row in self.rows if row.status is status)


# --- reading ---------------------------------------------------------------------------------


def _unreadable_workbook(name: str) -> UserFacingError:
    return UserFacingError(
        _("The file {name} is not a readable Excel workbook.").format(name=name),
        hint=_("Open it in Excel and save it again as .xlsx, or save it as CSV (UTF-8)."),
    )


def _check_unpacked_size(path: Path) -> None:
    """Refuse a workbook whose parts unpack to more than ``MAX_UNPACKED_BYTES`` (a zip bomb):
    openpyxl holds some parts, such as the shared strings, whole in memory."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise UserFacingError(
            _("The file {name} is too large once unpacked (more than {limit} MB).").format(
                name=path.name, limit=MAX_UNPACKED_BYTES // (1024 * 1024)
            ),
            hint=_("Split it into smaller files and import them one by one."),
        )


def _read_xlsx(path: Path) -> list[Row]:
    from openpyxl import load_workbook  # imported on use: it costs ~250 ms at start-up

    try:
        _check_unpacked_size(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except UserFacingError:
        raise
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise _unreadable_workbook(path.name) from error
    try:
        sheet = workbook.worksheets[0]
        # The declared size may be wrong or huge ("A1:XFD1048576"): read only the cells that
        # are there, at most MAX_COLUMNS wide, so a small file cannot fill the memory.
        sheet.reset_dimensions()
        return _numbered(_bounded(sheet.iter_rows(values_only=True)))
    except UserFacingError:
        raise
    except Exception as error:  # the sheet is parsed while it is read: damage shows up here
        raise _unreadable_workbook(path.name) from error
    finally:
        workbook.close()


def _bounded(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """The rows cut to ``MAX_COLUMNS``, refusing a sheet with more rows than Excel allows."""
    for number, row in enumerate(rows, start=1):
        if number > EXCEL_MAX_ROWS:
            raise ValueError(f"row {number} is beyond Excel's last row")
        yield row[:MAX_COLUMNS]


_MOJIBAKE = ("á»", "Ã¡", "Ã ", "Ä‘", "Æ°", "Ã´", "Ãª", "áº")


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1258; refuse text that is
    UTF-8 read in the wrong encoding rather than import garbled names."""
    unreadable = UserFacingError(
        _("The file {name} is not in a text encoding ModelWard can read.").format(name=name),
        hint=_("In Excel choose Save As → CSV UTF-8, then import again."),
    )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:  # an odd number of bytes, or a broken surrogate pair
            raise unreadable from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1258", errors="replace")
    if "\ufffd" in text or any(marker in text for marker in _MOJIBAKE):
        raise unreadable
    return text


class _Excel(csv.Dialect):
    """Excel's CSV rules with the delimiter the file uses."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


def _read_csv(path: Path) -> list[list[str]]:
    text = _decode(path.read_bytes(), path.name)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)

    class Dialect(_Excel):
        pass

    Dialect.delimiter = delimiter
    try:
        return list(csv.reader(io.StringIO(text, newline=""), Dialect))
    except csv.Error as error:
        raise UserFacingError(
            _("The file {name} is not a valid CSV list ({reason}).").format(
                name=path.name, reason=error
            ),
            hint=_("Open it in Excel and save it again as CSV UTF-8, or as .xlsx."),
        ) from None


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
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        csv.field_size_limit(1_000_000)
        return _numbered(_read_csv(path))
    raise UserFacingError(
        _("ModelWard imports .xlsx and .csv files; {name} is neither.").format(name=path.name),
        hint=_("Save the list from Excel as .xlsx or CSV UTF-8."),
    )


def _numbered(rows: Iterable[Sequence[Any]]) -> list[Row]:
    """The non-empty rows with their row numbers; more than ``MAX_ROWS`` data rows (and a
    header) are refused as soon as they are seen, however many blank rows sit between them."""
    numbered: list[Row] = []
    for number, row in enumerate(rows, start=1):
        if not any(clean(str(c)) for c in row if c is not None):
            continue
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        numbered.append((number, cells))
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
            _("The header row of the file has no column for: {columns}.").format(
                columns=", ".join(missing)
            ),
            hint=_(
                'Add these column headers to the header row (for example "{example}"), '
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
    return ImportPreview(kind.code, path.name, tuple(ignored), tuple(rows))


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


_NUMBER_FORMATS = {
    FieldType.DATE: "DD/MM/YYYY",
    FieldType.INT: "#,##0",
    FieldType.FLOAT: "0.000000",
}


def export_xlsx(
    kind_code: str,
    rows: Sequence[RecordRow],
    path: Path,
    title: str,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> None:
    """Write ``rows`` to an .xlsx file with Vietnamese headers and number/date formats.

    A write-only workbook streams the rows (100,000 rows in seconds, not minutes); nothing is
    written to ``path`` unless the whole file is complete.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    kind = kind_by_code(kind_code)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_(kind.title)[:31])
    sheet.column_dimensions["A"].width = 6
    for offset, spec in enumerate(kind.fields, start=2):
        wide = spec.type in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.CHOICE)
        sheet.column_dimensions[get_column_letter(offset)].width = 32 if wide else 14
    sheet.freeze_panes = "B3"
    heading = WriteOnlyCell(sheet, value=title)
    heading.font = Font(bold=True, size=13)
    sheet.append([heading])
    header = []
    for text in (_("No."), *(_(spec.label) for spec in kind.fields)):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    sheet.append(header)
    formats = [_NUMBER_FORMATS.get(spec.type) for spec in kind.fields]
    for number, row in enumerate(rows, start=1):
        if number % 2000 == 0:
            if cancel is not None:
                cancel.check()
            progress(number, len(rows), "")
        cells: list[Any] = [number]
        for spec, number_format in zip(kind.fields, formats, strict=True):
            value = display_value(kind, spec.name, row.values[spec.name])
            if number_format and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                value = cell
            cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if cancel is not None:
        cancel.check()
    atomic_write(path, lambda stream: stream.write(buffer.getvalue()))


def export_stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M")


def export_indicator_grid(grid: Any, path: Path, unit_name: str) -> None:
    """The indicator grid of a period as an .xlsx table with Vietnamese headers: value, same
    period last year, change, change %, year to date, comment; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Indicators")[:31])
    for letter, width in zip("ABCDEFGHI", (8, 60, 12, 12, 14, 12, 12, 14, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    title = WriteOnlyCell(sheet, value=f"{unit_name} — {grid.period.label}")
    title.font = Font(bold=True, size=13)
    sheet.append([title])
    headers = [
        _("Code"),
        _("Indicator"),
        _("Unit"),
        _("Value"),
        _("Same period last year"),
        _("Change"),
        _("Change %"),
        _("Year to date"),
        _("Comment"),
    ]
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in grid.rows:
        values: list[Any] = [row.code, row.name, row.unit]
        for number, number_format in (
            (row.value, "#,##0.##"),
            (row.last_year, "#,##0.##"),
            (row.change, "+#,##0.##;-#,##0.##;0"),
            (row.change_pct, "+0.0;-0.0;0"),
            (row.year_to_date, "#,##0.##"),
        ):
            cell = WriteOnlyCell(sheet, value=number)
            cell.number_format = number_format
            values.append(cell)
        values.append(row.comment or None)
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write(path, lambda stream: stream.write(buffer.getvalue()))
