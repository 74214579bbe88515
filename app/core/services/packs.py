"""Inspect and install criteria packs from a repository folder; list what is installed.

Install is verify-then-commit: the folder is verified with TUF (``app.sync.tuf_client``), each
pack is parsed and checked against what is installed (no rollback, codes keep their meaning,
required packs present, not already expired), and only then one database transaction stores
the packs, the install history and the new trusted TUF metadata together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.domain.access import Actor, Permission, require
from app.core.domain.errors import NotFound, UserFacingError
from app.core.domain.packs.diff import PackDiff, diff_packs, meaning_changes
from app.core.domain.packs.loader import PackError, load_pack, rule_indicators
from app.core.domain.packs.model import Indicator, Pack
from app.core.services.station_service import acting
from app.db.engine import Database
from app.db.models import AppMeta
from app.db.pack_models import InstalledPack, PackEvent, TrustedMetadata
from app.i18n import _
from app.paths import resources_dir

if TYPE_CHECKING:
    from app.sync.tuf_client import VerifiedRepository

# python-tuf (with its HTTP client) is imported only when a repository is verified: reading
# the installed packs, which every indicator and assessment screen does, must stay light.

LKT_KEY = "latest_known_time"
TRUSTED_AT = "trusted_at"
BUNDLED_REPOSITORY = "bundled"


@dataclass(frozen=True)
class InstalledPackInfo:
    pack_id: str
    version: int
    title: str
    draft: bool
    expires: date | None
    installed_at: datetime
    source: str

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires


@dataclass(frozen=True)
class PackPlan:
    """What installing one pack of a repository would do."""

    pack: Pack
    installed_version: int | None
    action: str  # "install", "upgrade", "same" or "refused"
    reason: str
    diff: PackDiff
    data: bytes = field(default=b"", repr=False, compare=False)

    @property
    def installable(self) -> bool:
        return self.action in ("install", "upgrade")


@dataclass(frozen=True)
class Inspection:
    source: str
    plans: tuple[PackPlan, ...]
    development_root: bool
    repository: VerifiedRepository
    today: date
    # the time expiry was checked against: the later of the PC clock and the latest time this
    # station has seen, so a clock set back cannot revive expired packs
    trusted_at: datetime | None = None
    clock_behind: bool = False

    @property
    def installable(self) -> tuple[PackPlan, ...]:
        return tuple(plan for plan in self.plans if plan.installable)


class NothingInstalled(UserFacingError):
    """No pack of the repository can be installed: nothing was stored, not even the newer
    signed metadata or the time seen (a refusal leaves the station exactly as it was)."""

    def __init__(self, inspection: Inspection) -> None:
        reasons = [
            _("{pack} v{version}: {reason}").format(
                pack=plan.pack.pack_id,
                version=plan.pack.version,
                reason=plan.reason or _("already installed"),
            )
            for plan in inspection.plans
        ]
        super().__init__(
            _("No pack was installed.") + "\n" + "\n".join(reasons),
            hint=_("Ask the province police for a newer release of the packs if one is needed."),
        )
        self.inspection = inspection


@dataclass(frozen=True)
class PackEventInfo:
    pack_id: str
    version: int
    from_version: int | None
    action: str
    summary: dict[str, int]
    at: datetime  # the PC clock
    by: str
    trusted_at: datetime | None = None  # the time expiry was checked against (None: older)


# --- reading what is installed ----------------------------------------------------------------


def installed(db: Database) -> list[InstalledPackInfo]:
    with db.read() as session:
        rows = session.execute(
            select(InstalledPack).order_by(InstalledPack.pack_id, InstalledPack.version)
        ).scalars()
        return [
            InstalledPackInfo(
                r.pack_id, r.version, r.title, r.draft, r.expires, r.installed_at, r.source
            )
            for r in rows
        ]


@lru_cache(maxsize=64)
def _parse(content: str) -> Pack:
    return load_pack(content.encode("utf-8"))


def load_installed(db: Database, pack_id: str, version: int | None = None) -> Pack:
    """The installed pack (its newest version unless ``version`` is given)."""
    with db.read() as session:
        statement = select(InstalledPack.content).where(InstalledPack.pack_id == pack_id)
        if version is None:
            statement = statement.order_by(InstalledPack.version.desc()).limit(1)
        else:
            statement = statement.where(InstalledPack.version == version)
        content = session.execute(statement).scalar_one_or_none()
    if content is None:
        raise NotFound(
            _("The criteria pack {pack} is not installed.").format(
                pack=pack_id if version is None else f"{pack_id} v{version}"
            )
        )
    return _parse(content)


def active_packs(db: Database) -> list[Pack]:
    """The newest installed version of every pack."""
    with db.read() as session:
        newest = (
            select(InstalledPack.pack_id, func.max(InstalledPack.version).label("v"))
            .group_by(InstalledPack.pack_id)
            .subquery()
        )
        contents = (
            session.execute(
                select(InstalledPack.content)
                .join(
                    newest,
                    (InstalledPack.pack_id == newest.c.pack_id)
                    & (InstalledPack.version == newest.c.v),
                )
                .order_by(InstalledPack.pack_id)
            )
            .scalars()
            .all()
        )
    return [_parse(content) for content in contents]


def installed_versions_of(session: Session) -> dict[str, dict[int, Pack]]:
    """Every installed version of every pack, read in ``session``: the province checks a
    ward's approvals against the pack versions the ward may have used."""
    found: dict[str, dict[int, Pack]] = {}
    for pack_id, version, content in session.execute(
        select(InstalledPack.pack_id, InstalledPack.version, InstalledPack.content)
    ):
        found.setdefault(pack_id, {})[int(version)] = _parse(content)
    return found


