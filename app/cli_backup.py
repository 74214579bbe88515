"""``modelward backup create|verify|list|restore|to-usb|from-usb``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from app.core.errors import UserFacingError
from app.i18n import _

PASSPHRASE_ENV = "MODELWARD_BACKUP_PASSPHRASE"


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = verbs.add_parser("backup", help=_("back up, check and restore the database"))
    actions = backup.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("create", help=_("take a verified backup now"))
    actions.add_parser("list", help=_("list the backups kept beside the database"))
    verify = actions.add_parser("verify", help=_("check a backup file completely"))
    verify.add_argument("file", type=Path)
    restore = actions.add_parser(
        "restore", help=_("replace the database with a backup (the current one is kept)")
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--yes", action="store_true", help=_("do not ask for confirmation"))
    to_usb = actions.add_parser("to-usb", help=_("write a backup encrypted to a USB stick"))
    to_usb.add_argument("--out", type=Path, required=True)
    to_usb.add_argument("--file", type=Path, help=_("the backup to copy (default: the newest)"))
    from_usb = actions.add_parser(
        "from-usb", help=_("bring an encrypted backup from a USB stick into the backups folder")
    )
    from_usb.add_argument("file", type=Path)


def _passphrase(confirm: bool) -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    import getpass

    value = getpass.getpass(_("Backup passphrase: "))
    if confirm and getpass.getpass(_("Type the passphrase again: ")) != value:
        raise UserFacingError(_("The two passphrases differ."))
    return value


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB"


def run_backup_verb(path: Path, args: argparse.Namespace) -> int:
    from app.core import backup

    if args.action == "verify":
        info = backup.verify_backup(args.file)
        print(
            _("Backup intact: {name}, taken {when}, {size}, SHA-256 {sha}.").format(
                name=info.path.name,
                when=f"{info.created_at.astimezone():%d/%m/%Y %H:%M}",
                size=_size(info.size),
                sha=info.sha256[:16],
            )
        )
        return 0
    if args.action == "from-usb":
        info = backup.import_encrypted(args.file, path, _passphrase(confirm=False))
        print(_("Backup brought in and verified: {path}").format(path=info.path))
        return 0
    if not path.exists():
        raise UserFacingError(_("There is no database at {path}.").format(path=path))
    if args.action == "create":
        info = backup.create_backup(path, "manual")
        backup.rotate(path)
        print(_("Backup taken and verified: {path}").format(path=info.path))
        return 0
    if args.action == "list":
        from app.db.cipher import is_encrypted

        for listed in backup.list_backups(path):
            # an administrator checks here that no plaintext copy is left after the upgrade
            state = _("encrypted") if is_encrypted(listed.path) else _("not encrypted")
            print(
                f"{listed.created_at.astimezone():%d/%m/%Y %H:%M}  {listed.reason:<16} "
                f"{_size(listed.size):>10}  {state:<14}  {listed.path}"
            )
        return 0
    if args.action == "to-usb":
        source = args.file
        if source is None:
            newest = backup.list_backups(path)
            if not newest:
                raise UserFacingError(
                    _("There is no backup yet."), hint=_("Run 'modelward backup create' first.")
                )
            source = newest[0].path
        written = backup.export_encrypted(source, args.out, _passphrase(confirm=True))
        print(_("Encrypted backup written: {path}").format(path=written))
        return 0
    assert args.action == "restore"
    info = backup.verify_backup(args.file)
    if not args.yes:
        answer = input(
            _(
                "Replace the database with the backup of {when}? Changes made since then are "
                "kept only in the safety backup. Type 'yes' to go on: "
            ).format(when=f"{info.created_at.astimezone():%d/%m/%Y %H:%M}")
        )
        if answer.strip().lower() not in ("yes", "có", "co"):
            print(_("Nothing was changed."))
            return 1
    from app.core.station_service import default_author

    result = backup.restore_backup(path, args.file, actor=default_author())
    print(
        _("Restored from {name}. The database was kept first at {safety}.").format(
            name=result.restored_from.name, safety=result.safety_backup
        )
    )
    print(_("New station instance: {instance}").format(instance=result.new_instance_id))
    return 0
