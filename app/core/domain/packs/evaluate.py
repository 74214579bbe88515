"""Automatic evaluation of criteria from their declarative rules (no ``eval``), with reasons.

A rule is one of: an indicator compared with a value or with the same period last year; a
list of indicators that must stay at zero ("no such event happened"); a count of the ward's
records compared with a value; or ``all``/``any`` of other rules. Each evaluation says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.domain.formatting import format_number
from app.core.domain.indicators import OPERATORS, IndicatorData
from app.core.domain.records import kind_by_code
from app.i18n import _

RecordCounter = Callable[[str, Mapping[str, Sequence[Any]]], int]


@dataclass(frozen=True)
class Outcome:
    """``met`` is None when the rule cannot be evaluated yet (no data)."""

    met: bool | None
    reason: str


@dataclass(frozen=True)
class EvaluationContext:
    data: IndicatorData
    year: int
    months: tuple[int, ...]
    count_records: RecordCounter


def _months(rule: Mapping[str, Any], context: EvaluationContext) -> tuple[int, ...]:
    if rule.get("over") == "month":
        return context.months[-1:]
    return context.months


def _name(code: str, context: EvaluationContext) -> str:
    indicator = context.data.indicators.get(code)
    return f"{code} ({indicator.name})" if indicator else code


def _verdict(met: bool) -> str:
    return _("met") if met else _("not met")


def _indicator_rule(rule: Mapping[str, Any], context: EvaluationContext) -> Outcome:
    code = rule["indicator"]
    months = _months(rule, context)
    if code not in context.data.indicators:
        return Outcome(None, _("indicator {code} is not installed").format(code=code))
    value = context.data.aggregate(code, context.year, months)
    if "versus" in rule:
        target = context.data.aggregate(code, context.year - 1, months)
        target_text = _("same period last year: {value}")
    else:
        target = float(rule["value"])
        target_text = _("required {op} {value}").format(op=rule["op"], value="{value}")
    if value is None or target is None:
        return Outcome(None, _("{name}: no data yet").format(name=_name(code, context)))
    met = OPERATORS[rule["op"]](value, target)
    reason = _("{name} = {value}; {target} → {verdict}").format(
        name=_name(code, context),
        value=format_number(value),
        target=target_text.format(value=format_number(target)),
        verdict=_verdict(met),
    )
    return Outcome(met, reason)


def _no_event_rule(rule: Mapping[str, Any], context: EvaluationContext) -> Outcome:
    months = _months(rule, context)
    parts: list[str] = []
    total = 0.0
    missing = 0
    for code in rule["no_event"]:
        value = context.data.aggregate(code, context.year, months)
        if value is None:
            missing += 1
            continue
        total += value
        parts.append(f"{_name(code, context)} = {format_number(value)}")
    if missing == len(rule["no_event"]):
        return Outcome(None, _("no data yet for {codes}").format(codes=", ".join(rule["no_event"])))
    met = total == 0
    reason = _("{parts}; no such event may happen → {verdict}").format(
        parts="; ".join(parts), verdict=_verdict(met)
    )
    return Outcome(met, reason)


def _records_rule(rule: Mapping[str, Any], context: EvaluationContext) -> Outcome:
    kind = kind_by_code(rule["records"])
    count = context.count_records(kind.code, rule.get("where", {}))
    target = float(rule["value"])
    met = OPERATORS[rule["op"]](count, target)
    reason = _("{kind}: {count} in the ward's list; required {op} {value} → {verdict}").format(
        kind=_(kind.title),
        count=count,
        op=rule["op"],
        value=format_number(target),
        verdict=_verdict(met),
    )
    return Outcome(met, reason)


def evaluate_rule(rule: Mapping[str, Any], context: EvaluationContext) -> Outcome:
    if "indicator" in rule:
        return _indicator_rule(rule, context)
    if "no_event" in rule:
        return _no_event_rule(rule, context)
    if "records" in rule:
        return _records_rule(rule, context)
    parts = [evaluate_rule(part, context) for part in rule.get("all", rule.get("any", []))]
    reason = " | ".join(p.reason for p in parts)
    if "all" in rule:
        if any(p.met is False for p in parts):
            return Outcome(False, reason)
        return Outcome(None if any(p.met is None for p in parts) else True, reason)
    if any(p.met is True for p in parts):
        return Outcome(True, reason)
    return Outcome(None if any(p.met is None for p in parts) else False, reason)
