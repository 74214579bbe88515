"""Running crash trials: copy the template station, start the worker, SIGKILL it at a chosen
operation plus a random delay, then check what is left.

A trial aims at one operation of its plan (the kinds take turns, so every kind of work gets
killed) and waits for the worker to announce it; the kill then follows after a random delay:
drawn over the operation's expected duration, or within its first half-millisecond, or just
after the worker announced one of the operation's COMMITs, so kills land before, inside and
just after its transactions and file writes.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from app.sync.keys import StationKeys
from tests.reliability.checks import Findings, check_station
from tests.reliability.workload import KINDS, Op, make_plan, read_journal, summarize

ROOT = Path(__file__).resolve().parents[2]
TRIALS_ENV = "MODELWARD_CRASH_TRIALS"
DEFAULT_TRIALS = 12  # make test: the module stays well under 40 s on a busy 2-core machine
WORKER_TIMEOUT = 180.0
# until the baseline run has timed them: a guess of each kind's duration, in seconds
FIRST_GUESS = {"edit": 0.01, "import": 0.3, "export": 0.05, "backup": 0.15}


@dataclass(frozen=True)
class Template:
    db_path: Path  # the ward database; its keys folder sits beside it
    keys: StationKeys


# how a trial times its kill once the target operation has begun
SPREAD = "spread"  # anywhere over the operation's expected duration
QUICK = "quick"  # within half a millisecond of its start
COMMIT = "commit"  # just after it sends one of its COMMITs (where it has any)
MODES = ((SPREAD, 5), (QUICK, 2), (COMMIT, 3))  # and how often each is used
COMMITS = {"edit": 1, "import": 1, "export": 2, "backup": 0}  # database commits per kind


def _per_kind() -> dict[str, list[float]]:
    return {kind: [] for kind in KINDS}


@dataclass
class Timings:
    """How long the operations took, by kind, in seconds."""

    durations: dict[str, list[float]] = field(default_factory=_per_kind)
    tails: dict[str, list[float]] = field(default_factory=_per_kind)  # last COMMIT to the end


@dataclass(frozen=True)
class TrialSpec:
    number: int
    seed: int
    target: int  # the index of the operation the kill aims at
    mode: str = SPREAD
    commit: int = 0  # in COMMIT mode: which of the operation's commits

    @property
    def plan(self) -> list[Op]:
        return make_plan(self.seed)


@dataclass
class TrialResult:
    spec: TrialSpec
    station: Station
    phase: str
    findings: Findings
    delay: float = 0.0
    committed: int = 0
    worker_error: str = ""
    timings: Timings = field(default_factory=lambda: Timings())

    @property
    def problems(self) -> list[str]:
        if self.worker_error:
            return [f"worker failed: {self.worker_error}", *self.findings.problems]
        return self.findings.problems


def trial_count(default: int = DEFAULT_TRIALS) -> int:
    return int(os.environ.get(TRIALS_ENV, default))


def plan_trials(count: int, base_seed: int) -> list[TrialSpec]:
    """Trial ``n`` aims at an operation of kind ``KINDS[n % 4]``, picked at random."""
    rng = random.Random(base_seed)
    specs = []
    for number in range(count):
        seed = rng.randrange(1 << 30)
        kind = KINDS[number % len(KINDS)]
        plan = make_plan(seed)
        # never the last operation: a kill overshooting it would find the worker exiting
        targets = [op.index for op in plan[:-1] if op.kind == kind]
        target = rng.choice(targets)
        mode = rng.choices([m for m, _w in MODES], weights=[w for _m, w in MODES])[0]
        if mode == COMMIT and not COMMITS[kind]:
            mode = SPREAD
        specs.append(TrialSpec(number, seed, target, mode, rng.randrange(max(1, COMMITS[kind]))))
    return specs


@dataclass
class Station:
    """One trial's copy of the template: the ward folder, the USB stick, the journal."""

    folder: Path
    db_path: Path
    stick: Path
    journal: Path

    @classmethod
    def in_folder(cls, folder: Path, db_name: str) -> Station:
        return cls(folder, folder / "ward" / db_name, folder / "usb", folder / "journal.txt")

    @classmethod
    def copy_of(cls, template: Template, folder: Path) -> Station:
        station = cls.in_folder(folder, template.db_path.name)
        shutil.copytree(template.db_path.parent, station.db_path.parent)
        station.stick.mkdir()
        return station

    def start_worker(self, seed: int) -> subprocess.Popen[str]:
        env = {**os.environ, "MODELWARD_DATA_DIR": str(self.folder / "data")}
        command = [sys.executable, "-m", "tests.reliability.worker", "--seed", str(seed)]
        command += ["--db", str(self.db_path), "--stick", str(self.stick)]
        command += ["--journal", str(self.journal)]
        with (self.folder / "worker.err").open("wb") as errors:
            return subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
            )

    def worker_errors(self) -> str:
        return (self.folder / "worker.err").read_text(encoding="utf-8", errors="replace")[-2000:]


