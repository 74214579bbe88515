"""The backups kept beside the database, and the user accounts, as tables."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QObject

from app.core.domain.access import role_label
from app.core.domain.formatting import format_date
from app.core.services import backup_steps as backup
from app.core.services.accounts import UserInfo
from app.i18n import N_, _
from app.ui.models.row_model import Column, RowTableModel

REASONS = {
    "daily": N_("daily (automatic)"),
    "manual": N_("taken by hand"),
    "before-import": N_("before an import"),
    "before-restore": N_("before a restore"),
    "usb": N_("brought from a USB stick"),
}


STATES = {
    backup.VERIFIED: N_("verified"),
    backup.PENDING: N_("being checked"),
    backup.FAILED: N_("check failed"),
}


def state_label(state: str) -> str:
    return _(STATES[state]) if state in STATES else state


def reason_label(reason: str) -> str:
    if reason in REASONS:
        return _(REASONS[reason])
    if reason.startswith("before-"):
        return _("before an upgrade of the database")
    return reason


def when_text(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{format_date(local.date())} {local:%H:%M}"


def size_text(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB"


class BackupTableModel(RowTableModel[backup.ListedBackup]):
    """The backups, newest first as listed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(
                    _("Taken at"), lambda b: when_text(b.created_at), sort=lambda b: b.created_at
                ),
                Column(_("Why"), lambda b: reason_label(b.reason)),
                Column(_("Checked"), lambda b: state_label(b.state)),
                Column(_("Taken by"), lambda b: b.taken_by),
                Column(_("Size"), lambda b: size_text(b.size), sort=lambda b: b.size),
                Column(_("File"), lambda b: b.path.name),
            ],
            parent,
        )


def user_state(user: UserInfo) -> str:
    if user.disabled:
        return _("disabled")
    if user.locked_until is not None:
        return _("locked until {when}").format(when=when_text(user.locked_until))
    if user.must_change_password:
        return _("must change the password")
    return _("active")


class UserTableModel(RowTableModel[UserInfo]):
    """The accounts of this station (no hash, no key: ``UserInfo`` holds none)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(
            [
                Column(_("User name"), lambda u: u.username),
                Column(_("Full name"), lambda u: u.display_name),
                Column(_("Role"), lambda u: role_label(u.role)),
                Column(_("State"), user_state),
                Column(
                    _("Password set"),
                    lambda u: when_text(u.password_changed_at),
                    sort=lambda u: u.password_changed_at,
                ),
            ],
            parent,
        )
