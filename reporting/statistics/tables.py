"""The statistics as named tables: the page, the CSV/XLSX exports and the tests read the very
same `Table` objects, so an export always holds the numbers on the page."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils import formats
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from followup.models import Feedback, FeedbackCategory
from reporting.statistics import selectors
from reporting.statistics.selectors import Comparison, Filters
from spink.accounts.models import User


@dataclass
class Row:
    cells: list
    level: str = ""  # "", "sub" (drill-down), "subtotal"


@dataclass
class Table:
    name: str
    caption: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    footer: list[Row] = field(default_factory=list)
    row_headers: int = 1  # leading cells of each row that are row headers

    def display_rows(self) -> list[dict]:
        return [_display(row, self.row_headers) for row in self.rows]

    def display_footer(self) -> list[dict]:
        return [_display(row, self.row_headers) for row in self.footer]

    def all_rows(self) -> list[list]:
        return [row.cells for row in self.rows + self.footer]


def _format(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float) or hasattr(value, "quantize"):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def _display(row: Row, row_headers: int) -> dict:
    return {
        "level": row.level,
        "headers": [_format(cell) for cell in row.cells[:row_headers]],
        "cells": [_format(cell) for cell in row.cells[row_headers:]],
    }


def _comparison_columns(filters: Filters) -> list[str]:
    return [str(filters.previous), str(filters.year), _("Difference"), _("Change (%)")]


def _numbers(counts: Comparison) -> list:
    return [counts.previous, counts.current, counts.difference, counts.percent]


# --- Yearly request statistics -------------------------------------------------------------------


def categories_table(user: User, filters: Filters) -> Table:
    data = selectors.requests_per_category(user, filters)
    table = Table(
        "categories",
        _("Requests per category, %(previous)s–%(year)s")
        % {"previous": filters.previous, "year": filters.year},
        [_("Category area"), _("Service"), _("Subcategory"), *_comparison_columns(filters)],
        row_headers=3,
    )
    for area in data.areas:
        for service in area.services:
            table.rows.append(Row([area.name, service.name, "", *_numbers(service.counts)]))
            for sub in service.subcategories:
                table.rows.append(
                    Row([area.name, service.name, sub.name, *_numbers(sub.counts)], "sub")
                )
        table.rows.append(
            Row([area.name, _("All services"), "", *_numbers(area.counts)], "subtotal")
        )
    table.footer.append(Row([_("Total"), "", "", *_numbers(data.total)]))
    return table


def monthly_table(user: User, filters: Filters) -> Table:
    months = selectors.requests_per_month(user, filters)
    table = Table(
        "monthly",
        _("Requests per month, %(previous)s–%(year)s")
        % {"previous": filters.previous, "year": filters.year},
        [_("Month"), *_comparison_columns(filters)],
    )
    total = Comparison()
    for row in months:
        table.rows.append(Row([str(MONTHS[row.month]).capitalize(), *_numbers(row.counts)]))
        total.add(row.counts)
    table.footer.append(Row([_("Total"), *_numbers(total)]))
    return table


def administrations_table(user: User, filters: Filters) -> Table:
    rows = selectors.requests_per_administration(user, filters)
    table = Table(
        "administrations",
        _("Requests per administration, %(previous)s–%(year)s")
        % {"previous": filters.previous, "year": filters.year},
        [
            _("Administration"),
            _("Municipality"),
            *_comparison_columns(filters),
            _("Unique persons %(year)s") % {"year": filters.year},
            _("Requests per person"),
            _("EU assignments %(year)s") % {"year": filters.year},
            _("Persons assigned (EU) %(year)s") % {"year": filters.year},
        ],
        row_headers=2,
    )
    for row in rows:
        table.rows.append(
            Row(
                [
                    row.name,
                    row.municipality,
                    *_numbers(row.counts),
                    row.persons,
                    row.requests_per_person,
                    row.eu_assignment_count,
                    row.eu_assigned_persons,
                ]
            )
        )
    return table


def summary_table(user: User, filters: Filters) -> Table:
    data = selectors.summary(user, filters)
    table = Table(
        "summary",
        _("The year %(year)s in figures") % {"year": filters.year},
        [_("Measure"), _("Value")],
    )
    table.rows = [
        Row([_("Requests"), data.requests]),
        Row([_("Unique persons"), data.persons]),
        Row([_("Requests per person"), data.requests_per_person]),
        Row([_("Placed"), data.placed]),
        Row([_("Not placed"), data.not_placed]),
        Row([_("Withdrawn"), data.withdrawn]),
        Row([_("Still open"), data.open]),
        Row(
            [
                _("Lead time to first recommendation, median (hours)"),
                data.lead_time_median_hours,
            ]
        ),
        Row(
            [
                _("Lead time to first recommendation, 90th percentile (hours)"),
                data.lead_time_p90_hours,
            ]
        ),
        Row([_("Assignments under the EU mass-flight directive"), data.eu_assignment_count]),
        Row([_("Persons assigned under the EU mass-flight directive"), data.eu_assigned_persons]),
    ]
    return table


def operating_forms_table(user: User, filters: Filters) -> Table:
    rows = selectors.chosen_operating_forms(user, filters)
    return Table(
        "operating_forms",
        _("Placements %(year)s by operating form of the chosen provider") % {"year": filters.year},
        [_("Operating form"), _("Placed")],
        [Row([row.name, row.placed]) for row in rows],
        [Row([_("Total"), sum(row.placed for row in rows)])],
    )


YEARLY_TABLES = {
    "summary": summary_table,
    "categories": categories_table,
    "monthly": monthly_table,
    "administrations": administrations_table,
    "operating_forms": operating_forms_table,
}


def yearly_tables(user: User, filters: Filters) -> dict[str, Table]:
    return {name: build(user, filters) for name, build in YEARLY_TABLES.items()}


def chart_data(monthly: Table, filters: Filters) -> dict:
    """The per-month table as the chart script reads it."""
    rows = monthly.rows
    return {
        "labels": [row.cells[0] for row in rows],
        "datasets": [
            {"label": str(filters.previous), "data": [row.cells[1] for row in rows]},
            {"label": str(filters.year), "data": [row.cells[2] for row in rows]},
        ],
        "title": monthly.caption,
    }


# --- Follow-up -----------------------------------------------------------------------------------


def followup_tables(year: int) -> dict[str, Table]:
    data = selectors.followup_statistics(year)
    controls = Table(
        "controls",
        _("Pre-admission controls decided in %(year)s") % {"year": year},
        [_("Period"), _("Controlled"), _("Approved"), _("Not approved")],
        [Row([p.label, p.controlled, p.approved, p.not_approved]) for p in data.controls],
    )
    rejections = Table(
        "rejections",
        _("Reasons for not approving, %(year)s") % {"year": year},
        [_("Provider"), _("Decided"), _("Reason")],
        [
            Row([r["provider"], formats.date_format(r["date"], "Y-m-d"), r["reason"]])
            for p in data.controls
            for r in p.rejections
        ],
    )
    categories = dict(FeedbackCategory.choices)
    closings = dict(Feedback.Closing.choices)
    feedback = Table(
        "feedback",
        _("Feedback lodged in %(year)s by category") % {"year": year},
        [_("Category"), _("Feedback")],
        [Row([str(categories.get(k, k)), n]) for k, n in data.feedback["per_category"].items()],
        [Row([_("Total"), data.feedback["total"]])],
    )
    feedback_closing = Table(
        "feedback_closing",
        _("Feedback lodged in %(year)s by closing category") % {"year": year},
        [_("Closing category"), _("Feedback")],
        [Row([str(closings.get(k, k)), n]) for k, n in data.feedback["per_closing"].items()],
    )
    deep = Table(
        "deep_controls",
        _("Deep controls decided in %(year)s by outcome") % {"year": year},
        [_("Outcome"), _("Deep controls")],
        [Row([label, n]) for label, n in data.deep_controls],
        [Row([_("Total"), sum(n for _label, n in data.deep_controls)])],
    )
    visits_area = Table(
        "site_visits_area",
        _("Site visits made in %(year)s by category area") % {"year": year},
        [_("Category area"), _("Site visits")],
        [Row([name, n]) for name, n in data.site_visits["per_area"]],
        [Row([_("Total"), data.site_visits["total"]])],
    )
    visits_form = Table(
        "site_visits_form",
        _("Site visits made in %(year)s by operating form") % {"year": year},
        [_("Operating form"), _("Site visits")],
        [Row([name, n]) for name, n in data.site_visits["per_form"]],
    )
    signals = Table(
        "signals",
        _("Signals raised in %(year)s by kind") % {"year": year},
        [_("Kind"), _("Signals")],
        [Row([label, n]) for label, n in data.signals],
        [Row([_("Total"), sum(n for _label, n in data.signals)])],
    )
    tables = [controls, rejections, feedback, feedback_closing, deep, visits_area, visits_form]
    return {table.name: table for table in [*tables, signals]}


# --- Exports -------------------------------------------------------------------------------------


def _safe(value):
    """A text cell a spreadsheet would run as a formula is quoted; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if hasattr(value, "quantize"):
        return float(value)
    return value


def csv_response(table: Table, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([table.caption])
    writer.writerow(table.columns)
    for cells in table.all_rows():
        writer.writerow([str(cell) if hasattr(cell, "quantize") else _safe(cell) for cell in cells])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(table: Table, filename: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.name[:31]
    sheet.append([table.caption])
    sheet["A1"].font = Font(bold=True)
    sheet.append(table.columns)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cells in table.all_rows():
        sheet.append([_safe(cell) for cell in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
