"""Reports: choose the kind and period, edit the narrative the app pre-filled from the figures,
preview the PDF, print it or save it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.domain.access import Actor
from app.core.domain.errors import EnvironmentProblem
from app.core.domain.periods import Span
from app.core.domain.progress import CancelToken
from app.core.domain.records import KINDS_BY_CODE
from app.core.domain.report_views import SECTIONS, PeriodReport
from app.core.services.indicators import IndicatorService
from app.core.services.report_data import (
    last_number,
    load_settings,
    next_number,
    period_report,
    prefill,
    save_settings,
    take_number,
)
from app.core.services.reports import APPENDIX_KINDS, appendix_pdf, assessment_pdf, period_pdf
from app.core.services.storage import Database
from app.fileio import atomic_write_bytes
from app.i18n import N_, _
from app.ui.errors import inform
from app.ui.ops import Operation, run_in_background
from app.ui.widgets.common import error_presenter, errors_shown, save_file

ASSESSMENT, APPENDIX_PREFIX = "assessment", "appendix:"
KINDS: tuple[tuple[Span | str, str], ...] = (
    (Span.MONTH, N_("Monthly report")),
    (Span.QUARTER, N_("Quarterly report")),
    (Span.HALF, N_("6-month review (sơ kết)")),
    (Span.NINE_MONTHS, N_("9-month report")),
    (Span.YEAR, N_("Annual review (tổng kết)")),
    (ASSESSMENT, N_("Criteria self-assessment report")),
)
SECTION_LABELS = {
    "situation": N_("Situation"),
    "results": N_("Results"),
    "shortcomings": N_("Shortcomings and limits"),
    "directions": N_("Directions for the next period"),
}
PRINT_DPI = 300  # pages are rendered on white; higher resolutions only make huge jobs


class ReportPage(QWidget):
    def __init__(
        self,
        db: Database,
        today: Callable[[], date],
        parent: QWidget | None = None,
        actor: Actor | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("page_reports")
        self.db = db
        self.actor = actor
        self.indicators = IndicatorService(db, today=today, actor=actor)
        self.today = today
        self.pdf_bytes = b""
        self._operation: Operation[object] | None = None
        self.document = QPdfDocument(self)
        self._buffer: QBuffer | None = None
        self._build()
        self.refill()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        title = QLabel(_("Reports"), self)
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(title)
        layout.addLayout(self._build_bar())
        from app.core.services import approvals
        from app.ui.widgets.approval_bar import ApprovalBar

        def figures_shown() -> str | None:
            if not isinstance(self.kind.currentData(), Span):
                return None  # the assessment and the appendices are approved elsewhere
            span, year, index = self.selection()
            return approvals.report_key(span, year, index)

        self.approval = ApprovalBar(
            self.db, self.actor, approvals.REPORT, figures_shown, self, self.narrative_shown
        )
        layout.addWidget(self.approval)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        editors = self.editors = QWidget(splitter)
        form = QFormLayout(editors)
        self.sections: dict[str, QPlainTextEdit] = {}
        for key in SECTIONS:
            editor = QPlainTextEdit(editors)
            editor.setObjectName(f"section_{key}")
            self.sections[key] = editor
            form.addRow(_(SECTION_LABELS[key]), editor)
        self.view = QPdfView(splitter)
        self.view.setObjectName("preview")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        splitter.addWidget(editors)
        splitter.addWidget(self.view)
        splitter.setSizes([420, 640])
        layout.addWidget(splitter, 1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.year.valueChanged.connect(lambda _v: self.refill())
        self.index.valueChanged.connect(lambda _v: self.refill())
        # clicked(bool) would pass ``checked`` as a slot's first optional argument (the
        # printer, the path): every button calls its slot with no argument
        self.preview_button.clicked.connect(lambda: self.preview())
        self.print_button.clicked.connect(lambda: self.print_report())
        self.save_button.clicked.connect(lambda: self.save())
        self.print_button.setEnabled(False)
        self.save_button.setEnabled(False)

    def _build_bar(self) -> QHBoxLayout:
        """The kind and period of the report, and its buttons."""
        bar = QHBoxLayout()
        self.kind = QComboBox(self)
        self.kind.setObjectName("kind")
        for key, label in KINDS:
            self.kind.addItem(_(label), key)
        for code in APPENDIX_KINDS:
            self.kind.addItem(
                _("Appendix: {list}").format(list=_(KINDS_BY_CODE[code].title)),
                APPENDIX_PREFIX + code,
            )
        year, month = self.indicators.current_month()
        self.year = QSpinBox(self)
        self.year.setRange(2000, 2100)
        self.year.setValue(year)
        self.index = QSpinBox(self)
        self.index.setRange(1, 12)
        self.index.setValue(max(1, month - 1))
        self.index.setPrefix(_("month "))
        for widget in (self.kind, QLabel(_("Year"), self), self.year, self.index):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.settings_button = QPushButton(_("Report settings…"), self)
        self.settings_button.clicked.connect(lambda: self.edit_settings())
        bar.addWidget(self.settings_button)
        self.preview_button = QPushButton(_("Preview"), self)
        self.print_button = QPushButton(_("Print…"), self)
        self.save_button = QPushButton(_("Save PDF…"), self)
        for button in (self.preview_button, self.print_button, self.save_button):
            bar.addWidget(button)
        return bar

    def _kind_changed(self) -> None:
        span = self.kind.currentData()
        self.index.setVisible(span in (Span.MONTH, Span.QUARTER))
        # the narrative belongs to the periodic reports; the others are tables only
        self.editors.setVisible(isinstance(span, Span))
        self.index.setRange(1, 12 if span is Span.MONTH else 4)
        self.index.setPrefix(_("month ") if span is Span.MONTH else _("quarter "))
        self.refill()

    def edit_settings(self) -> None:
        from app.ui.dialogs.report_settings_dialog import ReportSettingsDialog

        dialog = ReportSettingsDialog(load_settings(self.indicators), self)
        if dialog.exec() and dialog.result_settings is not None:
            with errors_shown(self):
                save_settings(self.indicators, dialog.result_settings)

    def selection(self) -> tuple[Span, int, int]:
        """The period; the assessment and the appendices cover the chosen year."""
        key = self.kind.currentData()
        span = key if isinstance(key, Span) else Span.YEAR
        index = self.index.value() if span in (Span.MONTH, Span.QUARTER) else 1
        return span, self.year.value(), index

    def narrative_shown(self) -> dict[str, str]:
        """The narrative as edited on the screen: what the chief approves and the PDF prints."""
        return {key: editor.toPlainText() for key, editor in self.sections.items()}

    def is_appendix(self) -> bool:
        key = self.kind.currentData()
        return isinstance(key, str) and key.startswith(APPENDIX_PREFIX)

    def build(self, data: PeriodReport) -> bytes:
        key = self.kind.currentData()
        if key == ASSESSMENT:
            # the year chosen, not the period's first day (the year starts on 15/12 before)
            return assessment_pdf(self.db, data, data.period.end.year)
        if isinstance(key, str) and key.startswith(APPENDIX_PREFIX):
            return appendix_pdf(self.db, data, key.removeprefix(APPENDIX_PREFIX))
        return period_pdf(data)

    def refill(self) -> None:
        """Pre-fill the narrative from the figures of the chosen period."""
        span, year, index = self.selection()
        grid = self.indicators.grid(year, span, index)
        texts = prefill(span, {row.code: row for row in grid.rows})
        for key, editor in self.sections.items():
            editor.setPlainText(texts.get(key, ""))
        self.approval.refresh()

    def report_data(self) -> PeriodReport:
        span, year, index = self.selection()
        narrative = {key: editor.toPlainText() for key, editor in self.sections.items()}
        data = period_report(self.indicators, span, year, index, self.today(), narrative)
        if self.is_appendix():
            data = replace(data, number=last_number(data.settings, data.issued_on))
        return data

    def preview(self) -> None:
        data = self.report_data()
        self.approval.refresh()  # the narrative may have been edited since the approval

        def work(_progress: Callable[[int, int, str], None], _token: CancelToken) -> bytes:
            return self.build(data)

        self._operation = run_in_background(
            work,
            parent=self,
            on_done=self.show_pdf,
            on_error=error_presenter(self),
            progress_label=_("Preparing the report…"),
        )

    def show_pdf(self, pdf: bytes) -> None:
        self.pdf_bytes = pdf
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        self.print_button.setEnabled(True)
        self.save_button.setEnabled(True)

    def issue(self, output: Callable[[], None]) -> None:
        """Give the report its number (the preview showed the next free one), rebuild the PDF
        if another report took that number meanwhile or the narrative changed, then print or
        write it with ``output``. If ``output`` fails the number is given back: a report that
        was never issued does not use up a document number."""
        data = self.report_data()
        if self.is_appendix():  # it carries the number of the report it is attached to
            output()
            return
        number = take_number(self.indicators, data.issued_on)
        try:
            pdf = self.build(replace(data, number=number))
            if pdf != self.pdf_bytes:
                self.show_pdf(pdf)
            output()
        except BaseException:
            give_back_number(self.indicators, data.issued_on, number)
            raise

    def save(self, path: Path | None = None) -> None:
        if not self.pdf_bytes:
            return
        if path is None:
            path = save_file(self, _("Save the report"), "bao-cao.pdf", _("PDF (*.pdf)"))
            if path is None:
                return
        target = path
        with errors_shown(self) as attempt:
            self.issue(lambda: atomic_write_bytes(target, self.pdf_bytes))
        if attempt.failed:
            return
        inform(self, _("Report saved"), _("The report was saved to {path}.").format(path=path))

    def print_report(self, printer: QPrinter | None = None) -> None:
        if self.document.pageCount() == 0:
            return
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            dialog = QPrintDialog(printer, self)
            if dialog.exec() != QPrintDialog.DialogCode.Accepted:
                return  # cancelled: no number taken
        chosen = printer
        with errors_shown(self):
            self.issue(lambda: print_document(self.document, chosen))


def give_back_number(service: IndicatorService, issued_on: date, number: str) -> None:
    """Return ``number`` to the counter if it is still the last one taken (nothing else was
    issued meanwhile)."""
    settings = load_settings(service)
    if settings.number_year != issued_on.year or settings.next_number <= 1:
        return
    previous = replace(settings, next_number=settings.next_number - 1)
    if next_number(previous, issued_on) == number:
        save_settings(service, previous)


def print_document(document: QPdfDocument, printer: QPrinter) -> None:
    """Render each page at up to 300 dpi on white and paint it onto the printer's pages."""
    printer.setResolution(min(printer.resolution(), PRINT_DPI))
    painter = QPainter()
    if not painter.begin(printer):
        raise EnvironmentProblem(
            _("The printer could not be started. Nothing was printed."),
            hint=_("Check that the printer is switched on and connected, then print again."),
        )
    try:
        for number in range(document.pageCount()):
            if number:
                printer.newPage()
            target = QRectF(painter.viewport())
            size = target.size().toSize()
            image = document.render(number, size)
            page = QImage(size, QImage.Format.Format_RGB32)
            page.fill(Qt.GlobalColor.white)  # QtPdf renders on transparent
            page_painter = QPainter(page)
            page_painter.drawImage(0, 0, image)
            page_painter.end()
            painter.drawImage(target, page)
    finally:
        painter.end()