def indicator_catalogue(packs: Iterable[Pack]) -> list[Indicator]:
    return [indicator for pack in packs for indicator in pack.indicators]


def history(db: Database) -> list[PackEventInfo]:
    with db.read() as session:
        rows = session.execute(select(PackEvent).order_by(PackEvent.id.desc())).scalars()
        return [_event_info(row) for row in rows]


def _event_info(row: PackEvent) -> PackEventInfo:
    # The trusted time rides in the summary's JSON (no schema change): "trusted_at", ISO 8601.
    summary = json.loads(row.summary or "{}")
    trusted = summary.pop(TRUSTED_AT, None)
    return PackEventInfo(
        row.pack_id,
        row.version,
        row.from_version,
        row.action,
        summary,
        row.at,
        row.by,
        datetime.fromisoformat(trusted) if isinstance(trusted, str) else None,
    )


# --- trust state -----------------------------------------------------------------------------


def _trusted(session: Session) -> dict[str, bytes]:
    from app.sync import tuf_client

    rows = session.execute(select(TrustedMetadata)).scalars().all()
    trusted = {row.role: row.content.encode("utf-8") for row in rows}
    trusted.setdefault("root", tuf_client.embedded_root())
    return trusted


def latest_known_time(session: Session) -> datetime | None:
    row = session.get(AppMeta, LKT_KEY)
    return datetime.fromisoformat(row.value) if row else None


def _remember_time(session: Session, moment: datetime) -> None:
    row = session.get(AppMeta, LKT_KEY)
    if row is None:
        session.add(AppMeta(key=LKT_KEY, value=moment.isoformat()))
    elif datetime.fromisoformat(row.value) < moment:
        row.value = moment.isoformat()


def trusts_development_root(db: Database) -> bool:
    from app.sync import tuf_client

    with db.read() as session:
        return tuf_client.is_development_root(_trusted(session)["root"])


def clock_is_behind(db: Database, now: datetime) -> bool:
    """True when the PC clock is more than a day behind a time this station has already seen."""
    with db.read() as session:
        known = latest_known_time(session)
    return _behind(known, now)


def _behind(known: datetime | None, now: datetime) -> bool:
    return known is not None and (known - now).total_seconds() > 86400


# --- planning --------------------------------------------------------------------------------


def _installed_versions(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(InstalledPack.pack_id, func.max(InstalledPack.version)).group_by(
            InstalledPack.pack_id
        )
    ).all()
    return {pack_id: int(version) for pack_id, version in rows}


