"""Spreadsheet import preview and Excel export, without Qt."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.core.domain.errors import UserFacingError
from app.core.services.records import RecordService
from app.core.services.spreadsheet import (
    ImportPreview,
    RowStatus,
    export_xlsx,
    preview,
    rows_to_import,
)
from app.i18n import _
from tests.conftest import TODAY
from tests.core.test_records import VALID


def _preview(service: RecordService, kind: str, path: Path) -> ImportPreview:
    return preview(service.db, kind, path, service.unit_id, TODAY)


def test_csv_with_semicolons_bom_and_unaccented_headers(
    service: RecordService, tmp_path: Path
) -> None:
    source = tmp_path / "to-lien-gia.csv"
    source.write_text(
        "\ufeffTen to;So ho;To truong;Dia ban;Tinh trang;Ghi chu\n"
        "Tổ liên gia số 1;8;Trần Thị Lan;Khối 2;Đang hoạt động;\n"
        "Tổ liên gia số 2;1;Lê Văn Bình;Khối 3;active;quá ít hộ\n"
        "tổ liên gia SỐ 1;9;Nguyễn Văn A;Khối 4;active;\n",
        encoding="utf-8",
    )
    result = _preview(service, "teams", source)
    assert [row.status for row in result.rows] == [
        RowStatus.NEW,
        RowStatus.INVALID,
        RowStatus.DUPLICATE,
    ]
    assert _("Households") in result.rows[1].reason
    assert result.rows[0].values["status"] == "active"
    assert service.count("teams") == 0, "a preview writes nothing"
    change = service.create_many("teams", rows_to_import(result.rows, {2, 3, 4}))
    assert len(change.created) == 2, "invalid rows are never imported even when chosen"


def test_windows_1258_csv_is_read(service: RecordService, tmp_path: Path) -> None:
    source = tmp_path / "cameras.csv"
    text = "Dia chi,Loai chu so huu,Tinh trang\nSo 1 Le Loi,Ho gia dinh,working\n"
    source.write_bytes(text.encode("cp1258"))
    result = _preview(service, "cameras", source)
    assert [r.status for r in result.rows] == [RowStatus.NEW]


def test_missing_required_columns_are_named(service: RecordService, tmp_path: Path) -> None:
    source = tmp_path / "sessions.csv"
    source.write_text("Ngày,Chủ đề\n01/11/2026,Phòng, chống tội phạm\n", encoding="utf-8")
    with pytest.raises(UserFacingError) as caught:
        _preview(service, "sessions", source)
    for label in ("Place", "Audience", "Attendance"):
        assert _(label) in caught.value.message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("list.pdf", b"%PDF-1.4"),
        ("empty.csv", b""),
        ("broken.xlsx", b"not a zip"),
    ],
)
def test_unreadable_files_get_a_clear_message(
    service: RecordService, tmp_path: Path, name: str, content: bytes
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(UserFacingError) as caught:
        _preview(service, "cameras", source)
    assert name in caught.value.message


def test_export_then_reimport_finds_only_duplicates(service: RecordService, tmp_path: Path) -> None:
    for n in range(3):
        service.create(
            "sessions",
            {**VALID["sessions"], "place": f"Nhà văn hoá khối {n}", "attendance": 1000 + n},
        )
    rows = service.fetch("sessions", service.list_ids("sessions"))
    target = tmp_path / "sessions.xlsx"
    export_xlsx("sessions", rows, target, "Buổi tuyên truyền")
    sheet = load_workbook(target).active
    assert sheet is not None
    assert sheet["A1"].value == "Buổi tuyên truyền"
    assert sheet["B3"].number_format == "DD/MM/YYYY"
    assert sheet["F3"].value in (1000, 1001, 1002)
    assert sheet["F3"].number_format == "#,##0"
    assert sheet["C3"].value == _("Fire prevention and rescue (PCCC & CNCH)")
    again = _preview(service, "sessions", target)
    assert [r.status for r in again.rows] == [RowStatus.DUPLICATE] * 3
    assert not list(tmp_path.glob(".*.tmp")), "no temp file is left behind"


def test_rows_are_numbered_as_excel_shows_them(service: RecordService, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "DANH SÁCH CAMERA AN NINH PHƯỜNG TRƯỜNG VINH"
    sheet.append([])
    sheet.append(["Địa chỉ", "Loại chủ sở hữu", "Tình trạng"])  # row 3
    sheet.append(["Số 1 Lê Lợi", "Hộ gia đình", "Hoạt động tốt"])  # row 4
    sheet.append([])
    sheet.append([])
    sheet.append(["Số 2 Lê Lợi", "Hộ gia đình", "Hỏng hóc nặng"])  # row 7: bad status
    source = tmp_path / "camera.xlsx"
    book.save(source)
    result = _preview(service, "cameras", source)
    assert [(r.line, r.status) for r in result.rows] == [(4, RowStatus.NEW), (7, RowStatus.INVALID)]
    assert _("Status") in result.rows[1].reason


def test_excel_quoting_is_kept_after_the_first_lines(
    service: RecordService, tmp_path: Path
) -> None:
    lines = ["Địa chỉ,Loại chủ sở hữu,Tên chủ sở hữu,Tình trạng,Ghi chú"]
    lines += [f"Số {n} Lê Lợi,Hộ gia đình,Lê Văn {n},Hoạt động tốt," for n in range(200)]
    lines.append(
        'Số 9 Trần Phú,Doanh nghiệp,"Cửa hàng ""Hoa Mai"", chi nhánh 2",'
        'Hoạt động tốt,"Ghi chú, có dấu phẩy"'
    )
    source = tmp_path / "cameras.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    last = _preview(service, "cameras", source).rows[-1]
    assert last.status is RowStatus.NEW, last.reason
    assert last.values["owner_name"] == 'Cửa hàng "Hoa Mai", chi nhánh 2'
    assert last.values["notes"] == "Ghi chú, có dấu phẩy"


def test_utf16_text_from_excel_is_read(service: RecordService, tmp_path: Path) -> None:
    source = tmp_path / "cameras.txt"
    text = "Địa chỉ\tLoại chủ sở hữu\tTình trạng\r\nSố 1 Lê Lợi\tHộ gia đình\tTốt\r\n"
    source.write_bytes(text.encode("utf-16"))
    rows = _preview(service, "cameras", source).rows
    assert [(r.status, r.values.get("address")) for r in rows] == [(RowStatus.NEW, "Số 1 Lê Lợi")]


def test_garbled_text_is_refused_not_imported(service: RecordService, tmp_path: Path) -> None:
    source = tmp_path / "cameras.csv"
    good = "Địa chỉ,Loại chủ sở hữu,Tình trạng\nSố 12 Lê Lợi,Hộ gia đình,Tốt\n".encode()
    source.write_bytes(good + b"\xff")  # one stray byte: not UTF-8 any more
    with pytest.raises(UserFacingError) as caught:
        _preview(service, "cameras", source)
    assert "UTF-8" in caught.value.hint


def test_whole_numbers_are_not_guessed(service: RecordService, tmp_path: Path) -> None:
    source = tmp_path / "teams.csv"
    source.write_text(
        "Tên tổ,Số hộ,Tổ trưởng,Địa bàn,Tình trạng\n"
        'Tổ 1,"2,5",Lê Văn A,Khối 1,active\n'
        'Tổ 2,"1.234",Lê Văn B,Khối 1,active\n'
        "Tổ 3,12,Lê Văn C,Khối 1,active\n",
        encoding="utf-8",
    )
    rows = _preview(service, "teams", source).rows
    assert [r.status for r in rows] == [RowStatus.INVALID, RowStatus.INVALID, RowStatus.NEW]
    assert "200" in rows[1].reason  # 1234 households is above the limit, not "12"
