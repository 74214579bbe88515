"""A small bar chart of "criteria met" per month, painted directly (no chart module needed)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from app.i18n import _


class TrendChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: tuple[tuple[int, int], ...] = ()
        self.total = 0
        self.setMinimumHeight(120)
        self.setObjectName("trend_chart")

    def set_data(self, points: tuple[tuple[int, int], ...], total: int) -> None:
        self.points, self.total = points, total
        self.setToolTip(_("Criteria met at the end of each reporting month"))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(30, 10, -10, -22)
        painter.setPen(QColor("#888888"))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawText(
            QRectF(0, area.top() - 6, 26, 14), Qt.AlignmentFlag.AlignRight, str(self.total)
        )
        painter.drawText(QRectF(0, area.bottom() - 8, 26, 14), Qt.AlignmentFlag.AlignRight, "0")
        if not self.points or self.total <= 0:
            painter.end()
            return
        slot = area.width() / 12
        for month, met in self.points:
            height = area.height() * met / self.total
            bar = QRectF(
                area.left() + (month - 1) * slot + slot * 0.2,
                area.bottom() - height,
                slot * 0.6,
                height,
            )
            painter.fillRect(bar, QColor("#0b3d91"))
            painter.setPen(QColor("#333333"))
            painter.drawText(
                QRectF(bar.left() - 6, area.bottom() + 2, bar.width() + 12, 16),
                Qt.AlignmentFlag.AlignHCenter,
                str(month),
            )
            painter.drawText(
                QRectF(bar.left() - 6, bar.top() - 16, bar.width() + 12, 14),
                Qt.AlignmentFlag.AlignHCenter,
                str(met),
            )
        painter.end()
