"""Both ends of sync through the real screens: the ward exports and imports the receipt, the
province previews, imports and looks into the ward."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QTableView
from pytestqt.qtbot import QtBot

from app.core.services.sync.province.imports import BundleReport
from app.ui.widgets.province_page import ProvincePage, months_text
from app.ui.widgets.sync_page import SyncPage
from tests.sync.bundle_pairs import PASSPHRASE, Pair


class Boxes:
    """Closes every message box as it appears and keeps what it said."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.timeout.connect(self._close)
        self.timer.start(30)

    def _close(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                self.seen.append(f"{widget.text()} {widget.informativeText()}")
                widget.done(0)


@pytest.fixture
def boxes() -> Iterator[Boxes]:
    watcher = Boxes()
    yield watcher
    watcher.timer.stop()


def cells(table: QTableView, column: int) -> list[str]:
    model = table.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_ward_exports_and_takes_the_receipt(qtbot: QtBot, pair: Pair, boxes: Boxes) -> None:
    page = SyncPage(pair.ward_db, service=pair.ward)
    qtbot.addWidget(page)
    page.ask_passphrase = lambda _create: PASSPHRASE
    page.show()
    signing = pair.ward_keys.public.fingerprints()["signing"]
    assert signing in page.keys_label.text()
    assert "phiên bản" in page.trust_label.text().lower()
    assert page.export_button.isEnabled()

    page.export_bundle(pair.stick)
    qtbot.waitUntil(lambda: page.outbox.model().rowCount() == 1, timeout=20000)
    qtbot.waitUntil(lambda: any("Gói 1" in s for s in boxes.seen), timeout=5000)
    assert cells(page.outbox, 3) == ["đã xuất, chờ biên nhận"]
    (bundle,) = pair.stick.glob("*.wsb")

    (report,) = pair.import_(bundle)
    page.import_receipt(report.receipt_path)
    assert cells(page.outbox, 3) == ["Công an tỉnh đã xác nhận"]
    assert "0 thay đổi" in page.pending_label.text()
    page.grab().save(str(Path(pair.folder) / "ward-sync.png"))


def test_province_previews_imports_and_opens_the_ward(
    qtbot: QtBot,
    pair: Pair,
    boxes: Boxes,
    tmp_path: Path,
) -> None:
    good = pair.export()
    broken = tmp_path / "broken.wsb"
    broken.write_bytes(good.read_bytes()[:-100])
    page = ProvincePage(pair.province_db, 2026, service=pair.province)
    qtbot.addWidget(page)
    page.ask_passphrase = lambda _create: PASSPHRASE
    previewed: list[list[str]] = []

    def review(reports: Sequence[BundleReport]) -> bool:
        previewed.append([r.outcome for r in reports])
        return True

    page.review_preview = review
    page.show()
    qtbot.waitUntil(lambda: not page.refreshing(), timeout=10000)
    assert cells(page.overview, 0) == ["16681"] and cells(page.overview, 3) == ["—"]

    page.import_bundles([good, broken])
    qtbot.waitUntil(lambda: page.import_model.rowCount() == 2, timeout=30000)
    qtbot.waitUntil(lambda: not page.refreshing(), timeout=10000)
    assert sorted(previewed[0]) == ["new", "rejected"]
    results = cells(page.last_import, 3)
    assert sorted(results) == ["bị từ chối", "đã nhập"]
    reasons = " ".join(cells(page.last_import, 5))
    assert "cắt cụt" in reasons  # the truncated copy, said in Vietnamese
    assert cells(page.overview, 3) == ["1"]
    assert "1–12" in cells(page.overview, 5)[0] or "1–11" in cells(page.overview, 5)[0]
    assert list(pair.stick.glob("*.wsr"))

    page.overview.selectRow(0)
    dialog = page.open_ward()
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.loading(), timeout=10000)
    assert dialog.records_model.rowCount() > 0  # the ward's first record kind
    assert dialog.indicators_model.rowCount() > 0
    dialog.grab().save(str(tmp_path / "ward.png"))
    dialog.close()


def test_months_text_compresses_runs() -> None:
    months = [(2026, m) for m in (1, 2, 3, 5, 7, 8)] + [(2025, 12)]
    assert months_text(months, 2026) == "1–3, 5, 7–8"
    assert months_text([], 2026) == "—"
