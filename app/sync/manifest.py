"""The bundle manifest: the signed description of one bundle, inside its ciphertext
(docs/bundle-format.md). Defined once here: the ward writes it with ``Manifest.to_json`` and
the province reads it with ``Manifest.from_json``, which checks the form of every field.

``sections`` is filled in by ``app.sync.bundle.seal`` and checked there against the section
bodies (with their own messages), so it stays the signed JSON value. The optional
``"demo": true`` marks a bundle made by a demo (training) database: absent means a real
station, so every bundle made before the field existed reads as real; a reader that does not
know the field refuses such a manifest, which is what a real province must do with training
data anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.core.domain.errors import UserFacingError
from app.i18n import _

FORMAT = "modelward.bundle"
# Version 2 adds the optional "audit" section; version 1 files (no audit) are still read.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
DEMO_FIELD = "demo"
MANIFEST_FIELDS = frozenset(
    {
        "format",
        "format_version",
        "bundle_id",
        "station_id",
        "station_name",
        "station_instance_id",
        "province_id",
        "sender_key_id",
        "recipient_key_ids",
        "trust_list_version",
        "seq",
        "prev_manifest_sha256",
        "void_seqs",
        "change_range",
        "acked_through",
        "schema_version",
        "app_version",
        "counts",
        "sections",
        "created_at",
    }
)
_TEXT_FIELDS = (
    "bundle_id",
    "station_id",
    "station_name",
    "station_instance_id",
    "province_id",
    "sender_key_id",
    "prev_manifest_sha256",
    "schema_version",
    "app_version",
    "created_at",
)


class ManifestError(UserFacingError):
    """A manifest not in the expected form (the bundle code raises it as a ``BundleError``)."""


def _wrong() -> ManifestError:
    return ManifestError(_("The bundle's manifest is not in the expected form."))


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong()
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _wrong()
    return value


def _object(value: Any, fields: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict) or set(value) != fields:
        raise _wrong()
    return value


@dataclass(frozen=True)
class ChangeRange:
    """The ward's change counters the bundle covers, in one database instance."""

    instance_id: str
    from_counter: int
    to_counter: int

    def to_json(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "from_counter": self.from_counter,
            "to_counter": self.to_counter,
        }

    @classmethod
    def from_json(cls, value: Any) -> ChangeRange:
        found = _object(value, {"instance_id", "from_counter", "to_counter"})
        return cls(
            _text(found["instance_id"]), _int(found["from_counter"]), _int(found["to_counter"])
        )


@dataclass(frozen=True)
class Counts:
    """How many change rows the bundle carries, tombstones among them, per table."""

    records: int
    tombstones: int
    by_table: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"records": self.records, "tombstones": self.tombstones, "by_table": self.by_table}

    @classmethod
    def from_json(cls, value: Any) -> Counts:
        found = _object(value, {"records", "tombstones", "by_table"})
        by_table = found["by_table"]
        if not isinstance(by_table, dict):
            raise _wrong()
        return cls(
            _int(found["records"]),
            _int(found["tombstones"]),
            {_text(name): _int(count) for name, count in by_table.items()},
        )


@dataclass(frozen=True)
class Manifest:
    """One bundle's manifest. ``acked_seq``/``acked_counter``: the last bundle the province
    had acknowledged when it was made (JSON ``acked_through``)."""

    format_version: int
    bundle_id: str
    station_id: str
    station_name: str
    station_instance_id: str
    province_id: str
    sender_key_id: str
    recipient_key_ids: tuple[str, ...]
    trust_list_version: int
    seq: int
    prev_manifest_sha256: str
    void_seqs: tuple[int, ...]
    change_range: ChangeRange
    acked_seq: int
    acked_counter: int
    schema_version: str
    app_version: str
    counts: Counts
    created_at: str
    demo: bool = False
    sections: Any = None  # the signed list of section entries, checked by app.sync.bundle

    def to_json(self) -> dict[str, Any]:
        """The JSON object as signed (sections only once ``seal`` has listed them)."""
        document: dict[str, Any] = {
            "format": FORMAT,
            "format_version": self.format_version,
            "bundle_id": self.bundle_id,
            "station_id": self.station_id,
            "station_name": self.station_name,
            "station_instance_id": self.station_instance_id,
            "province_id": self.province_id,
            "sender_key_id": self.sender_key_id,
            "recipient_key_ids": list(self.recipient_key_ids),
            "trust_list_version": self.trust_list_version,
            "seq": self.seq,
            "prev_manifest_sha256": self.prev_manifest_sha256,
            "void_seqs": list(self.void_seqs),
            "change_range": self.change_range.to_json(),
            "acked_through": {"seq": self.acked_seq, "counter": self.acked_counter},
            "schema_version": self.schema_version,
            "app_version": self.app_version,
            "counts": self.counts.to_json(),
            "created_at": self.created_at,
        }
        if self.demo:  # signed: a real province refuses invented records
            document[DEMO_FIELD] = True
        if self.sections is not None:
            document["sections"] = self.sections
        return document

    @classmethod
    def from_json(cls, document: Any) -> Manifest:
        """Check the form of every field; raise ``ManifestError`` when one is wrong."""
        if (
            not isinstance(document, dict)
            or set(document) - {DEMO_FIELD} != MANIFEST_FIELDS
            or document.get(DEMO_FIELD, True) is not True  # written only as true
            or document["format"] != FORMAT
            or isinstance(document["format_version"], bool)
            or document["format_version"] not in READABLE_VERSIONS
        ):
            raise _wrong()
        recipients, void = document["recipient_key_ids"], document["void_seqs"]
        if not isinstance(recipients, list) or not isinstance(void, list):
            raise _wrong()
        acked = _object(document["acked_through"], {"seq", "counter"})
        texts = {name: _text(document[name]) for name in _TEXT_FIELDS}
        manifest = cls(
            format_version=document["format_version"],
            recipient_key_ids=tuple(_text(r) for r in recipients),
            trust_list_version=_int(document["trust_list_version"]),
            seq=_int(document["seq"]),
            void_seqs=tuple(_int(v) for v in void),
            change_range=ChangeRange.from_json(document["change_range"]),
            acked_seq=_int(acked["seq"]),
            acked_counter=_int(acked["counter"]),
            counts=Counts.from_json(document["counts"]),
            demo=DEMO_FIELD in document,
            sections=document["sections"],
            **texts,
        )
        if manifest.change_range.instance_id != manifest.station_instance_id:
            raise _wrong()
        return manifest
