"""Qt's own model tester (``QAbstractItemModelTester`` through pytest-qt's ``qtmodeltester``)
over every table model in app/ui/models, each filled with real data read by the real
services from real SQLite databases, and through the sorting proxy in every column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtTest import QAbstractItemModelTester
from pytestqt.modeltest import ModelTester

from app.core.domain.access import Role
from app.core.domain.outcomes import DONE_LABELS, PREVIEW_LABELS
from app.core.domain.periods import Span
from app.core.domain.records import KINDS, kind_by_code
from app.core.services import backup_steps as backup
from app.core.services import packs
from app.core.services.assessments import AssessmentService
from app.core.services.indicators import IndicatorService
from app.core.services.records import RecordService
from app.core.services.spreadsheet import preview
from app.core.services.sync.province.imports import BundleReport, ward_records
from app.db import audit
from app.db.engine import Database
from app.security.accounts import Accounts, KdfParams
from app.ui.dialogs.ward_dialog import WardSnapshot, read_ward
from app.ui.models.assessment_model import AssessmentModel, GroupSummaryModel
from app.ui.models.audit_model import AuditEntryModel, AuditLine
from app.ui.models.backup_model import BackupTableModel, UserTableModel
from app.ui.models.import_preview_model import ImportPreviewModel
from app.ui.models.indicator_grid_model import IndicatorGridModel
from app.ui.models.outbox_model import OutboxModel
from app.ui.models.pack_models import InstalledPackModel, PackHistoryModel, PackPlanModel
from app.ui.models.province_models import BundleReportModel, StationOverviewModel
from app.ui.models.record_table_model import ROW_ROLE, SORT_ROLE, RecordTableModel
from app.ui.models.row_model import RowSortProxy, RowTableModel
from app.ui.models.ward_models import (
    WardApprovalModel,
    WardAssessmentModel,
    WardIndicatorModel,
    WardRecordModel,
)
from app.ui.widgets.province_page import overview_lines
from tests.conftest import TODAY
from tests.core.test_records import VALID
from tests.sync.bundle_pairs import Pair, receipt_bytes

CHEAP = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


def _check_sorted(qtmodeltester: ModelTester, model: RowTableModel[Any]) -> None:
    """The model, then the proxy over it sorted by each column both ways, with Qt's tester
    watching both all along (Fatal: a broken rule stops the run) and pytest-qt's too."""
    proxy = RowSortProxy(model)
    fatal = QAbstractItemModelTester.FailureReportingMode.Fatal
    watching = [QAbstractItemModelTester(m, fatal) for m in (model, proxy)]
    qtmodeltester.check(model)
    model.set_rows(model.rows)  # a reset under watch
    qtmodeltester.check(proxy)
    for column in range(model.columnCount()):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            proxy.sort(column, order)
            assert proxy.rowCount() == model.rowCount()
    proxy.sort(-1)  # back to the model's own order
    assert [proxy.source_row(r) for r in range(proxy.rowCount())] == list(range(model.rowCount()))
    assert len(watching) == 2


