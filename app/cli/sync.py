"""``modelward keys|trust|bundle|receipt|province …``: sync from the command line.

The key passphrase is read from ``MODELWARD_KEY_PASSPHRASE`` or asked for on the terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli import province as cli_province
from app.cli.common import passphrase, read_file
from app.core.domain.errors import UserFacingError
from app.core.domain.outcomes import outcome_label
from app.i18n import _

if TYPE_CHECKING:
    from app.core.services.storage import Database
    from app.core.services.sync.keys import StationKeys
    from app.core.services.sync.province.imports import ProvinceSync
    from app.core.services.sync.ward import WardSync


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keys = verbs.add_parser("keys", help=_("this station's signing and encryption keys"))
    key_actions = keys.add_subparsers(dest="action", metavar="ACTION", required=True)
    key_actions.add_parser("create", help=_("create the station keys (once)"))
    key_actions.add_parser("show", help=_("show the key fingerprints for enrollment"))
    request = key_actions.add_parser(
        "enrollment", help=_("write the enrollment request for the province")
    )
    request.add_argument("--out", type=Path, required=True)

    trust = verbs.add_parser("trust", help=_("the province trust list"))
    trust_actions = trust.add_subparsers(dest="action", metavar="ACTION", required=True)
    imported = trust_actions.add_parser("import", help=_("import a trust list (ward)"))
    imported.add_argument("file", type=Path)
    imported.add_argument(
        "--fingerprint", help=_("the province key fingerprint, as given on paper (first import)")
    )
    trust_actions.add_parser("show", help=_("show the installed trust list"))
    enroll = trust_actions.add_parser("enroll", help=_("enroll a ward station (province)"))
    enroll.add_argument("file", type=Path)
    enroll.add_argument("--fingerprint", required=True, help=_("as confirmed on paper"))
    enroll.add_argument("--replace-key", action="store_true")
    revoke = trust_actions.add_parser("revoke", help=_("revoke a station's key (province)"))
    revoke.add_argument("station")
    revoke.add_argument("--after-seq", type=int, required=True)
    revoke.add_argument("--reason", required=True)
    cli_province.reopen_argument(revoke)
    publish = trust_actions.add_parser("publish", help=_("sign and write the trust list"))
    publish.add_argument("--out", type=Path, required=True)

    bundle = verbs.add_parser("bundle", help=_("sync bundles: export, inspect, import"))
    bundle_actions = bundle.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = bundle_actions.add_parser("export", help=_("export changes for the province"))
    export.add_argument("--out", type=Path, required=True)
    inspect = bundle_actions.add_parser("inspect", help=_("verify a bundle and show its header"))
    inspect.add_argument("file", type=Path)
    do_import = bundle_actions.add_parser("import", help=_("verify and import bundles"))
    do_import.add_argument("files", type=Path, nargs="+")
    do_import.add_argument("--dry-run", action="store_true")
    do_import.add_argument("--receipts", type=Path, help=_("folder for the receipts"))
    bundle_actions.add_parser("outbox", help=_("list the exported bundles and their state"))
    returned = bundle_actions.add_parser(
        "return", help=_("return an imported bundle for correction")
    )
    returned.add_argument("bundle_id")
    returned.add_argument("--comments", required=True)
    returned.add_argument("--out", type=Path, required=True)
    cli_province.receipt_arguments(bundle_actions)

    receipt = verbs.add_parser("receipt", help=_("province receipts"))
    receipt_actions = receipt.add_subparsers(dest="action", metavar="ACTION", required=True)
    receipt_import = receipt_actions.add_parser("import", help=_("import a receipt (ward)"))
    receipt_import.add_argument("file", type=Path)

    province = verbs.add_parser("province", help=_("the province station"))
    province_actions = province.add_subparsers(dest="action", metavar="ACTION", required=True)
    from app.cli.setup import add_province_setup_parser  # run by app.cli.setup, with its admin

    add_province_setup_parser(province_actions)
    cli_province.add_arguments(province_actions)


def _passphrase(confirm: bool = False) -> str:
    return passphrase(_("Key passphrase: "), variable="MODELWARD_KEY_PASSPHRASE", confirm=confirm)


def run_sync_verb(path: Path, args: argparse.Namespace) -> int:
    if args.verb == "province" and args.action == "setup":
        from app.cli.setup import run_setup_verb  # with its administrator, as ``setup province``

        return run_setup_verb(path, args)
    from app.core.services.storage import open_database

    if not path.exists():
        raise UserFacingError(_("There is no database at {path}.").format(path=path))
    db = open_database(path)
    try:
        from app.core.services import profile

        if profile.is_province(profile.load(db)):
            return _province(db, args)
        return _ward(db, args)
    finally:
        db.close()


def _keys_common(service: object, args: argparse.Namespace) -> int | None:
    from app.core.services.sync.keys import fingerprint

    if args.action == "create":
        public = service.create_keys(_passphrase(confirm=True))  # type: ignore[attr-defined]
        print(_("Keys created."))
    else:
        public = service.public_keys()  # type: ignore[attr-defined]
        if public is None:
            raise UserFacingError(
                _("This station has no keys yet."),
                hint=_("Create them with 'modelward keys create'."),
            )
    print(_("Signing key fingerprint: {fp}").format(fp=fingerprint(public.signing_id)))
    print(_("Encryption key fingerprint: {fp}").format(fp=fingerprint(public.age_id)))
    return 0


def _unlock(service: object) -> StationKeys:
    return service.unlock(_passphrase())  # type: ignore[attr-defined, no-any-return]


def _ward(db: Database, args: argparse.Namespace) -> int:
    from app.cli.common import actor_of
    from app.core.services.sync.ward import WardSync
    from app.fileio import atomic_write_bytes

    ward = WardSync(db, actor=actor_of(args))
    if args.verb == "keys":
        if args.action == "enrollment":
            atomic_write_bytes(args.out, ward.enrollment_request(_unlock(ward)))
            print(_("Enrollment request written to {path}.").format(path=args.out))
            return 0
        return _keys_common(ward, args) or 0
    if args.verb == "trust":
        return _ward_trust(ward, args)
    if args.verb == "bundle" and args.action == "export":
        exported = ward.export(args.out, _unlock(ward))
        print(
            _("Bundle {seq} written to {path}: {n} changes.").format(
                seq=exported.seq, path=exported.path, n=exported.records
            )
        )
        return 0
    if args.verb == "bundle" and args.action == "outbox":
        from app.core.services.sync.ward import OUTBOX_STATES

        for row in ward.outbox():
            print(
                f"{row.seq:>5}  {row.exported_at.astimezone():%d/%m/%Y %H:%M}  "
                f"{row.records:>7}  {_(OUTBOX_STATES[row.state])}  {row.comments}".rstrip()
            )
        return 0
    if args.verb == "receipt" and args.action == "import":
        return _ward_receipt(ward, args)
    raise UserFacingError(_("This command is for the province station."))


def _ward_trust(ward: WardSync, args: argparse.Namespace) -> int:
    if args.action == "import":
        data = read_file(args.file)
        if args.fingerprint is not None and ward.pinned_anchor() is None:
            _check_province_fingerprint(data, args.fingerprint)
        result = ward.import_trust_list(data, args.fingerprint)
        if not result.changed:
            print(_("Trust list version {v} is already installed.").format(v=result.version))
        else:
            print(
                _("Trust list version {v} of {name} installed ({n} stations).").format(
                    v=result.version, name=result.province_name, n=result.stations
                )
            )
        if not result.own_listed:
            print(_("Note: this station is not in the list yet."), file=sys.stderr)
        return 0
    if args.action == "show":
        doc = ward.trust_list()
        if doc is None:
            print(_("No trust list installed."))
            return 0
        print(f"{doc.province_name}  v{doc.version}  {doc.expires:%d/%m/%Y}")
        for station in doc.stations:
            print(f"  {station.station_id}  {station.status}  {station.name}")
        return 0
    raise UserFacingError(_("This command is for the province station."))


def _check_province_fingerprint(data: bytes, given: str) -> None:
    """The first trust list: the typed fingerprint must be its signer's. A wrong one is only
    called wrong; showing the right value would let anyone copy it instead of reading it
    from the province's paper."""
    from app.core.services.sync import keys

    if not keys.trust_list_signer_matches(given, data):
        raise UserFacingError(
            _(
                "The fingerprint does not match the province key of this trust list; nothing was "
                "installed."
            ),
            hint=_(
                "Compare it again, group by group, with the fingerprint the province sent on "
                "paper. If they differ, do not trust this file."
            ),
        )


