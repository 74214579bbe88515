"""Fuzzing every sync file the app reads: whatever the bytes, the reader answers with a clear
error (a ``UserFacingError``), never an unhandled exception."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.domain.errors import UserFacingError
from app.core.services.sync.rows import parse_records
from app.sync import bundle as fmt
from app.sync import trust

VECTORS = Path(__file__).resolve().parents[1] / "data" / "bundles"


def _keys() -> dict[str, dict[str, str]]:
    keys: dict[str, dict[str, str]] = json.loads((VECTORS / "keys.json").read_text("utf-8"))
    return keys


def _valid(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


mutations = st.lists(
    st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
    min_size=1,
    max_size=6,
)


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    buffer = bytearray(data)
    for position, value in edits:
        buffer[position % len(buffer)] = value
    return bytes(buffer[:cut] if cut is not None else buffer)


def _public_keys() -> list[Ed25519PublicKey]:
    from app.sync.envelope import public_from_hex

    return [public_from_hex(_keys()["ward_signing"]["public_hex"])]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=mutations, cut=st.one_of(st.none(), st.integers(min_value=0, max_value=4000)))
def test_mutated_bundles_give_clear_errors(edits: list[tuple[int, int]], cut: int | None) -> None:
    import pyrage

    data = _mutate(_valid("valid.wsb"), edits, cut)
    keys = _keys()
    identity = pyrage.x25519.Identity.from_str(keys["province_age"]["identity"])
    try:
        outer, _header = fmt.read_outer(data, lambda _station: _public_keys())
        inner = fmt.open_inner(outer, [identity])
        parse_records(inner.records, inner.manifest["change_range"]["to_counter"])
    except UserFacingError as error:
        assert error.message


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("enrollment-16681.mwe", lambda data, _keys: trust.read_enrollment(data)),
        ("trust-list-v3.mwt", lambda data, keys: trust.read_trust_list(data, keys)),
        (
            "WSR1_16681_00000004_0b6f1c3e-5a7d-4e2b-9c1a-2f3d4e5f6a7b.wsr",
            lambda data, keys: trust.read_receipt(data, [keys]),
        ),
    ],
)
def test_mutated_signed_messages_give_clear_errors(
    name: str, read: Callable[[bytes, str], object]
) -> None:
    province = _keys()["province_signing"]["public_hex"]
    original = _valid(name)

    @settings(max_examples=60, deadline=None)
    @given(edits=mutations, cut=st.one_of(st.none(), st.integers(min_value=0, max_value=3000)))
    def check(edits: list[tuple[int, int]], cut: int | None) -> None:
        try:
            read(_mutate(original, edits, cut), province)
        except UserFacingError as error:
            assert error.message

    check()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_change_rows_give_clear_errors(blob: bytes) -> None:
    try:
        parse_records(blob, 10**6)
    except UserFacingError as error:
        assert error.message


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_any_json_as_a_change_row_gives_clear_errors(document: object) -> None:
    line = json.dumps(document, allow_nan=True).encode() + b"\n"
    try:
        parse_records(line, 10**6)
    except UserFacingError as error:
        assert error.message
