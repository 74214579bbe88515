"""The province's tables: the enrolled wards at a glance, and what importing bundles did or
would do, file by file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QObject

from app.core.services import audit as audit_service
from app.core.services.sync.province.chain import Branch
from app.core.services.sync.province.imports import BundleReport, StationOverview
from app.i18n import _
from app.ui.models.row_model import WARNING_BACKGROUND, Column, RowTableModel


@dataclass(frozen=True)
class OverviewLine:
    """One enrolled ward, with the texts that need the database worked out beforehand."""

    row: StationOverview
    key_text: str
    months_text: str

    @property
    def alarming(self) -> bool:
        row = self.row
        return bool(
            row.missing_seqs
            or row.forks
            or row.chain_breaks
            or row.audit_broken_at is not None
            or row.status == "revoked"
        )


def branch_text(branch: Branch) -> str:
    """A quarantined branch beside the applied one."""
    return _("fork from bundle {seq}: applied {applied}, quarantined {quarantined}").format(
        seq=branch.first_seq,
        applied=", ".join(f"#{s}" for s in branch.rival_seqs) or "—",
        quarantined=", ".join(f"#{b.seq} {b.bundle_id[:8]}" for b in branch.bundles),
    )


def warnings_text(row: StationOverview) -> str:
    parts = []
    if row.forks:
        parts.append(_("{n} quarantined (fork)").format(n=row.forks))
    for branch in row.branches:
        parts.append(branch_text(branch))
    if row.chain_breaks:
        parts.append(
            _("history rewritten at bundle {seqs}").format(
                seqs=", ".join(map(str, row.chain_breaks))
            )
        )
    if row.audit_broken_at is not None:
        if row.audit_problem == audit_service.REWRITTEN:
            text = _("audit trail rewritten at entry {n}")
        else:
            text = _("audit trail broken at entry {n}")
        parts.append(text.format(n=row.audit_broken_at))
    return "; ".join(parts) or "—"


def _alarm(line: OverviewLine) -> str | None:
    return WARNING_BACKGROUND if line.alarming else None


def _received(line: OverviewLine) -> str:
    moment = line.row.last_received
    return moment.astimezone().strftime("%d/%m/%Y %H:%M") if moment else "—"


def overview_columns(year: int) -> list[Column[OverviewLine]]:
    return [
        Column(_("Code"), lambda r: r.row.station_id),
        Column(_("Ward unit"), lambda r: r.row.name),
        Column(_("Key"), lambda r: r.key_text, background=_alarm),
        Column(
            _("Last bundle"), lambda r: str(r.row.last_seq or "—"), sort=lambda r: r.row.last_seq
        ),
        Column(_("Received"), _received, sort=lambda r: r.row.last_received),
        Column(_("Months reported in {year}").format(year=year), lambda r: r.months_text),
        Column(
            _("Missing bundles"),
            lambda r: ", ".join(map(str, r.row.missing_seqs)) or "—",
            sort=lambda r: len(r.row.missing_seqs),
            background=_alarm,
        ),
        Column(_("Warnings"), lambda r: warnings_text(r.row), background=_alarm),
        Column(_("Records"), lambda r: str(r.row.records), sort=lambda r: r.row.records),
    ]


class StationOverviewModel(RowTableModel[OverviewLine]):
    """The enrolled wards; cells that call for attention are tinted."""

    def __init__(self, year: int, parent: QObject | None = None) -> None:
        super().__init__(overview_columns(year), parent)


def record_counts(report: BundleReport) -> str:
    summary = report.summary
    if not summary:
        return ""
    counts = _("{new} new, {updated} updated, {duplicate} unchanged, {conflict} conflicts").format(
        **{k: summary.get(k, 0) for k in ("new", "updated", "duplicate", "conflict")}
    )
    rewritten = summary.get("audit", {}).get("rewritten", 0)
    if rewritten:
        counts += "; " + _("{n} audit trail entries arrived again with different content").format(
            n=rewritten
        )
    return counts


def report_columns(labels: Mapping[str, str]) -> list[Column[BundleReport]]:
    return [
        Column(_("File"), lambda r: r.path.name),
        Column(_("Ward unit"), lambda r: f"{r.station_id} {r.station_name}".strip()),
        Column(_("No."), lambda r: str(r.seq or ""), sort=lambda r: r.seq),
        Column(_("Result"), lambda r: _(labels[r.outcome])),
        Column(_("Records"), record_counts),
        Column(_("Reason"), lambda r: r.reason, tooltip=lambda r: r.reason or None),
    ]


class BundleReportModel(RowTableModel[BundleReport]):
    """One row per bundle file; ``labels`` name the outcomes (to come, or done)."""

    def __init__(self, labels: Mapping[str, str], parent: QObject | None = None) -> None:
        super().__init__(report_columns(labels), parent)