def _ward_receipt(ward: WardSync, args: argparse.Namespace) -> int:
    receipt = ward.import_receipt(read_file(args.file))
    if not receipt.changed:
        print(_("This receipt was already imported; nothing changed."))
    elif receipt.status == "returned":
        print(
            _("Bundle {seq} was returned for correction: {comments}").format(
                seq=receipt.seq, comments=receipt.comments
            )
        )
    else:
        print(_("Bundle {seq} acknowledged by the province.").format(seq=receipt.seq))
    if receipt.missing_seqs:
        print(
            _("The province has not received bundles: {seqs}").format(
                seqs=", ".join(map(str, receipt.missing_seqs))
            )
        )
    return 0


def _province(db: Database, args: argparse.Namespace) -> int:
    from app.cli.common import actor_of
    from app.core.services.sync.province.imports import ProvinceSync

    province = ProvinceSync(db, actor=actor_of(args))
    if args.verb == "keys" and args.action != "enrollment":
        return _keys_common(province, args) or 0
    if args.verb == "trust":
        return _province_trust(province, args)
    if args.verb == "bundle" and args.action == "inspect":
        header = province.inspect(read_file(args.file))
        for key in ("station_id", "seq", "bundle_id", "created_at", "ciphertext_len"):
            print(f"{key}: {header[key]}")
        print(_("Signature valid for the enrolled station key."))
        return 0
    if args.verb == "bundle" and args.action == "import":
        return _import(province, args)
    if args.verb == "bundle" and args.action == "return":
        out = province.return_for_correction(
            args.bundle_id, args.comments, _unlock(province), args.out
        )
        print(_("Receipt written to {path}.").format(path=out))
        return 0
    if args.verb == "bundle" and args.action == "receipt":
        return cli_province.write_receipt(province, args)
    if args.verb == "province" and args.action == "overview":
        return cli_province.overview(province, args.year)
    if args.verb == "province" and args.action == "resolve-fork":
        return cli_province.resolve_fork(province, args)
    raise UserFacingError(_("This command is for ward stations."))


