"""The export's column-by-column NDJSON and the import's faster strict JSON reading give exactly
what the plain JSON paths give: the same bytes, the same values, the same refusals."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.db.sync_repo import _aware_iso
from app.sync import bundle as fmt
from app.sync import change_rows
from app.sync.envelope import SignedMessageError, strict_json

TRICKY = ["a", '"', "\\", "\n", "\x00", "\x1f", "\x7f", "ệ", "\u2028", "😀", "%", "%s", "{", "}"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(TRICKY) for _ in range(rng.randint(0, 10)))


def _value(rng: random.Random) -> Any:
    choices = [
        None,
        True,
        False,
        rng.randint(-(10**20), 10**20),
        rng.random() * 10 ** rng.randint(-30, 30),
        _text(rng),
        rng.choice([math.inf, -math.inf, math.nan, 0.0, -0.0, 1e16, 1e-5]),
    ]
    return rng.choice(choices)


@pytest.mark.parametrize("seed", range(20))
def test_encode_table_writes_what_encode_writes(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        names = tuple(f"c{n}%s" if n == 2 else f"c{n}" for n in range(rng.randint(0, 6)))
        if rng.random() < 0.5:
            names += ("deleted_at",)
        same_kind = rng.random() < 0.5
        rows = [
            [rng.randint(1, 10**6), _text(rng)]
            + [_text(rng) if same_kind else _value(rng) for _ in names]
            for _ in range(rng.randint(0, 4))
        ]
        documents = []
        for row in rows:
            data = dict(zip(names, row[2:], strict=True))
            op = "tombstone" if data.get("deleted_at") else "upsert"
            documents.append(
                {
                    "table": 't%"x',
                    "record_id": row[1],
                    "origin_counter": row[0],
                    "op": op,
                    "data": data,
                }
            )
        expected = change_rows.encode(documents)
        assert change_rows.encode_table('t%"x', names, rows).encode() == expected


AUDIT_TEXTS = ("actor", "action", "table_name", "record_uuid", "changes", "prev_hash", "hash")


@pytest.mark.parametrize("seed", range(10))
def test_audit_rows_are_written_as_encode_audit_writes_them(seed: int) -> None:
    fields = AUDIT_TEXTS
    rng = random.Random(seed)
    for _ in range(50):
        entries: list[dict[str, Any]] = []
        for _n in range(rng.randint(0, 6)):
            at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
                seconds=rng.randint(0, 10**8), microseconds=rng.choice([0, rng.randint(0, 999999)])
            )
            entries.append(
                {"id": rng.randint(1, 10**9), "at": at, **{f: _text(rng) for f in fields}}
            )
        rows = []
        for entry in entries:
            stored = entry["at"].replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            at_text = _aware_iso(stored, datetime.fromisoformat)
            assert at_text == entry["at"].isoformat()
            rows.append((entry["id"], at_text, *(entry[f] for f in fields)))
        expected = b"".join(
            json.dumps(
                {**e, "at": e["at"].isoformat()},
                ensure_ascii=False,
                sort_keys=True,
                separators=(",", ":"),
            ).encode()
            + b"\n"
            for e in entries
        )
        assert fmt.encode_audit(entries) == expected
        assert fmt.encode_audit_rows(rows) == expected


@pytest.mark.parametrize(
    "line",
    [
        b'{"a":1,"b":{"c":[1,2.5,null,true]}}',
        b'{"a":1,"a":2}',
        b'{"a":{"b":1,"b":1}}',
        b'{"a":9007199254740993}',
        b'{"a":1e999}',
        b'{"a":NaN}',
        b'{"a":"\\ud800"}',
        b"\xff\xfe",
        b"{",
        b"",
    ],
)
def test_read_json_line_reads_and_refuses_as_strict_json(line: bytes) -> None:
    try:
        expected: Any = strict_json(line)
    except SignedMessageError as error:
        with pytest.raises(SignedMessageError) as raised:
            change_rows.read_json_line(line)
        assert str(raised.value) == str(error)
    else:
        assert change_rows.read_json_line(line) == expected
