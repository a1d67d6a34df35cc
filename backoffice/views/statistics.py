"""Statistik (F-STAT-1): per e-service, charts with their numbers as tables, and the same as an Excel file.

Under the menu Ärenden: the e-services the user may see (administrators: all; handlers:
their own), and a page per e-service with a period (default: the last twelve months).
The figures come from ``shared.services.statistics``; this module only lays them out.

The charts are drawn here as inline SVG (no script, nothing from elsewhere): each has
``role="img"`` with a title and a description, value labels on the bars, and on the
queue's line chart a different dash pattern and point marker per answer, shown the same
way in its legend, so nothing is told by colour alone.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field

from flask import abort, request, send_file
from flask_appbuilder import BaseView, expose
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from backoffice.views.access import staff_access
from backoffice.views.case_common import current_staff
from shared import clock
from shared.errors import Invalid, NotFound
from shared.services import statistics
from shared.services.export import XLSX_MIMETYPE


def _number(value: float | None) -> str:
    """A number as Swedes write it (12,5); a dash for none."""
    if value is None:
        return "–"
    return format_decimal(round(value, 1), format="#,##0.#")


def month_name(month: dt.date, *, short: bool = False) -> str:
    """The month as the user's language names it ("mars 2026"; short: "mars 26")."""
    return format_date(month, "LLL yy" if short else "LLLL y")


def week_name(week: statistics.WeekCount) -> str:
    return _("Week %(week)s, %(year)s", week=week.week, year=week.year)


# -- charts ------------------------------------------------------------------------------------

# Okabe and Ito's palette, told apart by people with colour blindness; dark enough on white.
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#1f4e79", "#000000", "#7a3e00"]
DASHES = ["", "8 4", "2 3", "10 3 2 3", "4 4", "12 6", "1 5", "6 2 1 2"]
MARKERS = ["circle", "square", "triangle", "diamond", "cross", "x", "triangle-down", "plus"]


def marker_path(shape: str, x: float, y: float, r: float = 4.5) -> str:
    """An SVG path of a point marker of the given shape centred on (x, y)."""
    if shape == "circle":
        return f"M{x - r:.1f},{y:.1f}a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 {-2 * r},0Z"
    if shape == "square":
        return f"M{x - r:.1f},{y - r:.1f}h{2 * r}v{2 * r}h{-2 * r}Z"
    if shape == "triangle":
        return f"M{x:.1f},{y - r - 1:.1f}L{x + r + 1:.1f},{y + r:.1f}L{x - r - 1:.1f},{y + r:.1f}Z"
    if shape == "triangle-down":
        return f"M{x:.1f},{y + r + 1:.1f}L{x + r + 1:.1f},{y - r:.1f}L{x - r - 1:.1f},{y - r:.1f}Z"
    if shape == "diamond":
        return f"M{x:.1f},{y - r - 1:.1f}L{x + r + 1:.1f},{y:.1f}L{x:.1f},{y + r + 1:.1f}L{x - r - 1:.1f},{y:.1f}Z"
    if shape == "cross":  # a filled plus sign
        t = r / 2.5
        return (
            f"M{x - t:.1f},{y - r:.1f}h{2 * t:.1f}v{r - t:.1f}h{r - t:.1f}v{2 * t:.1f}h{-(r - t):.1f}"
            f"v{r - t:.1f}h{-2 * t:.1f}v{-(r - t):.1f}h{-(r - t):.1f}v{-2 * t:.1f}h{r - t:.1f}Z"
        )
    if shape == "plus":  # an outline plus, drawn as strokes
        return f"M{x - r:.1f},{y:.1f}H{x + r:.1f}M{x:.1f},{y - r:.1f}V{y + r:.1f}"
    # "x": two strokes
    return f"M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x + r:.1f},{y - r:.1f}L{x - r:.1f},{y + r:.1f}"


def _nice_top(largest: float) -> tuple[float, float]:
    """The top of the value axis and its tick step: 1, 2 or 5 times a power of ten, four or five ticks."""
    if largest <= 0:
        return 1.0, 1.0
    raw = largest / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if step < 1:
        step = 1.0
    return step * math.ceil(largest / step), float(step)


@dataclass
class Tick:
    y: float
    text: str


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value_text: str
    value_x: float
    value_y: float
    label: str = ""
    label_x: float = 0
    label_y: float = 0


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    kind: str  # "columns", "rows" or "lines"
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Tick] = field(default_factory=list)  # x axis labels (y holds the x position)
    series: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    plot: dict = field(default_factory=dict)
    empty: bool = False


