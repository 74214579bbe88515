"""What a self-assessment looks like to its readers (screen, reports): frozen views, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.domain.packs.evaluate import Outcome
from app.core.domain.packs.model import Criterion, Pack, Scoring

STATUSES = ("met", "not_met", "not_applicable")


@dataclass(frozen=True)
class RecordLink:
    kind: str
    uuid: str
    label: str


@dataclass(frozen=True)
class CriterionView:
    criterion: Criterion
    auto: Outcome | None
    manual_status: str | None
    points: float | None
    evidence: str
    links: tuple[RecordLink, ...]

    @property
    def status(self) -> str:
        """The officer's finding if there is one, else the automatic one, else pending."""
        if self.manual_status:
            return self.manual_status
        if self.auto is not None and self.auto.met is not None:
            return "met" if self.auto.met else "not_met"
        return "pending"

    @property
    def earned_points(self) -> float:
        if self.criterion.scoring is Scoring.POINTS:
            return self.points or 0.0
        return self.criterion.max_points if self.status == "met" else 0.0


@dataclass(frozen=True)
class GroupSummary:
    code: str
    title: str
    met: int
    total: int


@dataclass(frozen=True)
class AssessmentView:
    id: int
    pack: Pack
    year: int
    as_of_month: int
    criteria: tuple[CriterionView, ...]
    groups: tuple[GroupSummary, ...]
    trend: tuple[tuple[int, int], ...]
    newest_version: int

    @property
    def met(self) -> int:
        return sum(1 for c in self.criteria if c.status == "met")

    @property
    def total(self) -> int:
        return sum(1 for c in self.criteria if c.status != "not_applicable")

    @property
    def points(self) -> tuple[float, float]:
        scored = [c for c in self.criteria if c.criterion.max_points > 0]
        return (sum(c.earned_points for c in scored), sum(c.criterion.max_points for c in scored))
