"""Pack parsing and checking: clear messages naming the field, the diff between versions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.core.domain.packs.diff import diff_packs, meaning_changes
from app.core.domain.packs.loader import PackError, load_pack, pack_from_document
from app.core.domain.packs.model import Aggregation, Scoring
from app.i18n import _
from app.paths import resources_dir

PACKS = resources_dir() / "packs"


def document(name: str = "ward-police-indicators") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PACKS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(PackError) as caught:
        pack_from_document(doc)
    return caught.value.problems


def test_the_default_packs_load() -> None:
    indicators = load_pack((PACKS / "ward-police-indicators.json").read_bytes())
    criteria = load_pack((PACKS / "bca-639-ward-police.json").read_bytes())
    assert len(indicators.indicators) >= 50
    assert [g.code for g in criteria.groups] == ["I", "II", "III", "IV", "V", "VI", "VII"]
    assert len(criteria.criteria) == 20
    assert criteria.draft and "639" in criteria.draft_note
    assert criteria.requires == ("ward-police-indicators",)
    b03 = indicators.indicator("B03")
    assert (b03.aggregation, b03.numerator, b03.denominator) == (Aggregation.RATIO, "B02", "B01")
    assert {c.scoring for c in criteria.criteria} == set(Scoring)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("title"), "title"),
        (lambda d: d["indicators"][3].update(aggregation="avg"), "indicators[3].aggregation"),
        (lambda d: d["indicators"][4].update(unit=""), "indicators[4].unit"),
        (lambda d: d.update(effective_from="15/01/2026"), "effective_from"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d.update(pack_id="Bad Id!"), "pack_id"),
        (
            lambda d: d["indicators"][0].update(source={"records": "cars", "measure": "count"}),
            "indicators[0].source.records",
        ),
    ],
)
def test_schema_errors_name_the_field(change: Any, expected: str) -> None:
    doc = document()
    change(doc)
    found = problems(doc)
    assert any(expected in problem for problem in found), found


def test_meaning_errors_name_the_indicator() -> None:
    doc = document()
    doc["indicators"][5]["code"] = doc["indicators"][4]["code"]  # duplicate code
    doc["indicators"].append(
        {
            "code": "X1",
            "name": "Tỷ lệ",
            "unit": "%",
            "aggregation": "ratio",
            "numerator": "B03",
            "denominator": "NOPE",
        }
    )
    doc["validations"].append(
        {"code": "V-X", "left": "B01", "op": "<=", "right": "ZZZ", "message": "?"}
    )
    doc["indicators"].append(
        {
            "code": "X2",
            "name": "Tổng số hộ",
            "unit": "hộ",
            "aggregation": "sum",
            "source": {"records": "teams", "measure": "sum", "field": "name"},
        }
    )
    found = "\n".join(problems(doc))
    code = doc["indicators"][4]["code"]
    assert _("indicators: the code {code} is used twice").format(code=code) in found
    assert "(X1)" in found
    assert "validations[" in found and "ZZZ" in found
    assert "(X2)" in found


def test_criteria_rules_are_checked() -> None:
    doc = document("bca-639-ward-police")
    doc.pop("requires")
    doc["groups"][0]["criteria"][0].update(scoring="points")  # no max_points
    doc["groups"][1]["criteria"][0].update(rule={"indicator": "B01", "op": ">="})
    found = "\n".join(problems(doc))
    assert (
        _("{where}: a points criterion needs max_points above 0").format(where="criteria[0] (TC01)")
        in found
    )
    assert "(TC03)" in found
    # without "requires", a rule may only use the pack's own indicators
    assert (
        _("{where}: the rule uses unknown indicator {code}").format(
            where="criteria[4] (TC05)", code="I02"
        )
        in found
    )


def test_duplicate_json_keys_and_bad_bytes_are_refused() -> None:
    with pytest.raises(PackError):
        load_pack(b'{"format": "modelward-criteria-pack", "format": "x"}')
    with pytest.raises(PackError):
        load_pack(b"\xff\xfe not utf-8")
    with pytest.raises(PackError):
        load_pack(b"[1, 2, 3]")
    with pytest.raises(PackError):
        load_pack(b" " * (3 * 1024 * 1024))


def test_diff_between_two_versions() -> None:
    old = pack_from_document(document())
    new_doc = copy.deepcopy(document())
    new_doc["version"] = 2
    new_doc["indicators"] = [i for i in new_doc["indicators"] if i["code"] != "B10"]
    new_doc["indicators"][0]["name"] = "Vụ việc về an ninh chính trị"
    new_doc["indicators"].append(
        {"code": "H08", "group": "H", "name": "Ngày hội", "unit": "buổi", "aggregation": "sum"}
    )
    new = pack_from_document(new_doc)
    diff = diff_packs(old, new)
    assert diff.indicators_added == ("H08",)
    assert diff.indicators_removed == ("B10",)
    assert diff.indicators_changed == ("A01",)
    assert not diff.criteria_added and not diff.empty
    assert meaning_changes(old, new) == []
    new_doc["indicators"][1]["aggregation"] = "last"
    assert meaning_changes(old, pack_from_document(new_doc)) == [new_doc["indicators"][1]["code"]]


def test_building_from_a_spreadsheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from app.core.domain.packs.authoring import build_pack

    book = Workbook()
    info = book.active
    assert info is not None
    info.title = "Gói"
    for row in (
        ("pack_id", "tinh-40-bo-sung"),
        ("version", 3),
        ("title", "Chỉ tiêu bổ sung của Công an tỉnh Nghệ An"),
        ("applies_to", "ward_police, commune_police"),
        ("legal_number", "12/KH-CAT"),
        ("legal_issuer", "Công an tỉnh Nghệ An"),
        ("effective_from", "2027-01-01"),
    ):
        info.append(row)
    sheet = book.create_sheet("Chỉ tiêu")
    sheet.append(
        [
            "code",
            "name",
            "unit",
            "group",
            "group_title",
            "aggregation",
            "numerator",
            "denominator",
            "scale",
        ]
    )
    sheet.append(["P01", "Hộ dân được tuyên truyền", "hộ", "P", "Bổ sung", "sum"])
    sheet.append(["P02", "Hộ dân đăng ký", "hộ", "P", "Bổ sung", "sum"])
    sheet.append(["P03", "Tỷ lệ đăng ký", "%", "P", "Bổ sung", "ratio", "P02", "P01", 100])
    criteria = book.create_sheet("Tiêu chí")
    criteria.append(["group", "group_title", "code", "title", "scoring", "rule"])
    criteria.append(
        [
            "A",
            "Nhóm A",
            "BS1",
            "Tỷ lệ đăng ký từ 90%",
            "threshold",
            '{"indicator": "P03", "op": ">=", "value": 90}',
        ]
    )
    source = tmp_path / "pack.xlsx"
    book.save(source)
    pack, data = build_pack(source)
    assert (pack.pack_id, pack.version, len(pack.indicators)) == ("tinh-40-bo-sung", 3, 3)
    assert pack.applies_to == ("ward_police", "commune_police")
    assert pack.criteria[0].rule == {"indicator": "P03", "op": ">=", "value": 90}
    assert load_pack(data) == pack


def test_the_documented_example_pack_is_valid() -> None:
    from app.paths import _install_root

    example = _install_root() / "docs" / "examples" / "province-supplement.json"
    pack = load_pack(example.read_bytes())
    assert pack.pack_id == "tinh-40-bo-sung"
    assert [c.scoring for c in pack.criteria] == [
        Scoring.THRESHOLD,
        Scoring.THRESHOLD,
        Scoring.POINTS,
    ]
