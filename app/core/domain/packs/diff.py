"""What changes between two versions of a pack: criteria and indicators added, changed, removed."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.domain.packs.model import Criterion, Indicator, Pack


@dataclass(frozen=True)
class PackDiff:
    criteria_added: tuple[str, ...] = ()
    criteria_changed: tuple[str, ...] = ()
    criteria_removed: tuple[str, ...] = ()
    indicators_added: tuple[str, ...] = ()
    indicators_changed: tuple[str, ...] = ()
    indicators_removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.criteria_added,
                self.criteria_changed,
                self.criteria_removed,
                self.indicators_added,
                self.indicators_changed,
                self.indicators_removed,
            )
        )

    def counts(self) -> dict[str, int]:
        return {
            "criteria_added": len(self.criteria_added),
            "criteria_changed": len(self.criteria_changed),
            "criteria_removed": len(self.criteria_removed),
            "indicators_added": len(self.indicators_added),
            "indicators_changed": len(self.indicators_changed),
            "indicators_removed": len(self.indicators_removed),
        }


def _criterion_sig(c: Criterion) -> tuple[object, ...]:
    return (c.title, c.group, c.scoring, c.guidance, c.max_points, repr(c.rule))


def _indicator_sig(i: Indicator) -> tuple[object, ...]:
    return (
        i.name,
        i.unit,
        i.group,
        i.aggregation,
        i.numerator,
        i.denominator,
        i.scale,
        i.source,
        i.minimum,
        i.maximum,
        i.integer,
        i.periodicity,
    )


def _compare(
    old: dict[str, tuple[object, ...]],
    new: dict[str, tuple[object, ...]],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    added = tuple(code for code in new if code not in old)
    removed = tuple(code for code in old if code not in new)
    changed = tuple(code for code in new if code in old and old[code] != new[code])
    return added, changed, removed


def diff_packs(old: Pack | None, new: Pack) -> PackDiff:
    old_criteria = {c.code: _criterion_sig(c) for c in old.criteria} if old else {}
    old_indicators = {i.code: _indicator_sig(i) for i in old.indicators} if old else {}
    c_added, c_changed, c_removed = _compare(
        old_criteria, {c.code: _criterion_sig(c) for c in new.criteria}
    )
    i_added, i_changed, i_removed = _compare(
        old_indicators, {i.code: _indicator_sig(i) for i in new.indicators}
    )
    return PackDiff(c_added, c_changed, c_removed, i_added, i_changed, i_removed)


def meaning_changes(old: Pack, new: Pack) -> list[str]:
    """Codes whose meaning a new version would change: an indicator's unit or aggregation, a
    criterion's scoring mode. Codes never change meaning between versions."""
    problems = []
    old_indicators = {i.code: i for i in old.indicators}
    for indicator in new.indicators:
        before = old_indicators.get(indicator.code)
        if before and (before.unit, before.aggregation) != (indicator.unit, indicator.aggregation):
            problems.append(indicator.code)
    old_criteria = {c.code: c for c in old.criteria}
    for criterion in new.criteria:
        before_c = old_criteria.get(criterion.code)
        if before_c and before_c.scoring != criterion.scoring:
            problems.append(criterion.code)
    return problems