def _pause_until(moment: float) -> None:
    """Sleep until ``time.monotonic()`` reaches ``moment``, spinning for the last two
    milliseconds (time.sleep overshoots sub-millisecond waits)."""
    if moment - time.monotonic() > 0.002:
        time.sleep(moment - time.monotonic() - 0.002)
    while time.monotonic() < moment:
        pass


class Killer:
    """Follows the worker's announcements and kills it inside the target operation."""

    def __init__(self, spec: TrialSpec, rng: random.Random, baseline: Timings | None) -> None:
        self.spec = spec
        self.rng = rng
        self.plan = spec.plan
        self.baseline = baseline or Timings()
        self.seen = Timings()
        self.typical = {
            kind: statistics.median(self.baseline.durations[kind] or [FIRST_GUESS[kind]])
            for kind in KINDS
        }
        self.slowdown: list[float] = []  # this trial's durations over the typical ones
        self.started: dict[int, float] = {}
        self.commits = 0  # COMMITs announced by the target operation so far
        self.last_commit = 0.0
        self.delay = 0.0

    def _spread(self, kind: str) -> float:
        """Up to half again the kind's typical duration, scaled by how much slower this
        trial runs than the baseline did (the machine may be busy): most kills land inside
        the operation, before or after its commit, some just after it."""
        slowdown = statistics.median(self.slowdown) if self.slowdown else 1.0
        return self.rng.uniform(0, 1.5 * self.typical[kind] * slowdown)

    def _after_commit(self, kind: str) -> float:
        """Within the time from a COMMIT to the end of its operation (SQLite's fsync, then
        the journal's), so kills land on both sides of the moment the commit is durable."""
        tails = self.seen.tails[kind] or self.baseline.tails[kind] or [0.004]
        return self.rng.uniform(0, statistics.median(tails))

    def _kill(self, process: subprocess.Popen[str], moment: float, delay: float) -> bool:
        self.delay = moment - self.started[self.spec.target] + delay
        _pause_until(moment + delay)
        process.send_signal(signal.SIGKILL)
        return True

    def _on_begin(self, process: subprocess.Popen[str], index: int, moment: float) -> bool:
        self.started[index] = moment
        if index != self.spec.target or self.spec.mode == COMMIT:
            return False
        if self.spec.mode == QUICK:
            return self._kill(process, moment, self.rng.uniform(0, 0.0005))
        return self._kill(process, moment, self._spread(self.plan[index].kind))

    def _on_commit(self, process: subprocess.Popen[str], index: int, moment: float) -> bool:
        self.last_commit = moment
        if index != self.spec.target or self.spec.mode != COMMIT:
            return False
        self.commits += 1
        if self.commits <= self.spec.commit:
            return False
        return self._kill(process, moment, self._after_commit(self.plan[index].kind))

    def _on_done(self, process: subprocess.Popen[str], index: int, moment: float) -> bool:
        kind = self.plan[index].kind
        self.seen.durations[kind].append(moment - self.started[index])
        self.slowdown.append(self.seen.durations[kind][-1] / self.typical[kind])
        if self.last_commit >= self.started[index]:
            self.seen.tails[kind].append(moment - self.last_commit)
        # a target that ended without the awaited COMMIT is killed right away
        return index == self.spec.target and self._kill(process, moment, 0.0)

    def follow(self, process: subprocess.Popen[str]) -> bool:
        """Read the announcements; True once the SIGKILL was sent. The worker stamps them
        with its monotonic clock, so a late read does not move the kill."""
        assert process.stdout is not None
        handlers = {"begin": self._on_begin, "commit": self._on_commit, "done": self._on_done}
        for line in process.stdout:
            word, *rest = line.split() or [""]
            if word in handlers and handlers[word](process, int(rest[0]), float(rest[1])):
                return True
        return False


