"""Exactly what an approval of a month's indicators, a report's figures or a self-assessment
covers, as a hash.

Scheme 2 (every approval made from this version on) covers every figure the screen or the
printed report shows for the period: typed values, values computed from the ward's records
(sessions, cameras, …) and ratios, and for a report also the narrative as printed. The stored
``content_hash`` reads ``2.<definitions>.<figures>[.<narrative>]`` (64 characters, the column's
size):

* ``definitions``: 8 hex digits naming the indicator definitions and month cut-off day the
  figures were computed with, so the province can tell "figures changed" from "I do not hold
  the criteria pack version the ward used" (it then tries the other versions it has installed);
* ``figures``: the SHA-256 (truncated) of the figures;
* ``narrative`` (reports only): the SHA-256 (truncated) of the narrative as printed. The
  narrative is not stored in the database, so only a screen or a printout that has the text
  can check this part; the province, which never receives it, checks the figures only.

A self-assessment's hash reads ``2.<definitions>.<MM>.<outcomes>``: ``MM`` is the month the
assessment was evaluated through when approved (its year's months 1–MM, as the screen showed
it), so the approval is checked against the same months later whatever today's date is;
``outcomes`` covers the pack version, every criterion's finding (status, points, evidence,
linked records), its automatic outcome, the resulting status and points, "met N of M", the
points total and the month-by-month trend.

Truncation keeps 212 bits of SHA-256 for a month, 200 for an assessment and 104 bits for each
part of a report: making other figures or another narrative match an approval takes a second
preimage, some 2^104 hash computations at the least, out of reach. Scheme 1 (a bare 64-hex
SHA-256 of the typed values only, of the officer's findings only for an assessment) is what
approvals made before held; they are still checked the way they were made.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.core.domain.indicators import IndicatorData
from app.core.domain.packs.model import Indicator, Pack
from app.core.domain.periods import Span, span_months
from app.db.indicator_values import load_indicator_data
from app.db.pack_models import Assessment

SCHEME = "2"
DEFINITION_DIGITS = 8
MONTH_DIGITS = 64 - len(SCHEME) - 2 - DEFINITION_DIGITS  # 53
REPORT_DIGITS = (64 - len(SCHEME) - 3 - DEFINITION_DIGITS) // 2  # 26
ASSESSMENT_DIGITS = 64 - len(SCHEME) - 3 - DEFINITION_DIGITS - 2  # 50
# The most combinations of installed pack versions the province tries for one approval.
MAX_CANDIDATES = 32


@dataclass(frozen=True)
class Definitions:
    """The indicators a station computes figures with, and its month cut-off day."""

    indicators: tuple[Indicator, ...]
    cutoff: int

    @property
    def fingerprint(self) -> str:
        document = [self.cutoff, [_definition(i) for i in self.indicators]]
        return _digest(document)[:DEFINITION_DIGITS]


@dataclass(frozen=True)
class StoredHash:
    """A scheme-2 ``content_hash`` taken apart."""

    definitions: str
    figures: str
    narrative: str | None


def definitions_of(packs: Iterable[Pack]) -> Definitions:
    """What :class:`~app.core.services.indicators.IndicatorService` computes with, for ``packs``
    (the newest version of each installed pack, in pack id order)."""
    with_indicators = sorted((p for p in packs if p.indicators), key=lambda p: p.pack_id)
    indicators = tuple(i for pack in with_indicators for i in pack.indicators)
    cutoff = with_indicators[0].month_start_day if with_indicators else 15
    return Definitions(indicators, cutoff)


def candidates(installed: Mapping[str, Mapping[int, Pack]]) -> list[Definitions]:
    """Definitions the province may hold a ward's figures to: its newest packs first, then
    other combinations of the versions it has installed (at most ``MAX_CANDIDATES``)."""
    ids = sorted(installed)
    choices = [sorted(installed[pack_id], reverse=True) for pack_id in ids]
    found = []
    for combination in itertools.islice(itertools.product(*choices), MAX_CANDIDATES):
        found.append(definitions_of(installed[i][v] for i, v in zip(ids, combination, strict=True)))
    return found


def parse(stored: str) -> StoredHash | None:
    """The parts of a scheme-2 hash; None for a scheme-1 hash (64 hex digits, no dots)."""
    parts = stored.split(".")
    if parts[0] != SCHEME or len(parts) not in (3, 4):
        return None
    return StoredHash(parts[1], parts[2], parts[3] if len(parts) == 4 else None)


@dataclass(frozen=True)
class StoredAssessmentHash:
    """A scheme-2 assessment ``content_hash`` taken apart."""

    definitions: str
    as_of: int
    outcomes: str


def parse_assessment(stored: str) -> StoredAssessmentHash | None:
    """The parts of a scheme-2 assessment hash; None for a scheme-1 one."""
    parts = stored.split(".")
    if parts[0] != SCHEME or len(parts) != 4 or not parts[2].isdigit():
        return None
    return StoredAssessmentHash(parts[1], int(parts[2]), parts[3])


def assessment_hash(
    session: Session,
    unit_id: int,
    defs: Definitions,
    assessment: Assessment,
    pack: Pack,
    as_of: int,
) -> str:
    """The hash of what the assessment shows when evaluated through month ``as_of`` of its
    year, its indicators computed with ``defs`` and its criteria those of ``pack`` (the
    version the assessment is on)."""
    from app.core.services.assessments import evaluate_criteria, findings_of, record_counter

    year = assessment.year
    data = _data(session, unit_id, defs, (year - 1, year))
    findings = findings_of(session, assessment.id)
    count = record_counter(session, unit_id)
    views, trend = evaluate_criteria(pack, findings, data, year, as_of, count)
    criteria = [
        [
            view.criterion.code,
            view.manual_status,
            _number(view.points),
            view.evidence,
            [[link.kind, link.uuid] for link in view.links],
            None if view.auto is None else view.auto.met,
            view.status,
            _number(view.earned_points),
        ]
        for view in views
    ]
    met = sum(1 for view in views if view.status == "met")
    total = sum(1 for view in views if view.status != "not_applicable")
    scored = [view for view in views if view.criterion.max_points > 0]
    points = [
        _number(sum(view.earned_points for view in scored)),
        _number(sum(view.criterion.max_points for view in scored)),
    ]
    head = [assessment.uuid, assessment.pack_id, assessment.pack_version, year, as_of]
    document = ["assessment", head, criteria, [met, total], points, [list(t) for t in trend]]
    digest = _digest(document)[:ASSESSMENT_DIGITS]
    return f"{SCHEME}.{defs.fingerprint}.{as_of:02d}.{digest}"


def month_hash(session: Session, unit_id: int, defs: Definitions, year: int, month: int) -> str:
    data = _data(session, unit_id, defs, (year,))
    figures = [
        [
            i.code,
            _number(data.aggregate(i.code, year, (month,))),
            data.comments.get((i.code, year, month), ""),
        ]
        for i in defs.indicators
    ]
    digest = _digest(["month", year, month, figures])[:MONTH_DIGITS]
    return f"{SCHEME}.{defs.fingerprint}.{digest}"


def report_figures(
    session: Session, unit_id: int, defs: Definitions, span: Span, year: int, index: int
) -> str:
    """The hash of every figure a periodic report prints: each indicator's value, the same
    period last year and the year to date (the change is derived from the first two)."""
    data = _data(session, unit_id, defs, (year - 1, year))
    months = span_months(span, index)
    to_date = tuple(range(1, months[-1] + 1))
    figures = [
        [
            i.code,
            _number(data.aggregate(i.code, year, months)),
            _number(data.aggregate(i.code, year - 1, months)),
            _number(data.aggregate(i.code, year, to_date)),
        ]
        for i in defs.indicators
    ]
    return _digest(["report", span.value, year, index, figures])[:REPORT_DIGITS]


def narrative_hash(narrative: Mapping[str, str]) -> str:
    """The hash of the narrative as the PDF prints it: NFC text, each section's non-empty
    paragraphs stripped (whitespace the printout drops does not count as a change)."""
    sections = {
        key: "\n".join(
            line.strip()
            for line in unicodedata.normalize("NFC", text or "").split("\n")
            if line.strip()
        )
        for key, text in narrative.items()
    }
    return _digest(["narrative", sections])[:REPORT_DIGITS]


def report_hash(defs: Definitions, figures: str, narrative: str) -> str:
    return f"{SCHEME}.{defs.fingerprint}.{figures}.{narrative}"


def _data(session: Session, unit_id: int, defs: Definitions, years: Sequence[int]) -> IndicatorData:
    # date.max: the figures of a month do not depend on when they are checked (the screens
    # leave out only months not begun yet, which are never approved)
    return load_indicator_data(session, unit_id, defs.indicators, years, defs.cutoff, date.max)


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _definition(indicator: Indicator) -> list[Any]:
    source = indicator.source
    return [
        indicator.code,
        indicator.aggregation.value,
        indicator.numerator,
        indicator.denominator,
        indicator.scale,
        None
        if source is None
        else [
            source.kind,
            source.measure,
            source.field,
            source.date_field,
            source.since_field,
            [[name, list(allowed)] for name, allowed in source.where],
        ],
    ]


def _digest(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