def _texts(model: QAbstractItemModel, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


@pytest.fixture
def imported(pair: Pair) -> tuple[Pair, list[BundleReport]]:
    """A ward's demo year exported and imported at the province (real bundles, real keys)."""
    bundle = pair.export()
    reports = pair.import_(bundle)
    again = pair.import_(bundle, dry_run=True)  # the same file again: "already imported"
    return pair, [*reports, *again]


def test_province_models(
    qtmodeltester: ModelTester, imported: tuple[Pair, list[BundleReport]]
) -> None:
    pair, reports = imported
    overview = StationOverviewModel(TODAY.year)
    overview.set_rows(overview_lines(pair.province_db, pair.province, TODAY.year))
    assert overview.rowCount() == 1 and overview.text(0, 3) == "1"
    _check_sorted(qtmodeltester, overview)
    for labels in (PREVIEW_LABELS, DONE_LABELS):
        model = BundleReportModel(labels)
        model.set_rows(reports)
        assert [r.outcome for r in model.rows] == ["new", "duplicate"]
        _check_sorted(qtmodeltester, model)


def test_outbox_model(qtmodeltester: ModelTester, pair: Pair) -> None:
    """A ward's outbox after real exports: bundle 1 imported and returned for correction by
    the province, bundle 2 still waiting for its receipt."""
    (report,) = pair.import_(pair.export())
    pair.ward.import_receipt(receipt_bytes(report))
    assert report.bundle_id is not None
    returned = pair.province.return_for_correction(
        report.bundle_id, "Thiếu số liệu tháng 10.", pair.province_keys, pair.folder
    )
    pair.ward.import_receipt(returned.read_bytes())
    pair.clock.advance(hours=2)
    pair.export()
    model = OutboxModel()
    model.set_rows(pair.ward.outbox())
    assert _texts(model, 0) == ["2", "1"]  # newest first, as the service lists them
    assert _texts(model, 3) == ["đã xuất, chờ biên nhận", "bị trả lại để chỉnh sửa"]
    assert _texts(model, 4) == ["", "Thiếu số liệu tháng 10."]
    assert _texts(model, 5)[1].endswith(".wsb")
    assert int(_texts(model, 2)[1]) > 0  # bundle 1 carried the demo year
    _check_sorted(qtmodeltester, model)
    proxy = RowSortProxy(model)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    assert _texts(proxy, 0) == ["1", "2"]
    proxy.sort(1, Qt.SortOrder.DescendingOrder)  # by the export moment
    assert _texts(proxy, 0) == ["2", "1"]


def _ward(pair: Pair) -> WardSnapshot:
    station = pair.province.overview()[0].station_id
    return read_ward(pair.province_db, station, KINDS[0], TODAY.year)


def test_ward_drill_down_models(
    qtmodeltester: ModelTester, imported: tuple[Pair, list[BundleReport]]
) -> None:
    pair, _reports = imported
    snapshot = _ward(pair)
    records = WardRecordModel()
    qtmodeltester.check(records)  # no kind chosen yet: no columns
    for kind in KINDS:  # every record kind the ward sent, one after the other
        rows = snapshot.records if kind is snapshot.kind else None
        if rows is None:
            rows = ward_records(pair.province_db, snapshot.detail.unit_id, kind.code)
        records.set_kind(kind_by_code(kind.code), rows)
        assert records.columnCount() == len(kind.fields)
        _check_sorted(qtmodeltester, records)
    indicators = WardIndicatorModel()
    indicators.set_rows(snapshot.indicators)
    assert indicators.rowCount() > 0
    _check_sorted(qtmodeltester, indicators)
    findings = WardAssessmentModel()
    findings.set_rows(snapshot.findings)
    _check_sorted(qtmodeltester, findings)
    approvals = WardApprovalModel()
    approvals.set_rows(snapshot.approvals)
    _check_sorted(qtmodeltester, approvals)
    for lines in (snapshot.audit, snapshot.rewrites):
        trail = AuditEntryModel()
        trail.set_rows(lines)
        _check_sorted(qtmodeltester, trail)
    assert len(snapshot.audit) > 10


def test_audit_model_sorts_numbers_as_numbers(
    qtmodeltester: ModelTester, service: RecordService
) -> None:
    for n in range(12):
        service.create("sessions", {**VALID["sessions"], "attendance": 20 + n})
    with service.db.read() as session:
        lines = [
            AuditLine(e.id, e.at, e.actor, e.action, e.table_name, e.changes)
            for e in audit.entries(session, 500)
        ]
    model = AuditEntryModel()
    model.set_rows(lines)
    _check_sorted(qtmodeltester, model)
    assert _texts(model, 0)[:3] == ["12", "11", "10"]  # newest first, as read
    proxy = RowSortProxy(model)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    assert _texts(proxy, 0)[:3] == ["1", "2", "3"]  # 10 after 9, not after 1
    assert proxy.index(0, 0).data(SORT_ROLE) == 1
    assert isinstance(proxy.index(0, 0).data(ROW_ROLE), AuditLine)


def test_pack_models(qtmodeltester: ModelTester, db: Database) -> None:
    now = datetime.now(UTC)
    packs.install_bundled(db, now, "Nguyễn Văn An")
    installed = InstalledPackModel(now.date())
    installed.set_rows(packs.installed(db))
    assert installed.rowCount() > 0
    _check_sorted(qtmodeltester, installed)
    history = PackHistoryModel()
    history.set_rows(packs.history(db))
    assert history.rowCount() > 0
    _check_sorted(qtmodeltester, history)
    plans = PackPlanModel()
    plans.set_rows(packs.inspect(db, packs.bundled_repository(), now).plans)
    assert plans.rowCount() > 0
    _check_sorted(qtmodeltester, plans)


def test_backup_and_user_models(qtmodeltester: ModelTester, db: Database, tmp_path: Path) -> None:
    backup.create_backup(db.path, "manual")
    backup.create_backup(db.path, "daily")
    backups = BackupTableModel()
    backups.set_rows(backup.list_backups(db.path))
    assert backups.rowCount() == 2
    _check_sorted(qtmodeltester, backups)
    accounts = Accounts(tmp_path / "accounts.sqlite", kdf=CHEAP)
    admin, _code = accounts.create("quantri", "Lê Quản Trị", "mật khẩu quản trị 1")
    accounts.add_user(admin, "nvan", "Nguyễn Văn An", Role.OFFICER, "tạm thời 123")
    users = UserTableModel()
    users.set_rows(accounts.users())
    assert sorted(_texts(users, 0)) == ["nvan", "quantri"]
    _check_sorted(qtmodeltester, users)


def test_assessment_models(qtmodeltester: ModelTester, db: Database) -> None:
    packs.install_bundled(db, datetime.now(UTC), "test")
    service = AssessmentService(db, today=lambda: TODAY)
    pack = service.assessable_packs()[0]
    view = service.open(pack.pack_id, TODAY.year)
    criteria = AssessmentModel()
    criteria.set_view(view)
    assert criteria.rowCount() == len(view.criteria) > 0
    qtmodeltester.check(criteria)
    groups = GroupSummaryModel()
    groups.set_rows(view.groups)
    assert groups.rowCount() == len(pack.groups)
    _check_sorted(qtmodeltester, groups)


def test_record_grid_and_import_models(
    qtmodeltester: ModelTester, service: RecordService, tmp_path: Path
) -> None:
    """The models that were models before: a record list, the indicator grid, an import."""
    service.create("sessions", VALID["sessions"])
    qtmodeltester.check(RecordTableModel(service, kind_by_code("sessions")))
    packs.install_bundled(service.db, datetime.now(UTC), "test")
    indicators = IndicatorService(service.db, today=lambda: TODAY)
    grid = IndicatorGridModel(lambda *_args: None)
    grid.set_grid(indicators.grid(TODAY.year, Span.MONTH, TODAY.month))
    qtmodeltester.check(grid)
    source = tmp_path / "to.csv"
    source.write_text(
        "Tên tổ,Số hộ,Tổ trưởng,Địa bàn,Trạng thái\nTổ liên gia số 2,7,Lê Văn Bình,Khối 3,active\n",
        encoding="utf-8",
    )
    result = preview(service.db, "teams", source, service.unit_id, TODAY)
    qtmodeltester.check(ImportPreviewModel(kind_by_code("teams"), result))
