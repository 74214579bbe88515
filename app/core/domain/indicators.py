"""Monthly indicator values and their aggregation over longer periods (pure: no database).

Loading the values (typed ones and those counted from records) is
:mod:`app.db.indicator_values`; ratios are always derived from their two parts and never
stored. Aggregation follows each indicator's rule: ``sum`` over the
months, ``last`` = the latest month with a value, ``ratio`` = aggregate(numerator) /
aggregate(denominator).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from app.core.domain.packs.model import Aggregation, Indicator, ValidationRule

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}

Key = tuple[str, int, int]


@dataclass
class IndicatorData:
    """Every month's value of every indicator for the years loaded."""

    indicators: dict[str, Indicator]
    values: dict[Key, float | None] = field(default_factory=dict)
    comments: dict[Key, str] = field(default_factory=dict)

    def value(self, code: str, year: int, month: int) -> float | None:
        return self.aggregate(code, year, (month,))

    def aggregate(self, code: str, year: int, months: Sequence[int]) -> float | None:
        indicator = self.indicators.get(code)
        if indicator is None:
            return None
        if indicator.aggregation is Aggregation.RATIO:
            assert indicator.numerator and indicator.denominator
            top = self.aggregate(indicator.numerator, year, months)
            bottom = self.aggregate(indicator.denominator, year, months)
            if top is None or not bottom:
                return None
            return top / bottom * indicator.scale
        found = [v for m in months if (v := self.values.get((code, year, m))) is not None]
        if not found:
            return None
        if indicator.aggregation is Aggregation.LAST:
            return found[-1]
        return float(sum(found))


@dataclass(frozen=True)
class RuleViolation:
    rule: ValidationRule
    codes: tuple[str, str]


def check_rules(
    rules: Iterable[ValidationRule], data: IndicatorData, year: int, months: Sequence[int]
) -> list[RuleViolation]:
    """The validation rules broken by the values of ``months`` (a rule with a missing side is
    not broken: the officer may not have typed both yet)."""
    broken = []
    for rule in rules:
        left = data.aggregate(rule.left, year, months)
        right = data.aggregate(rule.right, year, months)
        if left is not None and right is not None and not OPERATORS[rule.op](left, right):
            broken.append(RuleViolation(rule, (rule.left, rule.right)))
    return broken
