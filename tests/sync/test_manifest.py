"""The bundle manifest has one typed definition (app/sync/manifest.py), used by the ward that
writes it and the province that reads it; app/sync knows no database (issue 14)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pyrage
import pytest

from app.core.domain.sync_types import CarriedColumn
from app.db.audit import CHAIN_FIELDS
from app.db.sync_tables import SYNC_MODELS, carried_columns, wire_tables
from app.i18n import _
from app.sync import bundle as fmt
from app.sync import change_rows
from app.sync.envelope import canonical
from app.sync.manifest import ChangeRange, Counts, Manifest, ManifestError
from tests.sync.bundle_pairs import Pair

ROOT = Path(__file__).resolve().parents[2]


def _opened(pair: Pair, path: Path) -> fmt.Inner:
    outer, _header = fmt.read_outer(
        path.read_bytes(), lambda _s: [pair.ward_keys.signing.public_key()]
    )
    return fmt.open_inner(outer, [pair.ward_keys.age_identity])


def test_the_written_manifest_reads_back_to_the_same_signed_bytes(pair: Pair) -> None:
    """The ward writes a Manifest; read back, it gives the very JSON that was signed."""
    inner = _opened(pair, pair.export())
    parsed = inner.parsed
    assert isinstance(parsed, Manifest)
    assert parsed.to_json() == inner.manifest
    assert canonical(parsed.to_json()) == canonical(inner.manifest)
    assert Manifest.from_json(parsed.to_json()) == parsed
    assert parsed.change_range.instance_id == parsed.station_instance_id
    assert parsed.counts.records == inner.manifest["counts"]["records"] > 0
    assert not parsed.demo and fmt.DEMO_FIELD not in inner.manifest


def test_a_bundle_written_before_the_typed_manifest_still_imports(pair: Pair) -> None:
    """The committed test vectors were written by the code before app/sync/manifest.py; their
    manifests read as Manifests and give back their signed bytes unchanged."""
    import json

    folder = ROOT / "tests" / "data" / "bundles"
    vectors = json.loads((folder / "vectors.json").read_text(encoding="utf-8"))
    manifest = vectors["valid_bundle"]["manifest"]
    assert canonical(Manifest.from_json(manifest).to_json()) == canonical(manifest)


def _good(pair: Pair) -> dict[str, Any]:
    return dict(_opened(pair, pair.export()).manifest)


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.pop("counts"),
        lambda m: m.update(extra=1),
        lambda m: m.update(format="other"),
        lambda m: m.update(format_version=True),
        lambda m: m.update(format_version=3),
        lambda m: m.update(demo=False),
        lambda m: m.update(seq="1"),
        lambda m: m.update(station_name=5),
        lambda m: m.update(void_seqs=[True]),
        lambda m: m.update(void_seqs=3),
        lambda m: m.update(recipient_key_ids=[1]),
        lambda m: m.update(change_range={**m["change_range"], "to_counter": "9"}),
        lambda m: m.update(change_range={**m["change_range"], "extra": 1}),
        lambda m: m.update(change_range={**m["change_range"], "instance_id": "someone-else"}),
        lambda m: m.update(acked_through={"seq": 0}),
        lambda m: m.update(counts={**m["counts"], "by_table": {"records": "3"}}),
    ],
)
def test_a_manifest_not_in_the_expected_form_is_refused(pair: Pair, change: Any) -> None:
    manifest = _good(pair)
    change(manifest)
    with pytest.raises(ManifestError) as caught:
        Manifest.from_json(manifest)
    assert caught.value.message == _("The bundle's manifest is not in the expected form.")


def test_the_province_refuses_a_signed_manifest_with_a_bad_change_range(
    pair: Pair, tmp_path: Path
) -> None:
    """Checked once, when the bundle is opened, whoever opens it."""
    inner = _opened(pair, pair.export())
    manifest = dict(inner.manifest)
    manifest.pop("sections")
    manifest["change_range"] = {**manifest["change_range"], "instance_id": "elsewhere"}
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    data, _hash = fmt.seal(manifest, inner.records, pair.ward_keys.signing, [province])
    path = tmp_path / "bad-range.wsb"
    path.write_bytes(data)
    (report,) = pair.import_(path)
    assert report.outcome == "rejected"
    assert report.reason == _("The bundle's manifest is not in the expected form.")


def test_seal_takes_a_manifest_and_the_demo_mark_is_signed(pair: Pair) -> None:
    inner = _opened(pair, pair.export())
    demo = dataclasses.replace(inner.parsed, demo=True, sections=None)
    province = pyrage.x25519.Recipient.from_str(pair.province_keys.public.age_recipient)
    data, manifest_hash = fmt.seal(demo, inner.records, pair.ward_keys.signing, [province])
    outer, _header = fmt.read_outer(data, lambda _s: [pair.ward_keys.signing.public_key()])
    opened = fmt.open_inner(outer, [pair.province_keys.age_identity])
    assert opened.demo and opened.manifest[fmt.DEMO_FIELD] is True
    assert opened.manifest_sha256 == manifest_hash


def test_typed_parts_write_their_json_fields() -> None:
    assert ChangeRange("i", 1, 9).to_json() == {
        "instance_id": "i",
        "from_counter": 1,
        "to_counter": 9,
    }
    assert Counts(3, 1, {"t": 3}).to_json() == {"records": 3, "tombstones": 1, "by_table": {"t": 3}}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_app_sync_imports_nothing_from_the_database() -> None:
    offenders = sorted(
        f"{path.name}: {name}"
        for path in (ROOT / "app" / "sync").glob("*.py")
        for name in _imports(path)
        if name == "app.db" or name.startswith("app.db.") or name == "sqlalchemy"
    )
    assert offenders == []


def test_the_audit_lines_carry_the_fields_the_chain_hashes() -> None:
    """app.sync.bundle spells the fields out (it may not import app.db.audit)."""
    assert {"id", *CHAIN_FIELDS} == fmt.AUDIT_LINE_FIELDS


def test_the_wire_description_follows_the_tables() -> None:
    tables = wire_tables()
    assert list(tables) == list(SYNC_MODELS)
    for name, columns in tables.items():
        carried = [c.name for c in carried_columns(name) if c.name != "uuid"]
        assert [c.name for c in columns] == carried


TABLES = {
    "notes": (
        CarriedColumn("title", "text", nullable=False, max_length=5),
        CarriedColumn("held_on", "day", nullable=True),
        CarriedColumn("kind", "text", nullable=False, choices=frozenset({"a", "b"})),
    )
}
DATA: dict[str, Any] = {"title": "hello", "held_on": "2026-11-02", "kind": "a"}
ROW: dict[str, Any] = {
    "table": "notes",
    "record_id": "0b6f1c3e-5a7d-4e2b-9c1a-2f3d4e5f6a7b",
    "origin_counter": 3,
    "op": "upsert",
    "data": DATA,
}


def test_change_rows_parse_against_a_description_without_any_database() -> None:
    (change,) = change_rows.parse_records(change_rows.encode([ROW]), 3, TABLES)
    assert (change.table, change.counter, dict(change.data)) == ("notes", 3, DATA)
    for data in ({**DATA, "title": "too long"}, {**DATA, "kind": "c"}, {**DATA, "held_on": 5}):
        with pytest.raises(change_rows.ChangeError):
            change_rows.parse_records(change_rows.encode([{**ROW, "data": data}]), 3, TABLES)
    with pytest.raises(change_rows.ChangeError):
        change_rows.parse_records(change_rows.encode([ROW]), 2, TABLES)  # beyond the range