def column_chart(
    chart_id: str, title: str, description: str, items: list[tuple[str, float | None]], width: int = 960
) -> Chart:
    """Vertical bars, one per item (label, value), the value written on each bar; every nth label shown."""
    height = 300
    left, right, top, bottom = 48, 12, 24, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _label, v in items if v is not None]
    top_value, step = _nice_top(max(values, default=0))
    slot = plot_w / max(len(items), 1)
    bar_w = max(slot * 0.7, 2)
    font_fits = slot >= 16
    every = max(1, math.ceil(len(items) / (width // 60)))
    chart = Chart(chart_id, title, description, width, height, "columns", empty=not any(values))
    chart.plot = {"left": left, "top": top, "right": width - right, "bottom": top + plot_h}
    tick = 0.0
    while tick <= top_value + 1e-9:
        chart.ticks.append(Tick(top + plot_h - plot_h * tick / top_value, _number(tick)))
        tick += step
    for i, (label, value) in enumerate(items):
        x = left + i * slot + (slot - bar_w) / 2
        h = plot_h * (value or 0) / top_value
        y = top + plot_h - h
        text = _number(value) if value is not None else ""
        chart.bars.append(
            Bar(
                x,
                y,
                bar_w,
                h,
                text if (font_fits or value) else "",
                x + bar_w / 2,
                y - 4,
                label if i % every == 0 else "",
            )
        )
        if i % every == 0:
            chart.labels.append(Tick(x + bar_w / 2, label))
    return chart


def row_chart(chart_id: str, title: str, description: str, items: list[tuple[str, float]], width: int = 600) -> Chart:
    """Horizontal bars, one per item (label, value), the label before and the value after each bar."""
    row_h, left, right, top = 34, 220, 50, 8
    height = top * 2 + row_h * max(len(items), 1)
    largest = max((v for _l, v in items), default=0) or 1
    plot_w = width - left - right
    chart = Chart(chart_id, title, description, width, height, "rows", empty=not any(v for _l, v in items))
    chart.plot = {"left": left, "top": top, "bottom": height - top}
    for i, (label, value) in enumerate(items):
        y = top + i * row_h + 6
        w = plot_w * value / largest
        chart.bars.append(
            Bar(
                left,
                y,
                w,
                row_h - 12,
                _number(value),
                left + w + 6,
                y + (row_h - 12) / 2 + 5,
                label,
                left - 8,
                y + (row_h - 12) / 2 + 5,
            )
        )
    return chart


def line_chart(
    chart_id: str, title: str, description: str, x_labels: list[str], series: list[tuple[str, list[int]]]
) -> Chart:
    """Lines over time, one per series (name, values); each with its own colour, dash pattern and marker."""
    width = 960
    legend_rows = math.ceil(len(series) / 3)
    left, right, top, bottom = 48, 16, 16, 46 + 24 * legend_rows
    height = 300 + 24 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((max(values, default=0) for _n, values in series), default=0)
    top_value, step = _nice_top(largest)
    chart = Chart(chart_id, title, description, width, height, "lines", empty=not largest)
    chart.plot = {"left": left, "top": top, "right": width - right, "bottom": top + plot_h}
    tick = 0.0
    while tick <= top_value + 1e-9:
        chart.ticks.append(Tick(top + plot_h - plot_h * tick / top_value, _number(tick)))
        tick += step
    n = len(x_labels)
    gap = plot_w / max(n - 1, 1)
    every = max(1, math.ceil(n / 12))

    def x_at(i: int) -> float:
        return left + (i * gap if n > 1 else plot_w / 2)

    chart.labels = [Tick(x_at(i), label) for i, label in enumerate(x_labels) if i % every == 0]
    for k, (name, values) in enumerate(series):
        colour, dash, marker = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)], MARKERS[k % len(MARKERS)]
        points = [(x_at(i), top + plot_h - plot_h * v / top_value) for i, v in enumerate(values)]
        chart.series.append(
            {
                "name": name,
                "colour": colour,
                "dash": dash,
                "line": " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
                "markers": [marker_path(marker, x, y) for x, y in points],
                "stroked": marker in ("x", "plus"),
            }
        )
        column, row = k % 3, k // 3
        lx, ly = left + column * 300, top + plot_h + 40 + row * 24
        chart.legend.append(
            {
                "name": name,
                "colour": colour,
                "dash": dash,
                "x1": lx,
                "x2": lx + 40,
                "y": ly,
                "marker": marker_path(marker, lx + 20, ly),
                "stroked": marker in ("x", "plus"),
                "text_x": lx + 48,
            }
        )
    return chart


# -- the page's figures as charts and tables ------------------------------------------------------


def charts(figures: statistics.Figures) -> dict[str, Chart]:
    """Every chart of the page, by name."""
    made = {
        "received": column_chart(
            "chart-received",
            _("Cases received per week"),
            _("Bar chart: the number of cases received each week of the period. The numbers are in the table."),
            [(_("w. %(week)s", week=w.week), w.count) for w in figures.received],
        ),
        "status": row_chart(
            "chart-status",
            _("Cases per status now"),
            _("Bar chart: the cases received in the period, by the status they have now."),
            [((s.name + " " + _("(closed)")) if s.is_final else s.name, s.count) for s in figures.per_status],
        ),
        "handling": column_chart(
            "chart-handling",
            _("Median handling time per month (days)"),
            _(
                "Bar chart: per month, the median number of days from submission to a final status of the cases "
                "closed that month."
            ),
            [(month_name(m.month, short=True), m.median_days) for m in figures.handling_time],
            width=640,
        ),
        "overdue": row_chart(
            "chart-overdue",
            _("Overdue cases now"),
            _("Bar chart: the open cases now, overdue and not overdue."),
            [
                (_("Overdue cases"), figures.overdue.overdue),
                (_("Open, not overdue"), figures.overdue.open - figures.overdue.overdue),
            ],
        ),
    }
    queue = figures.queue
    if queue is not None:
        made["queue"] = line_chart(
            "chart-queue",
            _("Queue length per %(question)s", question=queue.question_label.lower()),
            _(
                "Line chart: at the end of each week, the cases in the queue (submitted, not yet in a final "
                "status) per answer. Each answer has its own line pattern and point marker."
            ),
            [f"{p.day:%d/%m}" for p in queue.points],
            [(label, [p.counts.get(value, 0) for p in queue.points]) for value, label in queue.answers],
        )
    return made


# -- Excel -------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet(workbook: Workbook, title: str, headings: list[str]):
    sheet = workbook.create_sheet(_SHEET_FORBIDDEN.sub(" ", title)[:31])
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, heading in enumerate(headings, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(heading) + 2)
    return sheet


def workbook(figures: statistics.Figures) -> io.BytesIO:
    """The figures as an Excel file: one sheet per figure, dates as dates and numbers as numbers."""
    book = Workbook()
    book.remove(book.active)
    sheet = _sheet(book, _("Received per week"), [_("Year"), _("Week"), _("Week begins"), _("Cases received")])
    for w in figures.received:
        sheet.append([w.year, w.week, w.monday, w.count])
    for row in sheet.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].number_format = "yyyy-mm-dd"

    sheet = _sheet(book, _("Per status"), [_("Status"), _("Final status"), _("Cases")])
    for s in figures.per_status:
        sheet.append([s.name, _("Yes") if s.is_final else _("No"), s.count])

    sheet = _sheet(book, _("Handling time"), [_("Month"), _("Median handling time (days)"), _("Cases closed")])
    for m in figures.handling_time:
        sheet.append([m.month, round(m.median_days, 2) if m.median_days is not None else None, m.cases])
    for row in sheet.iter_rows(min_row=2, max_col=2):
        row[0].number_format = "yyyy-mm"
        row[1].number_format = "0.0"

    sheet = _sheet(book, _("Overdue cases"), [_("Date"), _("Overdue cases"), _("Open cases")])
    sheet.append([clock.today(), figures.overdue.overdue, figures.overdue.open])
    sheet["A2"].number_format = "yyyy-mm-dd"

    if figures.queue is not None:
        queue = figures.queue
        sheet = _sheet(
            book,
            _("Queue per %(question)s", question=queue.question_label.lower()),
            [_("Week ends")] + [label for _value, label in queue.answers],
        )
        for point in queue.points:
            sheet.append([point.day] + [point.counts.get(value, 0) for value, _label in queue.answers])
        for row in sheet.iter_rows(min_row=2, max_col=1):
            row[0].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


