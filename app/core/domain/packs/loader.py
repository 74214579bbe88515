"""Parse and check a pack's JSON: structure by the JSON Schema, meaning by the checks here.

Every problem is reported with the path of the offending field ("indicators[3].unit") and a
translated reason, so a publisher can fix the file without reading the schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import lru_cache
from typing import Any

from app.core.domain.errors import UserFacingError
from app.core.domain.packs.model import (
    FORMAT_NAME,
    Aggregation,
    CriteriaGroup,
    Criterion,
    Indicator,
    LegalBasis,
    Pack,
    RecordSource,
    Scoring,
    ValidationRule,
)
from app.core.domain.records import KINDS_BY_CODE, FieldType
from app.core.domain.text import nfc
from app.i18n import _
from app.paths import resources_dir

MAX_PACK_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64  # levels of nested objects and lists (a rule in "all" takes 2); packs use 10


class PackError(UserFacingError):
    """A pack file that cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:8]
        more = len(problems) - len(shown)
        text = _("The criteria pack is not valid:") + "\n" + "\n".join(f"• {p}" for p in shown)
        if more > 0:
            text += "\n" + _("… and {count} more problems.").format(count=more)
        super().__init__(text, hint=_("Ask the publisher of the pack for a corrected file."))


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator, FormatChecker  # on use: not needed at start-up

    schema = json.loads(
        (resources_dir() / "packs" / "criteria-pack.schema.json").read_text(encoding="utf-8")
    )
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or _("(whole file)")


def _quoted(values: Iterable[Any]) -> str:
    return ", ".join(json.dumps(v, ensure_ascii=False) for v in values)


_MESSAGES: dict[str, Callable[[Any], str]] = {
    "required": lambda e: _("missing required field {name}").format(
        name=", ".join(n for n in e.validator_value if n not in (e.instance or {}))
    ),
    "additionalProperties": lambda e: _("field not allowed here: {name}").format(
        name=", ".join(sorted(set(e.instance) - set(e.schema.get("properties", {}))))
    ),
    "enum": lambda e: _("value {value} is not allowed; use one of: {allowed}").format(
        value=json.dumps(e.instance, ensure_ascii=False), allowed=_quoted(e.validator_value)
    ),
    "const": lambda e: _("value {value} is not allowed; use one of: {allowed}").format(
        value=json.dumps(e.instance, ensure_ascii=False), allowed=_quoted([e.validator_value])
    ),
    "type": lambda e: _("must be of type {type}").format(type=e.validator_value),
    "format": lambda e: _("{value} is not a date written YYYY-MM-DD").format(value=e.instance),
    "pattern": lambda e: _("{value} is not a valid code (letters, digits, . _ -)").format(
        value=e.instance
    ),
    "minLength": lambda e: _("must not be empty"),
    "minItems": lambda e: _("must not be empty"),
    "maxLength": lambda e: _("is too long (at most {limit})").format(limit=e.validator_value),
    "maxItems": lambda e: _("is too long (at most {limit})").format(limit=e.validator_value),
    "minimum": lambda e: _("must be at least {limit}").format(limit=e.validator_value),
    "exclusiveMinimum": lambda e: _("must be at least {limit}").format(limit=e.validator_value),
    "maximum": lambda e: _("must be at most {limit}").format(limit=e.validator_value),
    "uniqueItems": lambda e: _("contains the same value twice"),
    "oneOf": lambda e: _("is not a rule of a known form (indicator, no_event, records, all, any)"),
}


def _schema_message(error: Any) -> str:
    """A translated reason for one jsonschema error."""
    build = _MESSAGES.get(error.validator)
    return build(error) if build else str(error.message)


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise PackError([_("the key {key} appears twice in one object").format(key=key)])
        result[key] = value
    return result


