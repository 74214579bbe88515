"""``modelward pack …``: inspect and install criteria packs; build, sign and publish them."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.domain.errors import UserFacingError
from app.i18n import N_, _

if TYPE_CHECKING:
    from app.core.services import packs as service
    from app.core.services.storage import Database

# The parser is built on every start, GUI included: the heavy modules (SQLAlchemy, python-tuf)
# are imported only when a pack verb actually runs.

PASSPHRASE_ENV = "MODELWARD_KEY_PASSPHRASE"


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pack = verbs.add_parser("pack", help=_("criteria packs: inspect, install, build, sign"))
    actions = pack.add_subparsers(dest="action", metavar="ACTION", required=True)
    inspect = actions.add_parser("inspect", help=_("verify a pack repository and show changes"))
    inspect.add_argument("path", type=Path)
    install = actions.add_parser("install", help=_("verify and install packs from a repository"))
    install.add_argument("path", type=Path)
    install.add_argument("--pack", action="append", dest="packs", help=_("only this pack id"))
    actions.add_parser("list", help=_("list the installed packs"))
    actions.add_parser("history", help=_("show the install history"))
    build = actions.add_parser("build", help=_("build and check a pack from .json or .xlsx"))
    build.add_argument("source", type=Path)
    build.add_argument("--out", type=Path, required=True)
    init = actions.add_parser("init-repo", help=_("create a new signed pack repository"))
    init.add_argument("repo", type=Path)
    init.add_argument("--keys", type=Path, required=True)
    init.add_argument("--root-keys", type=int, default=3)
    init.add_argument("--threshold", type=int, default=2)
    sign = actions.add_parser("sign", help=_("add packs to a repository and sign a release"))
    sign.add_argument("files", type=Path, nargs="+")
    sign.add_argument("--repo", type=Path, required=True)
    sign.add_argument("--keys", type=Path, required=True)
    for parser in (init, sign):
        parser.add_argument(
            "--no-passphrase",
            action="store_true",
            help=_("keys without a passphrase (development only)"),
        )


def _passphrase(args: argparse.Namespace) -> bytes | None:
    if args.no_passphrase:
        return None
    from app.cli.common import passphrase

    value = passphrase(_("Key passphrase: "), variable=PASSPHRASE_ENV)
    if len(value) < 12:
        raise UserFacingError(_("The key passphrase must have at least 12 characters."))
    return value.encode("utf-8")


def run_pack_verb(path: Path, args: argparse.Namespace) -> int:
    from app.core.domain.packs.authoring import build_pack
    from app.core.services.storage import open_database
    from app.fileio import atomic_write_bytes

    if args.action == "build":
        pack, data = build_pack(args.source)
        atomic_write_bytes(args.out, data)
        print(
            _(
                "Pack {pack} version {version} is valid: {criteria} criteria, {indicators} "
                "indicators; written to {out}."
            ).format(
                pack=pack.pack_id,
                version=pack.version,
                criteria=len(pack.criteria),
                indicators=len(pack.indicators),
                out=args.out,
            )
        )
        return 0
    if args.action in ("init-repo", "sign"):
        return _publish(args)
    if not path.exists():
        raise UserFacingError(_("There is no database at {path}.").format(path=path))
    db = open_database(path)
    try:
        return _station_action(db, args)
    finally:
        db.close()


def _publish(args: argparse.Namespace) -> int:
    from app.core.services import pack_publishing

    passphrase = _passphrase(args)
    if args.action == "init-repo":
        pack_publishing.create_repository(
            args.repo, args.keys, passphrase, args.root_keys, args.threshold
        )
        print(
            _("Repository created in {repo}; keys in {keys}. Keep the root keys offline.").format(
                repo=args.repo, keys=args.keys
            )
        )
        return 0
    added = pack_publishing.publish_packs(args.repo, args.keys, passphrase, args.files)
    print(_("Signed a new release with: {packs}").format(packs=", ".join(added)))
    return 0


def _station_action(db: Database, args: argparse.Namespace) -> int:
    from app.core.services import packs as service
    from app.core.services.station_service import default_author

    now = datetime.now(UTC)
    if args.action == "list":
        for info in service.installed(db):
            flags = " ".join(
                filter(
                    None,
                    (
                        _("draft") if info.draft else "",
                        _("EXPIRED") if info.expired(now.date()) else "",
                    ),
                )
            )
            print(f"{info.pack_id}  v{info.version}  {info.title}  {flags}".rstrip())
        return 0
    if args.action == "history":
        for event in service.history(db):
            print(_history_line(event))
        return 0
    _warn_clock(db, now)
    if args.action == "inspect":
        _print_inspection(service.inspect(db, args.path, now))
        return 0
    from app.cli.common import actor_of
    from app.core.domain.access import Permission, require
    from app.core.services.backup_steps import automatic_backup

    actor = actor_of(args)
    author = actor.display_name if actor else default_author()
    if actor is not None:
        require(actor, Permission.IMPORT_PACKS)  # before the backup it would take
    try:
        inspection = service.install(
            db,
            args.path,
            now,
            author,
            args.packs,
            actor=actor,
            before_write=lambda: automatic_backup(db.path, "before-import"),
        )
    except service.NothingInstalled as nothing:
        _print_inspection(nothing.inspection)
        raise
    _print_inspection(inspection)
    done = [p for p in inspection.installable if args.packs is None or p.pack.pack_id in args.packs]
    print(
        _("Installed: {packs}.").format(
            packs=", ".join(f"{p.pack.pack_id} v{p.pack.version}" for p in done)
        )
    )
    return 0


def _warn_clock(db: Database, now: datetime) -> None:
    """The same warning the packs screen shows when the PC clock was set back."""
    from app.core.services import packs as service

    if service.clock_is_behind(db, now):
        print(
            _(
                "The computer's clock is behind a date this station has "
                "already seen. Correct the clock; expiry checks use the later "
                "date."
            ),
            file=sys.stderr,
        )


def _history_line(event: service.PackEventInfo) -> str:
    line = (
        f"{event.at.astimezone():%d/%m/%Y %H:%M}  {event.pack_id} v{event.version}  "
        f"{event.action}  {event.by}"
    )
    if event.trusted_at is not None and abs(event.trusted_at - event.at).total_seconds() > 300:
        line += "  " + _("(trusted time {time}: the PC clock was behind)").format(
            time=f"{event.trusted_at.astimezone():%d/%m/%Y %H:%M}"
        )
    return line


def _print_inspection(inspection: service.Inspection) -> None:
    if inspection.development_root:
        print(_("WARNING: this station trusts the DEVELOPMENT root; not for real use."))
    for plan in inspection.plans:
        counts = plan.diff.counts()
        line = _("{pack} v{version} ({title}): {action}").format(
            pack=plan.pack.pack_id,
            version=plan.pack.version,
            title=plan.pack.title,
            action=_(_ACTIONS.get(plan.action, plan.action)),
        )
        print(line + (f" – {plan.reason}" if plan.reason else ""))
        if plan.installable:
            print(
                "   "
                + _("criteria +{ca} ~{cc} −{cr}; indicators +{ia} ~{ic} −{ir}").format(
                    ca=counts["criteria_added"],
                    cc=counts["criteria_changed"],
                    cr=counts["criteria_removed"],
                    ia=counts["indicators_added"],
                    ic=counts["indicators_changed"],
                    ir=counts["indicators_removed"],
                )
            )


_ACTIONS = {
    "install": N_("new, will be installed"),
    "upgrade": N_("newer, will be upgraded"),
    "same": N_("already installed"),
    "refused": N_("refused"),
}
