"""The indicator grid as its readers see it (screen, charts, reports): frozen rows, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.domain.packs.model import Aggregation
from app.core.domain.periods import Period, Span


@dataclass(frozen=True)
class GridRow:
    code: str
    name: str
    unit: str
    group: str
    group_title: str
    typed: bool
    aggregation: Aggregation
    value: float | None
    comment: str
    last_year: float | None
    year_to_date: float | None
    problems: tuple[str, ...] = ()

    @property
    def change(self) -> float | None:
        if self.value is None or self.last_year is None:
            return None
        return self.value - self.last_year

    @property
    def change_pct(self) -> float | None:
        if self.change is None or not self.last_year:
            return None
        return self.change / self.last_year * 100


@dataclass(frozen=True)
class Grid:
    year: int
    span: Span
    index: int
    period: Period
    rows: tuple[GridRow, ...]
    locked: bool
    editable: bool
    violations: tuple[str, ...]


@dataclass(frozen=True)
class LockEvent:
    action: str
    reason: str
    at: datetime
    by: str
