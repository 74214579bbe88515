"""The ward at a glance: big figures for teams, fire points, cameras, models and sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.core.domain.formatting import format_change, format_date, format_int
from app.core.services.overview import Overview, SessionTally, overview
from app.core.services.storage import Database
from app.i18n import _


class _Card(QFrame):
    def __init__(self, title: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "_Card { background: #ffffff; border: 1px solid #d0d7de; border-radius: 6px; }"
        )
        layout = QVBoxLayout(self)
        self.title = QLabel(title, self)
        self.title.setStyleSheet("color: #444; font-size: 10pt;")
        self.title.setWordWrap(True)
        self.figure = QLabel(self)
        self.figure.setStyleSheet("font-size: 22pt; font-weight: 600; color: #0b3d91;")
        self.detail = QLabel(self)
        self.detail.setStyleSheet("color: #555;")
        self.detail.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.figure)
        layout.addWidget(self.detail)
        layout.addStretch(1)

    def show(self, figure: str, detail: str) -> None:  # type: ignore[override]
        self.figure.setText(figure)
        self.detail.setText(detail)


class OverviewPage(QWidget):
    def __init__(
        self, db: Database, unit_name: str, today: Callable[[], date], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.today = today
        self.setObjectName("page_overview")
        layout = QVBoxLayout(self)
        title = QLabel(_("Overview"), self)
        title.setObjectName("page_title")
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        subtitle = QLabel(unit_name, self)
        subtitle.setStyleSheet("color: #444; font-size: 11pt;")
        layout.addWidget(title)
        layout.addWidget(subtitle)
        grid = QGridLayout()
        grid.setSpacing(12)
        self.cards = {
            "teams": _Card(_("Fire-safety teams"), self),
            "fire_points": _Card(_("Public fire points"), self),
            "cameras": _Card(_("Security cameras linked to the police"), self),
            "models": _Card(_("Community models in operation"), self),
            "month": _Card(_("Outreach sessions this reporting month"), self),
            "year": _Card(_("Outreach sessions this reporting year"), self),
        }
        for position, card in enumerate(self.cards.values()):
            grid.addWidget(card, position // 3, position % 3)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        data = overview(self.db, self.today())
        self._fill(data)

    def _fill(self, data: Overview) -> None:
        self.cards["teams"].show(
            format_int(data.teams_active),
            _("active of {total}; {households} households").format(
                total=format_int(data.teams_total), households=format_int(data.households_in_teams)
            ),
        )
        self.cards["fire_points"].show(
            format_int(data.fire_points_total),
            _("{ready} ready for use").format(ready=format_int(data.fire_points_ready)),
        )
        self.cards["cameras"].show(
            f"{format_int(data.cameras_linked)} / {format_int(data.cameras_total)}",
            _("{working} working").format(working=format_int(data.cameras_working)),
        )
        self.cards["models"].show(
            format_int(data.models_active),
            _("of {total} models").format(total=format_int(data.models_total)),
        )
        self.cards["month"].show(format_int(data.month.sessions), _tally_text(data.month))
        self.cards["year"].show(format_int(data.year.sessions), _tally_text(data.year))


def _tally_text(tally: SessionTally) -> str:
    return _(
        "{start} – {end}: {attendance} attendees; {change} sessions vs the same period "
        "last year ({last})."
    ).format(
        start=format_date(tally.period.start),
        end=format_date(tally.period.end),
        attendance=format_int(tally.attendance),
        change=format_change(tally.change),
        last=format_int(tally.last_year_sessions),
    )
