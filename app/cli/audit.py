"""``modelward audit verify|list``: the hash-chained audit trail from the command line. At the
province, ``verify`` also checks the copy of every ward's audit trail its bundles carried."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.services.storage import Database


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = verbs.add_parser("audit", help=_("the audit trail of every change"))
    actions = audit.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "verify",
        help=_(
            "check that no entry was changed, removed or reordered (at the province: the "
            "wards' audit trails too)"
        ),
    )
    listing = actions.add_parser("list", help=_("print the latest entries"))
    listing.add_argument("--last", type=int, default=50)


def run_audit_verb(path: Path, args: argparse.Namespace) -> int:
    from app.core.services.audit import latest_entries, verify
    from app.core.services.storage import open_database

    if not path.exists():
        raise UserFacingError(_("There is no database at {path}.").format(path=path))
    db = open_database(path)
    try:
        if args.action == "verify":
            check = verify(db)
            if check.ok:
                print(_("Audit trail intact: {n} entries.").format(n=check.entries))
            else:
                print(_("The audit trail is broken: {problem}").format(problem=check.problem))
            wards_ok = _verify_wards(db)
            return 0 if check.ok and wards_ok else 1
        for entry in latest_entries(db, args.last):
            changes = json.loads(entry.changes)
            print(
                f"{entry.entry_id:>7}  {entry.at.astimezone():%d/%m/%Y %H:%M:%S}  {entry.actor}  "
                f"{entry.action}  {entry.table_name}  {', '.join(changes)}"
            )
        return 0
    finally:
        db.close()


def _verify_wards(db: Database) -> bool:
    """At a province station: check each enrolled ward's received audit trail (True if all
    are intact, and at a ward station)."""
    from app.core.services import profile
    from app.core.services.sync.province import imports as sync_province

    if not profile.is_set_up(db) or not profile.is_province(profile.load(db)):
        return True
    intact = True
    for station_id, name, check in sync_province.ward_audit_checks(db):
        ward = f"{station_id} {name}"
        if check.ok:
            print(
                _("Ward {ward}: audit trail intact, {n} entries received.").format(
                    ward=ward, n=check.entries
                )
            )
        else:
            intact = False
            print(
                _("Ward {ward}: the audit trail is broken: {problem}").format(
                    ward=ward, problem=check.problem
                )
            )
    return intact
