"""The criteria packs' tables: what is installed, the install history, and what installing a
verified repository would do."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QObject

from app.core.domain.formatting import format_date
from app.core.services import packs as service
from app.core.services.packs import InstalledPackInfo, PackEventInfo, PackPlan
from app.i18n import N_, _
from app.ui.models.row_model import Column, RowTableModel

ACTIONS = {
    "install": N_("New: will be installed"),
    "upgrade": N_("Newer: will be upgraded"),
    "same": N_("Already installed"),
    "refused": N_("Refused"),
}


def pack_status(info: InstalledPackInfo, today: date) -> str:
    status = []
    if info.draft:
        status.append(_("draft"))
    if info.expired(today):
        status.append(_("expired on {date}").format(date=format_date(info.expires)))
    elif info.expires:
        status.append(_("valid until {date}").format(date=format_date(info.expires)))
    return ", ".join(status)


def source_text(source: str) -> str:
    return _("shipped with the app") if source == service.BUNDLED_REPOSITORY else source


class InstalledPackModel(RowTableModel[InstalledPackInfo]):
    """The installed packs; ``today`` decides which have expired."""

    def __init__(self, today: date, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(_("Pack"), lambda r: r.pack_id),
                Column(_("Version"), lambda r: str(r.version), sort=lambda r: r.version),
                Column(_("Title"), lambda r: r.title),
                Column(_("Status"), lambda r: pack_status(r, self.today)),
                Column(
                    _("Installed on"),
                    lambda r: format_date(r.installed_at),
                    sort=lambda r: r.installed_at,
                ),
                Column(_("Source"), lambda r: source_text(r.source)),
            ],
            parent,
        )
        self.today = today


def _time(moment: object) -> str:
    from datetime import datetime

    return moment.astimezone().strftime("%d/%m/%Y %H:%M") if isinstance(moment, datetime) else ""


def event_summary(event: PackEventInfo) -> str:
    counts = event.summary
    return _("criteria +{ca} ~{cc} −{cr}; indicators +{ia} ~{ic} −{ir}").format(
        ca=counts.get("criteria_added", 0),
        cc=counts.get("criteria_changed", 0),
        cr=counts.get("criteria_removed", 0),
        ia=counts.get("indicators_added", 0),
        ic=counts.get("indicators_changed", 0),
        ir=counts.get("indicators_removed", 0),
    )


def _action(event: PackEventInfo) -> str:
    actions = {"install": _("installed"), "upgrade": _("upgraded")}
    return actions.get(event.action, event.action)


class PackHistoryModel(RowTableModel[PackEventInfo]):
    """One install: the PC clock's time and the trusted time expiry was checked against."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(_("Time"), lambda e: _time(e.at), sort=lambda e: e.at),
                Column(
                    _("Trusted time"), lambda e: _time(e.trusted_at), sort=lambda e: e.trusted_at
                ),
                Column(_("Pack"), lambda e: e.pack_id),
                Column(_("Version"), lambda e: str(e.version), sort=lambda e: e.version),
                Column(_("Action"), _action),
                Column(_("Summary"), event_summary),
                Column(_("By"), lambda e: e.by),
            ],
            parent,
        )


def plan_version(plan: PackPlan) -> str:
    if plan.installed_version is not None and plan.action == "upgrade":
        return f"{plan.installed_version} → {plan.pack.version}"
    return str(plan.pack.version)


class PackPlanModel(RowTableModel[PackPlan]):
    """Pack by pack, what installing the repository would do and why."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(_("Pack"), lambda p: p.pack.title),
                Column(_("Version"), plan_version, sort=lambda p: p.pack.version),
                Column(_("What happens"), lambda p: _(ACTIONS[p.action])),
                Column(_("Reason"), lambda p: p.reason, tooltip=lambda p: p.reason or None),
            ],
            parent,
        )
