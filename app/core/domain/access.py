"""Roles and permissions of the station's users: who may do what (no I/O).

An *officer* enters data and can make a backup; the *chief* also approves, locks periods, signs
reports and exports (or, at the province, imports) sync bundles; the *administrator* sets the
station up and manages keys, users and restores, but neither enters nor approves data. Services
call :func:`require` before acting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.domain.errors import UserFacingError
from app.i18n import N_, _


class Role(StrEnum):
    OFFICER = "officer"
    CHIEF = "chief"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.OFFICER: N_("Officer"),
    Role.CHIEF: N_("Station chief"),
    Role.ADMIN: N_("Administrator"),
}


def role_label(role: Role) -> str:
    return _(ROLE_LABELS[role])


class Permission(StrEnum):
    VIEW = "view"
    EDIT_RECORDS = "edit_records"
    EDIT_INDICATORS = "edit_indicators"
    EDIT_ASSESSMENT = "edit_assessment"
    APPROVE = "approve"
    LOCK_PERIOD = "lock_period"
    SIGN_REPORTS = "sign_reports"
    EXPORT_BUNDLES = "export_bundles"
    IMPORT_BUNDLES = "import_bundles"  # the province receiving ward bundles
    IMPORT_PACKS = "import_packs"
    MANAGE_KEYS = "manage_keys"
    MANAGE_USERS = "manage_users"
    RESTORE_BACKUP = "restore_backup"
    CREATE_BACKUP = "create_backup"
    SET_UP = "set_up"


_OFFICER = frozenset(
    {
        Permission.VIEW,
        Permission.EDIT_RECORDS,
        Permission.EDIT_INDICATORS,
        Permission.EDIT_ASSESSMENT,
        Permission.CREATE_BACKUP,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: _OFFICER,
    Role.CHIEF: _OFFICER
    | {
        Permission.APPROVE,
        Permission.LOCK_PERIOD,
        Permission.SIGN_REPORTS,
        Permission.EXPORT_BUNDLES,
        Permission.IMPORT_BUNDLES,
        Permission.IMPORT_PACKS,
    },
    Role.ADMIN: frozenset(
        {
            Permission.VIEW,
            Permission.SET_UP,
            Permission.MANAGE_KEYS,
            Permission.MANAGE_USERS,
            Permission.RESTORE_BACKUP,
            Permission.CREATE_BACKUP,
            Permission.IMPORT_PACKS,
        }
    ),
}


@dataclass(frozen=True)
class Actor:
    username: str
    display_name: str
    role: Role
    # in-process code that no user drives (demo data, migrations, tests): every right. The GUI
    # and the CLI never make one; they act as the user who logged in.
    trusted: bool = False

    def can(self, permission: Permission) -> bool:
        return self.trusted or permission in ROLE_PERMISSIONS[self.role]


class PermissionDenied(UserFacingError):
    """The logged-in user's role does not allow the action."""


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(
            _("Your account ({role}) is not allowed to do this.").format(
                role=role_label(actor.role)
            ),
            hint=_("Ask the station chief or the administrator."),
        )