def _plan(
    pack: Pack, data: bytes, session: Session, batch: Sequence[Pack], today: date
) -> PackPlan:
    versions = _installed_versions(session)
    current_version = versions.get(pack.pack_id)
    current = None
    if current_version is not None:
        content = session.execute(
            select(InstalledPack).where(
                InstalledPack.pack_id == pack.pack_id,
                InstalledPack.version == current_version,
            )
        ).scalar_one()
        current = _parse(content.content)
        if current_version > pack.version:
            return PackPlan(
                pack,
                current_version,
                "refused",
                _(
                    "version {new} is older than the installed version {old} (rollback refused)"
                ).format(new=pack.version, old=current_version),
                PackDiff(),
                data,
            )
        if current_version == pack.version:
            same = content.sha256 == hashlib.sha256(data).hexdigest()
            reason = "" if same else _("same version number but different content: refused")
            return PackPlan(
                pack, current_version, "same" if same else "refused", reason, PackDiff(), data
            )
    diff = diff_packs(current, pack)
    reason = _refusal(pack, current, session, batch, today)
    action = "refused" if reason else ("upgrade" if current else "install")
    return PackPlan(pack, current_version, action, reason, diff, data)


def _refusal(
    pack: Pack, current: Pack | None, session: Session, batch: Sequence[Pack], today: date
) -> str:
    if pack.is_expired(today):
        return _("the pack expired on {date}; an expired pack is never newly installed").format(
            date=pack.expires.strftime("%d/%m/%Y") if pack.expires else ""
        )
    if current is not None and (changed := meaning_changes(current, pack)):
        return _("codes would change meaning: {codes}").format(codes=", ".join(changed))
    others = [p for p in _active_from(session) if p.pack_id != pack.pack_id]
    others += [p for p in batch if p.pack_id != pack.pack_id]
    taken = {i.code for p in others for i in p.indicators}
    clash = sorted({i.code for i in pack.indicators} & taken)
    if clash:
        return _("indicator codes already defined by another pack: {codes}").format(
            codes=", ".join(clash)
        )
    available = {p.pack_id: p for p in others}
    missing = [pid for pid in pack.requires if pid not in available]
    if missing:
        return _("it needs the pack(s) {packs}, which are not installed").format(
            packs=", ".join(missing)
        )
    known = {i.code for pid in pack.requires for i in available[pid].indicators}
    known |= {i.code for i in pack.indicators}
    unknown = sorted(
        {code for c in pack.criteria if c.rule for code in rule_indicators(c.rule)} - known
    )
    if unknown:
        return _("its rules use indicators no installed pack defines: {codes}").format(
            codes=", ".join(unknown)
        )
    return ""


def _active_from(session: Session) -> list[Pack]:
    versions = _installed_versions(session)
    packs = []
    for pack_id, version in versions.items():
        content = session.execute(
            select(InstalledPack.content).where(
                InstalledPack.pack_id == pack_id, InstalledPack.version == version
            )
        ).scalar_one()
        packs.append(_parse(content))
    return packs


@dataclass(frozen=True)
class _Verified:
    repository: VerifiedRepository
    development_root: bool
    trusted_at: datetime  # the later of the PC clock and the latest time seen
    clock_behind: bool


def _verify(db: Database, folder: Path, now: datetime) -> _Verified:
    """Verify with TUF; also say the effective time: a clock set back is not believed."""
    from app.sync import tuf_client

    with db.read() as session:
        trusted = _trusted(session)
        known = latest_known_time(session)
    repository = tuf_client.verify_repository(folder, trusted, now, known)
    effective = max(now, known) if known else now
    development = tuf_client.is_development_root(trusted["root"])
    return _Verified(repository, development, effective, _behind(known, now))


def _parse_targets(repository: VerifiedRepository) -> list[tuple[Pack, bytes]]:
    parsed = []
    for path, data in repository.packs.items():
        try:
            parsed.append((load_pack(data), data))
        except PackError as error:
            raise PackError([f"{path}: {problem}" for problem in error.problems]) from None
    if not parsed:
        raise UserFacingError(_("The repository holds no criteria packs."))
    return parsed