def _province_trust(province: ProvinceSync, args: argparse.Namespace) -> int:
    from app.core.services.sync import keys

    if args.action == "enroll":
        data = read_file(args.file)
        request = province.read_enrollment(data)
        if not keys.fingerprint_matches(args.fingerprint, request.keys.signing):
            # never show the right value: the officer must read it from the ward's paper
            raise UserFacingError(
                _("The fingerprint does not match the key in the request; nothing was enrolled."),
                hint=_(
                    "Compare it again, group by group, with the fingerprint the ward's chief "
                    "signed on paper. If they differ, the request is not from that station."
                ),
            )
        return cli_province.enroll(province, data, args.replace_key)
    if args.action == "revoke":
        return cli_province.revoke(province, args)
    if args.action == "publish":
        version = province.publish_trust_list(_unlock(province), args.out)
        print(_("Trust list version {v} written to {path}.").format(v=version, path=args.out))
        return 0
    raise UserFacingError(_("This command is for ward stations."))


def _import(province: object, args: argparse.Namespace) -> int:
    reports = province.import_bundles(  # type: ignore[attr-defined]
        args.files, _unlock(province), dry_run=args.dry_run, receipts_dir=args.receipts
    )
    failed = False
    for report in reports:
        line = f"{report.path.name}: {outcome_label(report.outcome, done=True)}"
        if report.station_id:
            line += f"  {report.station_id} #{report.seq}"
        if report.summary:
            line += "  " + _(
                "{new} new, {updated} updated, {duplicate} unchanged, {conflict} conflicts"
            ).format(**report.summary)
        print(line)
        if report.reason and report.outcome != "new":
            print(f"    {report.reason}")
        if report.receipt_problem:
            print(f"    {report.receipt_problem}")
        failed = failed or report.outcome in ("rejected", "fork") or bool(report.receipt_problem)
    if args.dry_run:
        print(_("Dry run: nothing was written."))
    return 1 if failed else 0
