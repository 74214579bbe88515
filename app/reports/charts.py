"""A bar chart of main indicators against the same period last year (reportlab graphics,
vector, in the report's own font)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from app.core.domain.indicator_views import GridRow
from app.reports.fonts import FAMILY

THIS_PERIOD, LAST_YEAR = colors.HexColor("#0b3d91"), colors.HexColor("#b8c4d9")


def comparison_chart(
    rows: Sequence[GridRow], width: float, title: str, labels: Mapping[str, str] | None = None
) -> Drawing | None:
    """Bars for this period and the same period last year; None when there is nothing to
    compare (no row has both values, or every bar would be zero)."""
    shown = [r for r in rows if r.value is not None and r.last_year is not None]
    if not any(r.value or r.last_year for r in shown):
        return None
    height = 190
    drawing = Drawing(width, height)
    # renderPDF starts every drawing in Helvetica unless told otherwise, which would put an
    # unembedded base-14 font into the report
    drawing.initialFontName = FAMILY
    drawing.add(
        String(
            width / 2,
            height - 12,
            title,
            fontName=FAMILY + "-Bold",
            fontSize=11,
            textAnchor="middle",
        )
    )
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 45
    chart.width, chart.height = width - 60, height - 85
    chart.data = [[r.value or 0 for r in shown], [r.last_year or 0 for r in shown]]
    chart.categoryAxis.categoryNames = [(labels or {}).get(r.code, r.code) for r in shown]
    chart.categoryAxis.labels.fontName = FAMILY
    chart.categoryAxis.labels.fontSize = 9
    chart.valueAxis.labels.fontName = FAMILY
    chart.valueAxis.labels.fontSize = 9
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = THIS_PERIOD
    chart.bars[1].fillColor = LAST_YEAR
    chart.barLabelFormat = "%.0f"
    chart.barLabels.fontName = FAMILY
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 40, 12
    legend.fontName = FAMILY
    legend.fontSize = 9
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(THIS_PERIOD, "Kỳ này"), (LAST_YEAR, "Cùng kỳ năm trước")]
    legend.deltax = 120
    drawing.add(legend)
    return drawing