def parse_json(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_PACK_BYTES:
        raise PackError([_("the file is larger than 2 MB")])
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_reject_duplicate_keys)
    except UnicodeDecodeError:
        raise PackError([_("the file is not UTF-8 text")]) from None
    except RecursionError:
        raise PackError([_too_deep()]) from None
    except json.JSONDecodeError as error:
        raise PackError(
            [
                _("not valid JSON at line {line}, column {column}").format(
                    line=error.lineno, column=error.colno
                )
            ]
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise PackError([_("this is not a ModelWard criteria pack")])
    return document


def load_pack(data: bytes) -> Pack:
    """Parse ``data`` into a ``Pack`` or raise ``PackError`` listing every problem."""
    return pack_from_document(parse_json(data))


def _too_deep() -> str:
    return _("the file is nested too deeply (more than {limit} levels)").format(limit=MAX_DEPTH)


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether objects and lists nest more than ``limit`` levels (checked without recursion:
    the schema check and the rule walks below recurse once per level)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False


def pack_from_document(document: dict[str, Any]) -> Pack:
    if _deeper_than(document, MAX_DEPTH):
        raise PackError([_too_deep()])
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise PackError([f"{_path(e.absolute_path)}: {_schema_message(e)}" for e in errors])
    pack = _build(document)
    problems = list(_semantic_problems(pack))
    if problems:
        raise PackError(problems)
    return pack


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _text(value: Any) -> str:
    return nfc(str(value)).strip()


def _source(raw: dict[str, Any] | None) -> RecordSource | None:
    if raw is None:
        return None
    where = tuple(sorted((name, tuple(values)) for name, values in raw.get("where", {}).items()))
    return RecordSource(
        raw["records"],
        raw["measure"],
        raw.get("field"),
        raw.get("date_field"),
        raw.get("since_field"),
        where,
    )


def _indicator(raw: dict[str, Any]) -> Indicator:
    return Indicator(
        code=raw["code"],
        name=_text(raw["name"]),
        unit=_text(raw["unit"]),
        group=raw.get("group", ""),
        aggregation=Aggregation(raw["aggregation"]),
        periodicity=raw.get("periodicity", "monthly"),
        numerator=raw.get("numerator"),
        denominator=raw.get("denominator"),
        scale=float(raw.get("scale", 1.0)),
        source=_source(raw.get("source")),
        minimum=raw.get("min", 0.0),
        maximum=raw.get("max"),
        integer=raw.get("integer", raw["aggregation"] != "ratio"),
    )


def _build(doc: dict[str, Any]) -> Pack:
    legal = doc["legal_basis"]
    groups = tuple(
        CriteriaGroup(
            code=group["code"],
            title=_text(group["title"]),
            criteria=tuple(
                Criterion(
                    code=c["code"],
                    title=_text(c["title"]),
                    group=group["code"],
                    scoring=Scoring(c["scoring"]),
                    guidance=_text(c.get("guidance", "")),
                    max_points=float(c.get("max_points", 0)),
                    rule=c.get("rule"),
                )
                for c in group["criteria"]
            ),
        )
        for group in doc.get("groups", [])
    )
    return Pack(
        pack_id=doc["pack_id"],
        version=doc["version"],
        title=_text(doc["title"]),
        applies_to=tuple(doc["applies_to"]),
        legal_basis=LegalBasis(
            _text(legal["number"]), _text(legal["issuer"]), _day(legal.get("date"))
        ),
        effective_from=date.fromisoformat(doc["effective_from"]),
        expires=_day(doc.get("expires")),
        draft=bool(doc.get("draft", False)),
        draft_note=_text(doc.get("draft_note", "")),
        month_start_day=int(doc.get("period", {}).get("month_start_day", 15)),
        indicator_groups=tuple(
            (g["code"], _text(g["title"])) for g in doc.get("indicator_groups", [])
        ),
        indicators=tuple(_indicator(raw) for raw in doc.get("indicators", [])),
        validations=tuple(
            ValidationRule(v["code"], v["left"], v["op"], v["right"], _text(v["message"]))
            for v in doc.get("validations", [])
        ),
        groups=groups,
        requires=tuple(doc.get("requires", [])),
        raw=doc,
    )


def _duplicates(codes: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for code in codes:
        (twice if code in seen else seen).add(code)
    return twice


def _semantic_problems(pack: Pack) -> Iterator[str]:
    if pack.expires is not None and pack.expires < pack.effective_from:
        yield _("expires: the pack expires before it takes effect")
    if not pack.indicators and not pack.groups:
        yield _("the pack has neither indicators nor criteria")
    for code in sorted(_duplicates(i.code for i in pack.indicators)):
        yield _("indicators: the code {code} is used twice").format(code=code)
    for code in sorted(_duplicates(c.code for c in pack.criteria)):
        yield _("groups: the criterion code {code} is used twice").format(code=code)
    for code in sorted(_duplicates(g.code for g in pack.groups)):
        yield _("groups: the group code {code} is used twice").format(code=code)
    yield from _indicator_problems(pack)
    codes = {i.code for i in pack.indicators}
    for number, rule in enumerate(pack.validations):
        for side in (rule.left, rule.right):
            if side not in codes:
                yield _("validations[{n}]: unknown indicator {code}").format(n=number, code=side)
    for number, criterion in enumerate(pack.criteria):
        yield from _criterion_problems(number, criterion, codes, bool(pack.requires))


def _indicator_problems(pack: Pack) -> Iterator[str]:
    by_code = {i.code: i for i in pack.indicators}
    group_codes = {code for code, _title in pack.indicator_groups}
    for number, indicator in enumerate(pack.indicators):
        where = f"indicators[{number}] ({indicator.code})"
        if indicator.group and group_codes and indicator.group not in group_codes:
            yield _("{where}: unknown indicator group {group}").format(
                where=where, group=indicator.group
            )
        if indicator.aggregation is Aggregation.RATIO:
            for part in (indicator.numerator, indicator.denominator):
                target = by_code.get(part or "")
                if target is None:
                    yield _("{where}: a ratio needs an existing numerator and denominator").format(
                        where=where
                    )
                elif target.aggregation is Aggregation.RATIO:
                    yield _("{where}: a ratio cannot be built from another ratio").format(
                        where=where
                    )
        if indicator.source is not None:
            yield from _source_problems(where, indicator.source)


def _source_problems(where: str, source: RecordSource) -> Iterator[str]:
    kind = KINDS_BY_CODE[source.kind]
    fields = {spec.name: spec for spec in kind.fields}
    if source.measure == "sum":
        spec = fields.get(source.field or "")
        if spec is None or spec.type is not FieldType.INT:
            yield _("{where}: a sum needs a whole-number field of {kind}").format(
                where=where, kind=source.kind
            )
    for date_field in (source.date_field, source.since_field):
        if date_field is None:
            continue
        spec = fields.get(date_field)
        if spec is None or spec.type is not FieldType.DATE:
            yield _("{where}: {name} is not a date field of {kind}").format(
                where=where, name=date_field, kind=source.kind
            )
    for name, _values in source.where:
        if name not in fields:
            yield _("{where}: {name} is not a field of {kind}").format(
                where=where, name=name, kind=source.kind
            )


def _rule_indicators(rule: dict[str, Any]) -> Iterator[str]:
    if "indicator" in rule:
        yield rule["indicator"]
    yield from rule.get("no_event", [])
    for part in (*rule.get("all", []), *rule.get("any", [])):
        yield from _rule_indicators(part)


def _criterion_problems(
    number: int, criterion: Criterion, codes: set[str], external: bool
) -> Iterator[str]:
    """Problems of one criterion; with ``external`` (the pack requires others) indicator codes
    it does not define are checked at install time against the required packs."""
    where = f"criteria[{number}] ({criterion.code})"
    if criterion.scoring is Scoring.POINTS and criterion.max_points <= 0:
        yield _("{where}: a points criterion needs max_points above 0").format(where=where)
    if criterion.scoring in (Scoring.THRESHOLD, Scoring.NO_EVENT) and criterion.rule is None:
        yield _("{where}: this scoring mode needs a rule").format(where=where)
    if criterion.rule is not None:
        yield from _rule_shape_problems(where, criterion.rule)
        for code in _rule_indicators(criterion.rule):
            if code not in codes and not external:
                yield _("{where}: the rule uses unknown indicator {code}").format(
                    where=where, code=code
                )


def _rule_shape_problems(where: str, rule: dict[str, Any]) -> Iterator[str]:
    if "indicator" in rule and ("value" in rule) == ("versus" in rule):
        yield _("{where}: an indicator rule compares with either a value or last year").format(
            where=where
        )
    for part in (*rule.get("all", []), *rule.get("any", [])):
        yield from _rule_shape_problems(where, part)


def rule_indicators(rule: dict[str, Any]) -> set[str]:
    """Every indicator code a rule reads."""
    return set(_rule_indicators(rule))
