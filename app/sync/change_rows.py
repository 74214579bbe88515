"""Change rows on the wire: encoding them as NDJSON and parsing them back, checked.

A change row carries one record's *current* state and its version (the ward's change counter).
Every ward record has one writer, its ward, so merging keeps the highest version: applying
bundles twice, or in any order, ends in the same state (signing-sync.md §2.8). Which tables and
columns travel is the database's knowledge: the caller passes it in as ``WireTables``
(``app.db.sync_tables.wire_tables``). Reading the rows for an export is
``app.db.sync_repo.read_changes``; applying them at the province is ``app.db.merge``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from app.core.domain.errors import UserFacingError
from app.core.domain.sync_types import CarriedColumn, Change, WireKind, WireTables
from app.i18n import _
from app.sync.envelope import SignedMessageError, strict_json
from app.sync.envelope import _constant as _constant
from app.sync.envelope import _float as _float
from app.sync.envelope import _int as _int

MAX_LINE = 1 << 20
TEXT_LIMIT = 100_000  # a text column without a length of its own
ROW_FIELDS = frozenset({"table", "record_id", "origin_counter", "op", "data"})
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ChangeError(UserFacingError):
    """A change row that breaks the format; the message is Vietnamese for the officer."""


class _Repeated(ValueError):
    """A JSON object repeats a field (``strict_json`` says which)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Repeated
    return result


# strict_json's checks with one decoder made once and a field check in C
_STRICT = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def read_json_line(line: bytes) -> Any:
    """``strict_json(line)``, faster: a line it refuses is read again by ``strict_json``
    itself, so the refusal and its message are exactly its own."""
    try:
        return _STRICT.decode(line.decode("utf-8"))
    except (ValueError, RecursionError, SignedMessageError):  # JSON and Unicode errors too
        return strict_json(line)


def encode(rows: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for row in rows
    )


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_QUOTE = json.encoder.encode_basestring  # what the encoder uses without ensure_ascii


def _float_text(value: float) -> str:
    """A float as ``json.dumps`` writes it."""
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


_VALUE_TEXT: dict[type, Callable[[Any], str]] = {
    str: _QUOTE,
    int: int.__repr__,
    float: _float_text,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _value: "null",
}


def _value_text(value: Any) -> str:
    return _VALUE_TEXT.get(type(value), _JSON.encode)(value)


def column_texts(values: Sequence[Any]) -> Iterable[str]:
    """The JSON text of each value of one column, as ``json.dumps`` writes it: a column of
    text only or whole numbers only is written by one C function, value after value."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return map(_QUOTE, values)
    if kinds == {int}:
        return map(int.__repr__, values)
    text, fallback = _VALUE_TEXT.get, _JSON.encode
    return [text(type(v), fallback)(v) for v in values]


def _template(text: str) -> str:
    return text.replace("%", "%%")


def encode_table(name: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """The NDJSON lines of one table's change rows, each given as (origin counter, record id,
    *the values of ``names``): byte for byte what :func:`encode` writes for the same rows as
    documents (op "tombstone" when ``deleted_at`` is set), column by column, without building
    them."""
    if not rows:
        return ""
    columns = list(zip(*rows, strict=True))
    if "deleted_at" in names:
        deleted = columns[2 + list(names).index("deleted_at")]
        ops: Iterable[str] = ["tombstone" if v else "upsert" for v in deleted]
    else:
        ops = ["upsert"] * len(rows)
    data = ",".join(f"{_template(_QUOTE(n))}:%s" for n in names)
    line = (
        f'{{"table":{_template(_QUOTE(name))},"record_id":%s,"origin_counter":%s,'
        f'"op":"%s","data":{{{data}}}}}\n'
    )
    texts = [column_texts(c) for c in columns]
    return "".join(map(line.__mod__, zip(texts[1], texts[0], ops, *texts[2:], strict=True)))


def _bool(value: Any, _limit: int) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _integer(value: Any, _limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError
    return value


def _number(value: Any, _limit: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return float(value)


def _moment(value: Any, _limit: int) -> str:
    """A moment with its zone, as the text SQLite stores for it (naive UTC, microseconds)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _day(value: Any, _limit: int) -> str:
    """A date, checked, as the ISO text SQLite stores for it."""
    if not isinstance(value, str) or len(value) != 10:
        raise TypeError
    return date.fromisoformat(value).isoformat()