def inspect(db: Database, folder: Path, now: datetime) -> Inspection:
    """Verify ``folder`` and say what installing each pack would change. Writes nothing."""
    verified = _verify(db, folder, now)
    parsed = _parse_targets(verified.repository)
    batch = [pack for pack, _data in parsed]
    today = verified.trusted_at.date()
    with db.read() as session:
        plans = tuple(_plan(pack, data, session, batch, today) for pack, data in parsed)
    return Inspection(
        str(folder),
        plans,
        verified.development_root,
        verified.repository,
        today,
        verified.trusted_at,
        verified.clock_behind,
    )


# --- installing ------------------------------------------------------------------------------


def install(
    db: Database,
    folder: Path,
    now: datetime,
    author: str,
    pack_ids: Iterable[str] | None = None,
    source: str | None = None,
    actor: Actor | None = None,
    before_write: Callable[[], object] | None = None,
) -> Inspection:
    """Verify ``folder`` and install its installable packs (or those in ``pack_ids``) in one
    transaction, with the newer signed metadata and the time seen. Refused packs change
    nothing; when no pack can be installed, ``NothingInstalled`` is raised and nothing at all
    is stored; an error leaves the database as it was. ``before_write`` runs just before the
    write (the automatic backup), only when there is something to install. ``actor`` is the
    logged-in user (None: trusted in-process code, see station_service)."""
    require(acting(author, actor)[1], Permission.IMPORT_PACKS)
    inspection = inspect(db, folder, now)
    wanted = set(pack_ids) if pack_ids is not None else None
    chosen = [
        plan
        for plan in inspection.plans
        if plan.installable and (wanted is None or plan.pack.pack_id in wanted)
    ]
    if not chosen:
        raise NothingInstalled(inspection)
    if before_write is not None:
        before_write()
    trusted_at = inspection.trusted_at or now
    with db.write() as session:
        # Re-plan inside the write transaction: another instance may have installed since.
        batch = [plan.pack for plan in chosen]
        for plan in chosen:
            data = plan.data
            fresh = _plan(plan.pack, data, session, batch, inspection.today)
            if not fresh.installable:
                raise UserFacingError(
                    _("The pack {pack} can no longer be installed: {reason}").format(
                        pack=plan.pack.pack_id, reason=fresh.reason
                    )
                )
            _store(session, fresh, data, source or str(folder), (now, trusted_at), author)
        _store_trust(session, inspection.repository, now)
    return inspection


def _store(
    session: Session,
    plan: PackPlan,
    data: bytes,
    source: str,
    times: tuple[datetime, datetime],
    author: str,
) -> None:
    """Store one pack and its history entry; ``times``: the PC clock and the trusted time."""
    now, trusted_at = times
    pack = plan.pack
    session.add(
        InstalledPack(
            pack_id=pack.pack_id,
            version=pack.version,
            title=pack.title,
            draft=pack.draft,
            expires=pack.expires,
            sha256=hashlib.sha256(data).hexdigest(),
            content=data.decode("utf-8"),
            source=source,
            installed_at=now,
            installed_by=author,
        )
    )
    session.add(
        PackEvent(
            pack_id=pack.pack_id,
            version=pack.version,
            from_version=plan.installed_version,
            action=plan.action,
            summary=json.dumps({**plan.diff.counts(), TRUSTED_AT: trusted_at.isoformat()}),
            at=now,
            by=author,
        )
    )


def _store_trust(session: Session, repository: VerifiedRepository, now: datetime) -> None:
    for role, data in repository.metadata.items():
        version = repository.versions[role]
        row = session.get(TrustedMetadata, role)
        if row is None:
            session.add(
                TrustedMetadata(
                    role=role, version=version, content=data.decode("utf-8"), updated_at=now
                )
            )
        elif version > row.version:
            row.version, row.content, row.updated_at = version, data.decode("utf-8"), now
        elif version < row.version:
            raise UserFacingError(
                _("The {role} metadata went back from version {old} to {new}: refused.").format(
                    role=role, old=row.version, new=version
                )
            )
    _remember_time(session, now)


def bundled_repository() -> Path:
    return resources_dir() / "packs" / "repository"


def install_bundled(db: Database, now: datetime, author: str) -> Inspection:
    """Install the default packs shipped with the app (signed with its root) if not present;
    a station that already has them, or newer ones, is left as it is."""
    try:
        return install(db, bundled_repository(), now, author, source=BUNDLED_REPOSITORY)
    except NothingInstalled as nothing:
        return nothing.inspection
