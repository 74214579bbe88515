"""``modelward trust enroll|revoke``, ``province overview|resolve-fork`` and ``bundle
receipt`` at the province: what the officer reads on the terminal."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.services.sync.province.chain import Branch
    from app.core.services.sync.province.imports import ProvinceSync, StationOverview


def enroll(province: ProvinceSync, data: bytes, replace_key: bool) -> int:
    from app.core.services.sync.province import trust as outcomes

    result = province.enroll(data, replace_key=replace_key)
    code, name = result.request.station_id, result.request.station_name
    if result.outcome == outcomes.ENROLLED:
        print(_("Station {code} ({name}) enrolled.").format(code=code, name=name))
        return 0
    if result.outcome == outcomes.KEY_REPLACED:
        print(
            _(
                "Station {code} ({name}): the new key replaces the old one; bundles signed "
                "with the old key are no longer accepted."
            ).format(code=code, name=name)
        )
        return 0
    if result.status == "revoked":
        print(
            _(
                "Station {code} is already enrolled with this key, which is revoked after "
                "bundle {seq}: the station stays revoked. Only a new key, enrolled with "
                "--replace-key after the paper check, lets it send again."
            ).format(code=code, seq=result.cutoff or 0)
        )
        return 1
    print(_("Station {code} is already enrolled with this key; nothing changed.").format(code=code))
    return 0


def revoke(province: ProvinceSync, args: argparse.Namespace) -> int:
    result = province.revoke(args.station, args.after_seq, args.reason, reopen=args.reopen)
    print(
        _("Key of station {code} revoked after bundle {seq}.").format(
            code=result.station_id, seq=result.cutoff
        )
    )
    if result.old_status == "revoked":
        print(
            _("Its cutoff was bundle {old}; it is now bundle {new}.").format(
                old=result.old_cutoff or 0, new=result.cutoff
            )
        )
    if result.reopened is not None:
        first, last = result.reopened
        print(
            _("Bundles {first} to {last} of station {code} are acceptable again.").format(
                first=first, last=last, code=result.station_id
            )
        )
    return 0


def resolve_fork(province: ProvinceSync, args: argparse.Namespace) -> int:
    from app.cli.common import passphrase

    keys = None
    if province.accepts_quarantined(args.station, args.accept):  # applied from the archive
        keys = province.unlock(
            passphrase(_("Key passphrase: "), variable="MODELWARD_KEY_PASSPHRASE")
        )
    result = province.resolve_fork(args.station, args.accept, keys=keys)
    print(
        _("Fork of station {code} resolved: bundles {kept} kept.").format(
            code=result.station_id, kept=", ".join(map(str, result.kept_seqs)) or "—"
        )
    )
    refused = (
        _("Bundles {seqs} of the other copy were taken out and refused for good.")
        if result.accepted_quarantined
        else _("Quarantined bundles {seqs} refused for good.")
    )
    print(refused.format(seqs=", ".join(map(str, result.rejected_seqs))))
    print(
        _(
            "The key both copies of the station share is revoked after bundle {seq}. The PC "
            "whose bundles were kept must create a new key and enroll it (trust enroll "
            "--replace-key, after the paper check); the other copy must not be used again."
        ).format(seq=result.cutoff)
    )
    return 0


def write_receipt(province: ProvinceSync, args: argparse.Namespace) -> int:
    path = province.write_receipt_again(args.bundle_id, args.out)
    print(_("Receipt written to {path}.").format(path=path))
    return 0


def overview(province: ProvinceSync, year: int | None) -> int:
    from app.core.services.sync.province import overview as months

    today = province.now().date()
    chosen = year or today.year
    if not 2000 <= chosen <= 2100:
        raise UserFacingError(_("The year must be between 2000 and 2100."))
    for row in province.overview():
        _print_station(province, row, chosen, today)
        states = months.year_months(province.db, row.station_id, chosen, today)
        print("    " + _("Months of {year}:").format(year=chosen))
        for start in (0, 6):
            print("      " + "   ".join(months.month_cell(s) for s in states[start : start + 6]))
        gaps = months.gaps_text(states)
        if gaps:
            print("    " + gaps)
    return 0


def _print_station(province: ProvinceSync, row: StationOverview, year: int, today: date) -> None:
    from app.core.services.sync.province import overview as months

    key = months.key_status_text(
        row.status, row.cutoff, months.key_replaced_at(province.db, row.station_id)
    )
    received = f"{row.last_received.astimezone():%d/%m/%Y %H:%M}" if row.last_received else "—"
    print(f"{row.station_id}  {row.name}")
    print("    " + _("Key: {status}").format(status=key))
    print(
        "    "
        + _("Last bundle: #{seq}, received {time}").format(seq=row.last_seq or "—", time=received)
    )
    print(
        "    "
        + _("missing: {m}").format(m=", ".join(map(str, row.missing_seqs)) or "—")
        + "  "
        + _("forks: {n}").format(n=row.forks)
    )
    if row.chain_breaks:
        print(
            "    "
            + _("history rewritten at bundle {seqs}").format(
                seqs=", ".join(map(str, row.chain_breaks))
            )
        )
    for branch in row.branches:
        print("    " + branch_text(branch))


def branch_text(branch: Branch) -> str:
    """A quarantined branch beside the applied one, with the ids to resolve it by."""
    quarantined = ", ".join(f"#{b.seq} {b.bundle_id[:8]}" for b in branch.bundles)
    return _(
        "Fork from bundle {seq}: applied {applied}; quarantined {quarantined}. Resolve it with "
        "'modelward province resolve-fork'."
    ).format(
        seq=branch.first_seq,
        applied=", ".join(f"#{s}" for s in branch.rival_seqs) or "—",
        quarantined=quarantined,
    )


def add_arguments(province_actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    overview_parser = province_actions.add_parser(
        "overview", help=_("enrolled wards and what they reported")
    )
    overview_parser.add_argument("--year", type=int, help=_("the year whose months are shown"))
    resolve = province_actions.add_parser(
        "resolve-fork", help=_("end a ward's fork by keeping one of its two histories")
    )
    resolve.add_argument("station")
    resolve.add_argument(
        "--accept",
        required=True,
        help=_("a bundle of the history to keep: its id (first 8 characters) or number"),
    )


def receipt_arguments(bundle_actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    again = bundle_actions.add_parser(
        "receipt", help=_("write the receipt of an imported bundle again")
    )
    again.add_argument("bundle_id")
    again.add_argument("--out", type=Path, required=True)


def reopen_argument(revoke: argparse.ArgumentParser) -> None:
    revoke.add_argument(
        "--reopen",
        action="store_true",
        help=_("allow raising a revoked station's cutoff (its refused bundles become acceptable)"),
    )