# -- the view ------------------------------------------------------------------------------------


class StatisticsView(BaseView):
    route_base = "/statistik"
    default_view = "index"
    # One permission for the three pages: which e-services is decided per user by the service.
    method_permission_name = {"index": "list", "eservice": "list", "excel": "list"}

    def _period(self) -> tuple[statistics.Period, Invalid | None]:
        try:
            return statistics.parse_period(request.args.get("start"), request.args.get("end")), None
        except Invalid as error:
            return statistics.Period.last_months(), error

    def _figures(self, eservice_id: int, period: statistics.Period) -> statistics.Figures:
        try:
            return statistics.eservice_statistics(eservice_id, actor=current_staff(), period=period)
        except NotFound:
            abort(404)

    @expose("/")
    @staff_access
    def index(self):
        """Statistik: the e-services whose statistics the user may see."""
        eservices = statistics.statistics_eservices(current_staff())
        return self.render_template("backoffice/statistics/list.html", eservices=eservices, title=None)

    @expose("/<int:eservice_id>")
    @staff_access
    def eservice(self, eservice_id: int):
        """One e-service's statistics for the chosen period: charts with their numbers."""
        period, error = self._period()
        figures = self._figures(eservice_id, period)
        # After a mistake the form keeps what was typed; the figures are the default period's.
        values = {
            "start": request.args.get("start") or period.start.isoformat(),
            "end": request.args.get("end") or period.end.isoformat(),
        }
        return self.render_template(
            "backoffice/statistics/eservice.html",
            figures=figures,
            charts=charts(figures),
            error=error,
            values=values,
            number=_number,
            month_name=month_name,
            week_name=week_name,
            title=None,
        )

    @expose("/<int:eservice_id>/excel")
    @staff_access
    def excel(self, eservice_id: int):
        """Ladda ner som Excel: the page's figures, one sheet per figure."""
        period, error = self._period()
        if error is not None:
            abort(400)
        figures = self._figures(eservice_id, period)
        name = f"statistik-{figures.eservice.slug}-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
        return send_file(workbook(figures), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)
