"""What every use-case service of a station starts from: the database, who is acting, the
clock and the station's own unit.

Who is acting is an :class:`~app.security.accounts.Actor`, the user logged in to the GUI or the
CLI; every mutating method calls :meth:`StationService.require` first, so a role's limits hold
whatever screen or command calls the service. Without an actor the service stands for trusted
in-process code (demo data, migrations, tests): a ``trusted`` actor with every right, under the
operating-system login's name. The GUI and the CLI always pass the logged-in user.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, date, datetime

from app.core.domain.access import Actor, Permission, Role, require
from app.core.services.profile import own_unit_id
from app.db.engine import Database

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_author() -> str:
    """Until accounts exist, the author is the operating-system login of the station PC."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def acting(author: str | None, actor: Actor | None) -> tuple[str, Actor]:
    """The name written into rows and the actor whose rights apply (see the module notes)."""
    if actor is None:
        name = author or default_author()
        return name, Actor(name, name, Role.CHIEF, trusted=True)
    return author or actor.display_name, actor


class StationService:
    """Base of the record, indicator and assessment services (clock and today injectable)."""

    def __init__(
        self,
        db: Database,
        *,
        author: str | None = None,
        actor: Actor | None = None,
        clock: Clock = utc_now,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db = db
        self.author, self.actor = acting(author, actor)
        self.clock = clock
        self.today = today
        self.unit_id = own_unit_id(db)

    def require(self, permission: Permission) -> None:
        """Refuse (PermissionDenied, in Vietnamese) unless the acting user's role allows it."""
        require(self.actor, permission)
