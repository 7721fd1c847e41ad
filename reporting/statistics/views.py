"""Statistics pages for managers (and administrators): yearly request statistics and
follow-up statistics, every table exportable to CSV and XLSX with the page's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reporting.statistics import selectors, tables
from reporting.statistics.forms import StatisticsFilterForm, default_year
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedHttpRequest
from spink.accounts.views import require_capability
from spink.web import render_page_or_partial


class FollowupFilterForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"), min_value=selectors.MIN_YEAR, max_value=selectors.MAX_YEAR
    )


def _yearly_form(request: AuthenticatedHttpRequest) -> StatisticsFilterForm:
    years = selectors.years_with_requests(request.user)
    data = request.GET.copy()
    if not data.get("year"):
        data["year"] = str(default_year(years))
    return StatisticsFilterForm(data, user=request.user, years=years)


def _followup_form(request: AuthenticatedHttpRequest) -> FollowupFilterForm:
    data = request.GET.copy()
    if not data.get("year"):
        data["year"] = str(timezone.localdate().year)
    return FollowupFilterForm(data)


def _query(form: forms.Form) -> str:
    return "&".join(
        f"{name}={value.pk if hasattr(value, 'pk') else value}"
        for name, value in form.cleaned_data.items()
        if value not in (None, "")
    )


@login_required
def yearly(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.VIEW_STATISTICS)
    form = _yearly_form(request)
    context: dict[str, Any] = {"form": form, "tables": None}
    if form.is_valid():
        filters = form.filters()
        built = tables.yearly_tables(request.user, filters)
        context.update(
            tables=built,
            filters=filters,
            query=_query(form),
            chart=tables.chart_data(built["monthly"], filters),
        )
    return render_page_or_partial(
        request,
        page="reporting/statistics/yearly.html",
        partial="reporting/statistics/includes/yearly_results.html",
        context=context,
    )


@login_required
def followup(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.VIEW_STATISTICS)
    form = _followup_form(request)
    context: dict[str, Any] = {"form": form, "tables": None}
    if form.is_valid():
        context.update(tables=tables.followup_tables(form.cleaned_data["year"]), query=_query(form))
    return render(request, "reporting/statistics/followup.html", context)


FOLLOWUP_TABLES = {
    "controls",
    "rejections",
    "feedback",
    "feedback_closing",
    "deep_controls",
    "site_visits_area",
    "site_visits_form",
    "signals",
}


@login_required
def export(request: AuthenticatedHttpRequest, table: str, fmt: str) -> HttpResponse:
    """One table of either page as CSV or XLSX, with the same filters and scope as the page."""
    require_capability(request, Capability.VIEW_STATISTICS)
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    form: StatisticsFilterForm | FollowupFilterForm
    if table in tables.YEARLY_TABLES:
        form = _yearly_form(request)
        if not form.is_valid():
            return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
        filters = form.filters()
        data = tables.YEARLY_TABLES[table](request.user, filters)
        filename = f"spink-{table}-{filters.year}"
    elif table in FOLLOWUP_TABLES:
        form = _followup_form(request)
        if not form.is_valid():
            return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
        year = form.cleaned_data["year"]
        data = tables.followup_tables(year)[table]
        filename = f"spink-{table}-{year}"
    else:
        raise Http404
    if fmt == "csv":
        return tables.csv_response(data, filename)
    return tables.xlsx_response(data, filename)