def _string(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise TypeError
    if len(value) > limit:
        raise ChangeError(_("A text value is longer than the database allows."))
    return value


_CONVERTERS: dict[WireKind, Callable[[Any, int], Any]] = {
    "bool": _bool,
    "int": _integer,
    "float": _number,
    "moment": _moment,
    "day": _day,
    "text": _string,
}


@dataclass(frozen=True)
class _Field:
    """How one carried column is checked, worked out once per parse."""

    name: str
    nullable: bool
    convert: Callable[[Any, int], Any]
    limit: int
    parent: bool
    choices: frozenset[str] | None
    kind: WireKind
    plain: type | None  # a value of exactly this type is stored as it is (then its length)


def _field(column: CarriedColumn) -> _Field:
    plain = None
    if not column.parent and column.choices is None:
        plain = {"text": str, "int": int}.get(column.kind)
    return _Field(
        column.name,
        column.nullable,
        _CONVERTERS[column.kind],
        column.max_length or TEXT_LIMIT,
        column.parent,
        column.choices,
        column.kind,
        plain,
    )


@dataclass(frozen=True)
class _Plan:
    """Every table's fields and field names, for one parse."""

    fields: dict[str, tuple[_Field, ...]]
    names: dict[str, frozenset[str]]

    @classmethod
    def of(cls, tables: WireTables) -> _Plan:
        fields = {name: tuple(_field(c) for c in columns) for name, columns in tables.items()}
        return cls(fields, {name: frozenset(f.name for f in f_) for name, f_ in fields.items()})


def _record_id(value: Any) -> str:
    """A record id in the canonical lowercase UUID form, nothing else."""
    if not isinstance(value, str) or not UUID_TEXT.fullmatch(value):
        raise ChangeError(_("A change row has an invalid record id."))
    return value


def _in(field: _Field, value: Any) -> Any:
    """Check and convert one value of a change row; raise ``ChangeError`` if it is wrong."""
    if value is None:
        if not field.nullable:
            raise ChangeError(_("A required value is missing."))
        return None
    if field.parent:
        return _record_id(value)
    try:
        converted = field.convert(value, field.limit)
    except (TypeError, ValueError) as error:
        raise ChangeError(_("A value has the wrong type.")) from error
    if field.choices is not None and converted not in field.choices:
        raise ChangeError(_("A change row has a value outside its list of choices."))
    return converted


# what this station writes for a moment: checked, then stored without parsing it again
_UTC_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00")


def _fast(field: _Field, value: Any) -> Any:
    """The common cases of :func:`_in` without its calls: text of the right length, a whole
    number, a UTC moment as this station writes it; anything else (and every error) is
    :func:`_in`'s, so the results and the refusals are its own."""
    kind = field.kind
    if field.parent or value is None:
        return _in(field, value)
    if kind == "text" and type(value) is str and len(value) <= field.limit:
        converted: Any = value
    elif kind == "int" and type(value) is int:
        converted = value
    elif kind == "moment" and type(value) is str and _UTC_MOMENT.fullmatch(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return _in(field, value)
        converted = f"{value[:10]} {value[11:26]}"
    else:
        return _in(field, value)
    if field.choices is not None and converted not in field.choices:
        raise ChangeError(_("A change row has a value outside its list of choices."))
    return converted


def _clean(fields: tuple[_Field, ...], data: dict[str, Any]) -> dict[str, Any]:
    clean = {}
    for field in fields:
        value = data[field.name]
        kind = type(value)
        if kind is field.plain and (kind is not str or len(value) <= field.limit):
            clean[field.name] = value
        else:
            clean[field.name] = _fast(field, value)
    return clean


def _parse(document: Any, to_counter: int, plan: _Plan) -> Change:
    if not isinstance(document, dict) or set(document) != ROW_FIELDS:
        raise ChangeError(_("A change row is not in the expected form."))
    name = document["table"]
    if name not in plan.fields:
        raise ChangeError(_("A change row names an unknown table."))
    record_id = _record_id(document["record_id"])
    counter = document["origin_counter"]
    if isinstance(counter, bool) or not isinstance(counter, int) or not 0 < counter <= to_counter:
        raise ChangeError(_("A change row has a version outside the bundle's range."))
    data = document["data"]
    if not isinstance(data, dict) or data.keys() != plan.names[name]:
        raise ChangeError(_("A change row does not have the fields of its table."))
    clean = _clean(plan.fields[name], data)
    op = document["op"]
    if op not in ("upsert", "tombstone") or (op == "tombstone") != (
        clean.get("deleted_at") is not None
    ):
        raise ChangeError(_("A change row has an invalid operation."))
    return Change(name, record_id, counter, op == "tombstone", clean)


def parse_change(document: Any, to_counter: int, tables: WireTables) -> Change:
    """One decoded NDJSON line, checked field by field."""
    return _parse(document, to_counter, _Plan.of(tables))


def parse_records(blob: bytes, to_counter: int, tables: WireTables) -> list[Change]:
    """Every change row of a bundle's records section, checked; a record listed twice, a line
    too long or a list cut short refuses them all."""
    plan = _Plan.of(tables)
    changes: list[Change] = []
    seen: set[str] = set()
    for number, line in enumerate(blob.split(b"\n"), start=1):
        if not line:
            continue
        if len(line) > MAX_LINE:
            raise ChangeError(_("A change row is too long."))
        try:
            change = _parse(read_json_line(line), to_counter, plan)
        except (ChangeError, SignedMessageError) as error:
            raise ChangeError(
                _("Change row {n}: {problem}").format(n=number, problem=str(error))
            ) from error
        if change.record_id in seen:
            raise ChangeError(_("The bundle lists the same record twice."))
        seen.add(change.record_id)
        changes.append(change)
    if blob and not blob.endswith(b"\n"):
        raise ChangeError(_("The list of changes is cut short."))
    return changes
