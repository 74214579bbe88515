"""``modelward backup create|verify|list|restore|to-usb|from-usb``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import passphrase
from app.core.domain.errors import UserFacingError
from app.i18n import _

if TYPE_CHECKING:
    from app.core.services.backups import BackupService

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
    return passphrase(_("Backup passphrase: "), variable=PASSPHRASE_ENV, confirm=confirm)


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB"


def run_backup_verb(path: Path, args: argparse.Namespace) -> int:
    """Each verb goes through ``BackupService`` as the logged-in user: it checks the role and
    records that user (never the operating-system login)."""
    from app.cli.common import actor_of
    from app.core.domain.access import Permission
    from app.core.services.backups import BackupService

    service = BackupService(path, actor_of(args))
    if args.action == "verify":
        info = service.verify(args.file)
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
        service.require(Permission.RESTORE_BACKUP)  # before the passphrase is asked
        info = service.bring_from_usb(args.file, _passphrase(confirm=False))
        print(_("Backup brought in and verified: {path}").format(path=info.path))
        return 0
    if args.action == "restore":
        return _restore(service, args)
    if not path.exists():
        raise UserFacingError(_("There is no database at {path}.").format(path=path))
    if args.action == "create":
        info = service.create()
        print(_("Backup taken and verified: {path}").format(path=info.path))
        return 0
    if args.action == "list":
        return _list(service)
    assert args.action == "to-usb"
    service.require(Permission.CREATE_BACKUP)
    source = args.file
    if source is None:
        newest = service.list()
        if not newest:
            raise UserFacingError(
                _("There is no backup yet."), hint=_("Run 'modelward backup create' first.")
            )
        source = newest[0].path
    written = service.copy_to_usb(source, args.out, _passphrase(confirm=True))
    print(_("Encrypted backup written: {path}").format(path=written))
    return 0


def _list(service: BackupService) -> int:
    from app.core.services.storage import is_encrypted

    for listed in service.list():
        # an administrator checks here that no plaintext copy is left after the upgrade
        state = _("encrypted") if is_encrypted(listed.path) else _("not encrypted")
        print(
            f"{listed.created_at.astimezone():%d/%m/%Y %H:%M}  {listed.reason:<16} "
            f"{_size(listed.size):>10}  {state:<14}  {listed.path}"
        )
    return 0


def _restore(service: BackupService, args: argparse.Namespace) -> int:
    from app.core.domain.access import Permission

    service.require(Permission.RESTORE_BACKUP)  # before the file is read or a question asked
    info = service.verify(args.file)
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
    result = service.restore(args.file)
    print(
        _("Restored from {name}. The database was kept first at {safety}.").format(
            name=result.restored_from.name, safety=result.safety_backup
        )
    )
    print(_("New station instance: {instance}").format(instance=result.new_instance_id))
    return 0