def run_trial(
    spec: TrialSpec,
    template: Template,
    folder: Path,
    baseline: Timings | None = None,
    *,
    keep: bool = False,
) -> TrialResult:
    """One trial in ``folder``, removed afterwards unless it found a problem or ``keep``."""
    station = Station.copy_of(template, folder)
    killer = Killer(spec, random.Random(spec.seed ^ 0x5EED), baseline)
    process = station.start_worker(spec.seed)
    watchdog = threading.Timer(WORKER_TIMEOUT, process.kill)
    watchdog.start()
    try:
        killed = killer.follow(process)
        code = process.wait()
    finally:
        watchdog.cancel()
        assert process.stdout is not None
        process.stdout.close()
    error = ""
    if not killed or code != -signal.SIGKILL:
        error = f"exit code {code} before the kill: {station.worker_errors()}"
    # the worker is dead, so its instance lock is gone and the station can be reopened
    summary = summarize(read_journal(station.journal), spec.plan)
    findings = check_station(station.db_path, station.stick, template.keys, summary)
    if not (keep or error or findings.problems):
        shutil.rmtree(folder, ignore_errors=True)  # 240 stations with their backups add up
    return TrialResult(
        spec,
        station,
        summary.phase,
        findings,
        killer.delay,
        len(summary.committed),
        error,
        killer.seen,
    )


def run_to_completion(template: Template, folder: Path, seed: int) -> TrialResult:
    """The whole plan without a kill (the baseline the checks must accept)."""
    spec = TrialSpec(-1, seed, -1)
    station = Station.copy_of(template, folder)
    process = station.start_worker(seed)
    killer = Killer(spec, random.Random(seed), None)
    try:
        killer.follow(process)
        code = process.wait(timeout=WORKER_TIMEOUT)
    finally:
        assert process.stdout is not None
        process.stdout.close()
    summary = summarize(read_journal(station.journal), spec.plan)
    findings = check_station(station.db_path, station.stick, template.keys, summary)
    error = "" if code == 0 else f"exit code {code}: {station.worker_errors()}"
    return TrialResult(
        spec, station, summary.phase, findings, 0.0, len(summary.committed), error, killer.seen
    )


def distribution(results: list[TrialResult]) -> Counter[str]:
    return Counter(result.phase for result in results)


def outcomes(results: list[TrialResult], kind: str) -> Counter[str]:
    return Counter(r.findings.in_flight for r in results if r.phase == kind)


def report(results: list[TrialResult], seconds: float, seed: int) -> str:
    phases = distribution(results)
    lines = [
        f"crash-safety harness: {len(results)} trials in {seconds:.1f} s (seed {seed})",
        "kills landed during: "
        + ", ".join(f"{kind} {phases.get(kind, 0)}" for kind in (*KINDS, "idle", "startup"))
        + (f", finished {phases['finished']}" if phases.get("finished") else ""),
        "kills aimed: "
        + ", ".join(f"{m} {n}" for m, n in sorted(Counter(r.spec.mode for r in results).items())),
        f"commits journaled before the kills: {sum(r.committed for r in results)}",
        "temp files left by interrupted writes: "
        f"{sum(r.findings.temp_files for r in results)} "
        f"({sum(r.findings.temp_bytes for r in results) / 1e6:.1f} MB); "
        "whole bundles the outbox calls failed: "
        f"{sum(r.findings.orphan_bundles for r in results)}",
        "how far the interrupted operation got: "
        + "; ".join(
            f"{kind}: "
            + ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes(results, kind).items()))
            for kind in KINDS
        ),
        f"trials with problems: {sum(1 for r in results if r.problems)}",
    ]
    for result in results:
        for problem in result.problems:
            lines.append(
                f"  trial {result.spec.number} (seed {result.spec.seed}, op {result.spec.target}, "
                f"{result.spec.mode}, {result.phase}, +{result.delay * 1000:.2f} ms): {problem}"
            )
    return "\n".join(lines)
