"""What every use-case service of a station starts from: the database, who is acting, the
clock and the station's own unit."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, date, datetime

from app.core.profile import own_unit_id
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


class StationService:
    """Base of the record, indicator and assessment services (clock and today injectable)."""

    def __init__(
        self,
        db: Database,
        *,
        author: str | None = None,
        clock: Clock = utc_now,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.db = db
        self.author = author or default_author()
        self.clock = clock
        self.today = today
        self.unit_id = own_unit_id(db)
