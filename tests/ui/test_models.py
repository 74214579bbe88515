"""Qt's own model tester over every table model, plus widget-free model behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from app.core.domain.records import KINDS, RecordKind, RecordRow
from app.core.services.records import RecordService
from app.core.services.spreadsheet import preview
from app.ui.models.import_preview_model import ImportPreviewModel
from app.ui.models.record_table_model import ID_ROLE, ROW_ROLE, SORT_ROLE, RecordTableModel
from tests.conftest import TODAY
from tests.core.test_records import VALID


def _fill(service: RecordService, count: int = 30) -> None:
    for n in range(count):
        service.create(
            "sessions",
            {
                **VALID["sessions"],
                "held_on": TODAY - timedelta(days=n),
                "place": f"Nhà văn hoá khối {n % 7}",
                "attendance": 20 + n,
            },
        )


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.code)
def test_record_models_pass_qt_model_tester(
    qtmodeltester: ModelTester, service: RecordService, kind: RecordKind
) -> None:
    service.create(kind.code, VALID[kind.code])
    model = RecordTableModel(service, kind)
    qtmodeltester.check(model)
    assert model.rowCount() == 1


def test_model_tester_through_sort_and_search(
    qtmodeltester: ModelTester, service: RecordService
) -> None:
    _fill(service)
    model = RecordTableModel(service, KINDS[0])
    qtmodeltester.check(model)
    model.sort(2, Qt.SortOrder.AscendingOrder)
    model.set_search("khoi 5")
    qtmodeltester.check(model)
    assert model.rowCount() == 4  # rows 5, 12, 19, 26


def test_sort_keeps_the_selected_record(service: RecordService) -> None:
    _fill(service)
    model = RecordTableModel(service, KINDS[0])
    from PySide6.QtCore import QPersistentModelIndex

    target = model.index(5, 0)
    record_id = model.data(target, ID_ROLE)
    persistent = QPersistentModelIndex(target)
    model.sort(4, Qt.SortOrder.DescendingOrder)  # attendance, largest first
    assert model.data(model.index(persistent.row(), 0), ID_ROLE) == record_id
    counts = [model.data(model.index(r, 4), SORT_ROLE) for r in range(model.rowCount())]
    assert counts == sorted(counts, reverse=True)


def test_display_uses_vietnamese_formats(service: RecordService) -> None:
    service.create(
        "sessions", {**VALID["sessions"], "held_on": date(2026, 3, 5), "attendance": 1234}
    )
    model = RecordTableModel(service, KINDS[0])
    assert model.data(model.index(0, 0)) == "05/03/2026"
    assert model.data(model.index(0, 4)) == "1.234"
    assert model.data(model.index(0, 0), ROW_ROLE).values["attendance"] == 1234


def test_lazy_model_fetches_only_visible_pages(
    service: RecordService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.create_many(
        "cameras", [{**VALID["cameras"], "address": f"Số {n} Lê Lợi"} for n in range(650)]
    )
    calls: list[int] = []
    original = service.fetch

    def counting_fetch(kind_code: str, ids: Sequence[int]) -> list[RecordRow]:
        calls.append(len(ids))
        return original(kind_code, ids)

    monkeypatch.setattr(service, "fetch", counting_fetch)
    model = RecordTableModel(service, KINDS[3])
    assert model.rowCount() == 650
    assert calls == []
    model.data(model.index(0, 0))
    model.data(model.index(10, 0))
    assert calls == [200]
    model.data(model.index(640, 0))
    assert calls == [200, 50]


def test_import_preview_model_passes_qt_model_tester(
    qtmodeltester: ModelTester,
    service: RecordService,
    tmp_path: Path,
) -> None:
    service.create("teams", VALID["teams"])
    source = tmp_path / "teams.csv"
    source.write_text(
        "Tên tổ,Số hộ,Tổ trưởng,Địa bàn,Tình trạng\n"
        "Tổ liên gia số 1,8,Trần Thị Lan,Khối 2,Đang hoạt động\n"
        "Tổ liên gia số 2,7,Lê Văn Bình,Khối 3,active\n"
        "Tổ liên gia số 3,abc,Lê Văn Cường,Khối 4,active\n",
        encoding="utf-8",
    )
    result = preview(service.db, "teams", source, service.unit_id, TODAY)
    model = ImportPreviewModel(KINDS[1], result)
    qtmodeltester.check(model)
    checkable = [model.flags(model.index(r, 0)) & Qt.ItemFlag.ItemIsUserCheckable for r in range(3)]
    assert [bool(c) for c in checkable] == [True, True, False]
    assert model.chosen == {3}
    assert model.setData(
        model.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert model.chosen == {2, 3}
    assert not model.setData(
        model.index(2, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole
    )
