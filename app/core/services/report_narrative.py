"""The narrative of a periodic report: sections pre-filled from the figures, which the officer
edits before printing, and the narrative as it prints (what the chief's approval covers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.core.domain.formatting import format_number
from app.core.domain.indicator_views import GridRow
from app.core.domain.periods import Span
from app.core.services.indicators import IndicatorService
from app.i18n import language


def _change(row: GridRow | None, unit: str) -> str:
    if row is None or row.change is None:
        return ""
    if row.change == 0:
        return "bằng cùng kỳ năm trước"
    direction = "tăng" if row.change > 0 else "giảm"
    return f"{direction} {format_number(abs(row.change))} {unit} so với cùng kỳ năm trước"


def _sentence(parts: list[str]) -> str:
    text = ", ".join(p for p in parts if p)
    return text[0].upper() + text[1:] + "." if text else ""


def _value_of(rows: dict[str, GridRow]) -> Callable[[str], str]:
    def value(code: str) -> str:
        row = rows.get(code)
        return format_number(row.value) if row is not None and row.value is not None else "0"

    return value


def _situation(when: str, rows: dict[str, GridRow]) -> str:
    value = _value_of(rows)
    crime = _sentence(
        [
            f"{when.lower()}, trên địa bàn xảy ra {value('B01')} vụ phạm tội về trật tự xã hội",
            _change(rows.get("B01"), "vụ"),
            f"đã điều tra làm rõ {value('B02')} vụ (đạt {value('B03')}%)"
            if rows.get("B02") and rows["B02"].value
            else "",
        ]
    )
    fire = (
        "Không để xảy ra cháy, nổ."
        if (rows.get("E01") and not rows["E01"].value)
        else f"Xảy ra {value('E01')} vụ cháy, nổ."
    )
    return " ".join(
        s
        for s in (
            "Tình hình an ninh chính trị trên địa bàn ổn định; không phát sinh vụ việc phức tạp."
            if rows.get("A01") and not rows["A01"].value
            else "",
            crime,
            fire,
        )
        if s
    )


def _results(when: str, rows: dict[str, GridRow]) -> str:
    value = _value_of(rows)
    sentences = (
        _sentence(
            [
                f"{when.lower()}, tổ chức {value('H04')} buổi tuyên truyền với "
                f"{value('H05')} lượt người tham dự",
                _change(rows.get("H04"), "buổi"),
            ]
        ),
        _sentence(
            [
                f"tiếp nhận {value('C01')} tin báo, tố giác tội phạm",
                f"đã giải quyết {value('C03')} tin, đạt {value('C04')}%",
            ]
        ),
        _sentence(
            [
                f"tiếp nhận, giải quyết {value('G01')} hồ sơ thủ tục hành chính",
                f"đúng hạn {value('G02')} hồ sơ (đạt {value('G04')}%)",
            ]
        ),
        _sentence(
            [
                f"duy trì {value('E06')} tổ liên gia an toàn PCCC, {value('E08')} điểm "
                f"chữa cháy công cộng, {value('H03')}/{value('H02')} camera an ninh kết nối "
                f"với Công an phường và {value('H01')} mô hình tự quản về an ninh, trật tự"
            ]
        ),
    )
    return " ".join(s for s in sentences if s)


def prefill(span: Span, rows: dict[str, GridRow]) -> dict[str, str]:
    """Narrative sections built from the figures; the officer edits them before printing."""
    when = "Trong tháng" if span is Span.MONTH else "Trong kỳ"
    return {
        "situation": _situation(when, rows),
        "results": _results(when, rows),
        "shortcomings": "(Cán bộ nêu những tồn tại, hạn chế và nguyên nhân.)",
        "directions": "(Cán bộ nêu phương hướng, nhiệm vụ trọng tâm kỳ tới.)",
    }


def printed_narrative(
    service: IndicatorService,
    span: Span,
    year: int,
    index: int,
    narrative: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The narrative a report prints: pre-filled from the figures, the officer's edits over it."""
    with language("vi"):
        by_code = {row.code: row for row in service.grid(year, span, index).rows}
        return {**prefill(span, by_code), **(narrative or {})}
