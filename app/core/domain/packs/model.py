"""The parsed content of a criteria pack: plain frozen dataclasses, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

FORMAT_NAME = "modelward-criteria-pack"
FORMAT_VERSION = 1


class Aggregation(enum.Enum):
    SUM = "sum"
    LAST = "last"
    RATIO = "ratio"


class Scoring(enum.Enum):
    PASS_FAIL = "pass_fail"
    POINTS = "points"
    THRESHOLD = "threshold"
    NO_EVENT = "no_event"


@dataclass(frozen=True)
class RecordSource:
    """An indicator the app computes from the ward's records (no typing by the officer)."""

    kind: str
    measure: str  # "count" or "sum"
    field: str | None = None
    date_field: str | None = None
    since_field: str | None = None
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @property
    def is_stock(self) -> bool:
        """A stock (teams, cameras that exist at the period's end) rather than events in it."""
        return self.date_field is None


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    group: str
    aggregation: Aggregation
    periodicity: str = "monthly"
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    source: RecordSource | None = None
    minimum: float | None = 0.0
    maximum: float | None = None
    integer: bool = True

    @property
    def computed(self) -> bool:
        return self.aggregation is Aggregation.RATIO or self.source is not None

    @property
    def typed(self) -> bool:
        return not self.computed


@dataclass(frozen=True)
class ValidationRule:
    """``left op right`` between two indicators of the same period, e.g. processed ≤ received."""

    code: str
    left: str
    op: str
    right: str
    message: str


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    group: str
    scoring: Scoring
    guidance: str = ""
    max_points: float = 0.0
    rule: dict[str, Any] | None = None


@dataclass(frozen=True)
class CriteriaGroup:
    code: str
    title: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class LegalBasis:
    number: str
    issuer: str
    date: date | None = None


@dataclass(frozen=True)
class Pack:
    """A verified, parsed pack. ``raw`` is the exact JSON object it was parsed from."""

    pack_id: str
    version: int
    title: str
    applies_to: tuple[str, ...]
    legal_basis: LegalBasis
    effective_from: date
    expires: date | None
    draft: bool
    draft_note: str
    month_start_day: int
    indicator_groups: tuple[tuple[str, str], ...]
    indicators: tuple[Indicator, ...]
    validations: tuple[ValidationRule, ...]
    groups: tuple[CriteriaGroup, ...]
    requires: tuple[str, ...] = ()
    raw: dict[str, Any] = field(compare=False, repr=False, default_factory=dict)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for group in self.groups for c in group.criteria)

    def indicator(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    def is_expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires
