"""Authoring a pack from a spreadsheet or JSON: ``modelward pack build``.

A spreadsheet has up to four sheets, found by name (Vietnamese or English):

* "Gói" / "pack": two columns, field and value (pack_id, version, title, draft, draft_note,
  applies_to, legal_number, legal_issuer, legal_date, effective_from, expires,
  month_start_day, requires);
* "Chỉ tiêu" / "indicators": code, name, unit, group, group_title, aggregation, numerator,
  denominator, scale, source (JSON);
* "Tiêu chí" / "criteria": group, group_title, code, title, scoring, max_points, guidance,
  rule (JSON);
* "Kiểm tra" / "validations": code, left, op, right, message.

The result is checked exactly like a pack arriving at a station, so a broken pack is caught
before it is signed.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.core.domain.errors import UserFacingError
from app.core.domain.packs.loader import PackError, pack_from_document, parse_json
from app.core.domain.packs.model import FORMAT_NAME, FORMAT_VERSION, Pack
from app.core.domain.text import clean, fold
from app.i18n import _

SHEETS = {
    "pack": ("goi", "pack"),
    "indicators": ("chi tieu", "indicators"),
    "criteria": ("tieu chi", "criteria"),
    "validations": ("kiem tra", "validations"),
}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return clean(value)
    return value


def _rows(sheet: Any) -> list[dict[str, Any]]:
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if not rows:
        return []
    headers = [fold(str(h or "")).replace(" ", "_") for h in rows[0]]
    return [
        {h: _cell(v) for h, v in zip(headers, row, strict=False) if h and v not in (None, "")}
        for row in rows[1:]
    ]


def _json_cell(value: Any, where: str) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        raise PackError([_("{where}: not valid JSON").format(where=where)]) from None


def document_from_workbook(path: Path) -> dict[str, Any]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {fold(name): book[name] for name in book.sheetnames}
        found = {
            key: next((sheets[n] for n in names if n in sheets), None)
            for key, names in SHEETS.items()
        }
        if found["pack"] is None:
            raise UserFacingError(_('The workbook has no sheet named "Gói" (or "pack").'))
        info = {
            fold(str(r[0])).replace(" ", "_"): _cell(r[1])
            for r in found["pack"].iter_rows(values_only=True)
            if r and r[0] not in (None, "") and len(r) > 1
        }
        indicators = _rows(found["indicators"]) if found["indicators"] else []
        criteria = _rows(found["criteria"]) if found["criteria"] else []
        validations = _rows(found["validations"]) if found["validations"] else []
    finally:
        book.close()
    return _document(info, indicators, criteria, validations)


def _listed(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _document(
    info: dict[str, Any],
    indicators: list[dict[str, Any]],
    criteria: list[dict[str, Any]],
    validations: list[dict[str, Any]],
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "pack_id": info.get("pack_id"),
        "version": info.get("version"),
        "title": info.get("title"),
        "applies_to": _listed(info.get("applies_to")),
        "legal_basis": {
            k: v
            for k, v in (
                ("number", info.get("legal_number")),
                ("issuer", info.get("legal_issuer")),
                ("date", info.get("legal_date")),
            )
            if v
        },
        "effective_from": info.get("effective_from"),
        "expires": info.get("expires") or None,
    }
    if info.get("draft") is not None:
        document["draft"] = str(info["draft"]).lower() in ("1", "true", "có", "co", "x", "yes")
    if info.get("draft_note"):
        document["draft_note"] = info["draft_note"]
    if info.get("month_start_day"):
        document["period"] = {"month_start_day": int(info["month_start_day"])}
    if info.get("requires"):
        document["requires"] = _listed(info["requires"])
    if indicators:
        _add_indicators(document, indicators)
    if criteria:
        _add_criteria(document, criteria)
    if validations:
        document["validations"] = [
            {k: row.get(k) for k in ("code", "left", "op", "right", "message")}
            for row in validations
        ]
    return document


def _add_indicators(document: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    groups: dict[str, str] = {}
    indicators = []
    for number, row in enumerate(rows):
        item: dict[str, Any] = {
            k: row[k]
            for k in (
                "code",
                "name",
                "unit",
                "group",
                "aggregation",
                "numerator",
                "denominator",
                "scale",
            )
            if k in row
        }
        if "source" in row:
            item["source"] = _json_cell(row["source"], f"indicators[{number}].source")
        if row.get("group") and row.get("group_title"):
            groups.setdefault(row["group"], row["group_title"])
        indicators.append(item)
    document["indicators"] = indicators
    if groups:
        document["indicator_groups"] = [{"code": c, "title": t} for c, t in groups.items()]


def _add_criteria(document: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    groups: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(rows):
        code = str(row.get("group", ""))
        group = groups.setdefault(
            code, {"code": code, "title": row.get("group_title", code), "criteria": []}
        )
        item: dict[str, Any] = {
            k: row[k] for k in ("code", "title", "scoring", "max_points", "guidance") if k in row
        }
        if "rule" in row:
            item["rule"] = _json_cell(row["rule"], f"criteria[{number}].rule")
        group["criteria"].append(item)
    document["groups"] = list(groups.values())


def build_pack(source: Path) -> tuple[Pack, bytes]:
    """Read a pack from .json or .xlsx, check it, and return it with its canonical bytes."""
    if source.suffix.lower() == ".json":
        document = parse_json(source.read_bytes())
    elif source.suffix.lower() in (".xlsx", ".xlsm"):
        document = document_from_workbook(source)
    else:
        raise UserFacingError(_("A pack is built from a .json or .xlsx file."))
    pack = pack_from_document(document)
    data = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")
    return pack, data + b"\n"
