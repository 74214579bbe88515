"""The crash-safety workload: a seeded plan of operations, and the journal the worker keeps.

The worker (``tests.reliability.worker``) and the harness both derive the same plan from the
trial's seed, so the harness knows which operation it is aiming its SIGKILL at. The journal is
an append-only text file the worker fsyncs after every line; a ``committed`` line is written
only after the service call that committed the change has returned, so it proves the change
is durable, while a ``begin`` line without its ``committed`` line marks the operation the kill
interrupted.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

KINDS = ("edit", "import", "export", "backup")
EDIT_PREFIX = "crash-"  # the place of every record the edits create
IMPORT_PREFIX = "import-"  # the place of every imported row: import-<op>-<row>
PLAN_LENGTH = 18
# backups and imports (which take a "before-import" backup) stay under backup.KEEP_OTHER, so
# rotation never removes a backup the journal says was taken
MAX_BACKUPS = 12
TODAY = date(2026, 11, 23)
PASSPHRASE = "mật khẩu trạm 2026"  # the ward keys of the template (tests.sync.bundle_pairs)
AUTHOR = "Cán bộ thử nghiệm"
# the clock the template's trust list was published under (tests.sync.bundle_pairs), an hour
# later: exports stay inside the list's validity whatever the date the tests run
EXPORT_CLOCK = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

BASE_VALUES: dict[str, Any] = {
    "held_on": date(2026, 11, 2),
    "topic": "pccc_cnch",
    "audience": "Nhân dân tổ dân phố",
    "presenter": "Lê Văn Hùng",
}


@dataclass(frozen=True)
class Op:
    """One operation of the plan.

    ``action`` is create/update/delete/restore for an edit, and the kind itself otherwise;
    ``marker`` names the record an edit touches (its place) or an import's batch.
    """

    index: int
    kind: str
    action: str
    marker: str = ""
    attendance: int = 0
    audience: str = ""
    rows: int = 0

    def values(self) -> dict[str, Any]:
        """The full record an edit writes (create, update)."""
        return {
            **BASE_VALUES,
            "place": self.marker,
            "audience": self.audience,
            "attendance": self.attendance,
        }

    def describe(self) -> dict[str, Any]:
        return {
            "n": self.index,
            "action": self.action,
            "marker": self.marker,
            "attendance": self.attendance,
            "audience": self.audience,
            "rows": self.rows,
        }


def _kinds(rng: random.Random, length: int) -> list[str]:
    """Every kind at least twice, edits the most, backups and imports bounded."""
    kinds = [kind for kind in KINDS for _ in range(2)]
    while len(kinds) < length:
        kind = rng.choices(KINDS, weights=(6, 2, 2, 2))[0]
        if kind in ("import", "backup") and kinds.count("import") + kinds.count("backup") >= (
            MAX_BACKUPS
        ):
            kind = "edit"
        kinds.append(kind)
    rng.shuffle(kinds)
    return kinds


def _edit(rng: random.Random, index: int, live: list[str], deleted: list[str]) -> Op:
    roll = rng.random()
    audience = rng.choice(("Nhân dân khối 3", "Học sinh THCS", "Hộ kinh doanh", "Tiểu thương"))
    attendance = rng.randint(1, 3000)
    if not live or roll < 0.35:
        marker = f"{EDIT_PREFIX}{index:02d}"
        live.append(marker)
        return Op(index, "edit", "create", marker, attendance, audience)
    if deleted and roll > 0.9:
        marker = deleted.pop(rng.randrange(len(deleted)))
        live.append(marker)
        return Op(index, "edit", "restore", marker)
    if roll > 0.75:
        marker = live.pop(rng.randrange(len(live)))
        deleted.append(marker)
        return Op(index, "edit", "delete", marker)
    return Op(index, "edit", "update", rng.choice(live), attendance, audience)


def make_plan(seed: int, length: int = PLAN_LENGTH) -> list[Op]:
    """The operations of trial ``seed``, in order (the same in the worker and the harness)."""
    rng = random.Random(seed)
    live: list[str] = []
    deleted: list[str] = []
    plan: list[Op] = []
    for index, kind in enumerate(_kinds(rng, length)):
        if kind == "edit":
            plan.append(_edit(rng, index, live, deleted))
        elif kind == "import":
            plan.append(
                Op(index, kind, kind, f"{IMPORT_PREFIX}{index:02d}", rows=rng.randint(20, 400))
            )
        else:
            plan.append(Op(index, kind, kind))
    return plan


# --- the journal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    event: str  # ready | begin | committed | finished
    kind: str
    data: dict[str, Any]


class Journal:
    """The worker's side: one line per event, fsync'd before the worker goes on."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, event: str, kind: str, data: dict[str, Any]) -> None:
        line = f"{event} {kind} {json.dumps(data, ensure_ascii=False)}\n".encode()
        os.write(self._fd, line)
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def read_journal(path: Path) -> list[Entry]:
    """The complete lines of a journal; a last line the kill cut short is ignored (the event
    it would have recorded is then simply not proven)."""
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.split("\n")[:-1]  # the part after the last newline is incomplete
    entries = []
    for line in lines:
        event, kind, payload = line.split(" ", 2)
        entries.append(Entry(event, kind, json.loads(payload)))
    return entries


@dataclass
class JournalSummary:
    """What the journal proves: the committed operations in order, the one in flight."""

    committed: list[tuple[Op, dict[str, Any]]] = field(default_factory=list)
    in_flight: Op | None = None
    ready: bool = False
    finished: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def phase(self) -> str:
        """Where the kill landed: the kind of the operation in flight, else idle/startup."""
        if self.in_flight is not None:
            return self.in_flight.kind
        if self.finished:
            return "finished"
        return "idle" if self.ready else "startup"


def summarize(entries: list[Entry], plan: list[Op]) -> JournalSummary:
    summary = JournalSummary()
    expected = 0
    for entry in entries:
        if entry.event == "ready":
            summary.ready = True
        elif entry.event == "finished":
            summary.finished = True
        elif entry.event == "begin":
            if summary.in_flight is not None:
                summary.problems.append(f"journal: op {summary.in_flight.index} never committed")
            op = plan[entry.data["n"]]
            if entry.data["n"] != expected or entry.data != op.describe():
                summary.problems.append(f"journal: begin {entry.data} does not follow the plan")
            summary.in_flight = op
            expected += 1
        elif entry.event == "committed":
            op = summary.in_flight
            if op is None or entry.data.get("n") != op.index:
                summary.problems.append(f"journal: committed {entry.data} was never begun")
                continue
            summary.committed.append((op, entry.data))
            summary.in_flight = None
    return summary
