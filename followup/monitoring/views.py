"""Pages of basic monitoring for the quality & control team: the signal inbox, a signal (take,
close), the sources (with "Run now") and the runs with their skipped records.

Thin on purpose: reads come from followup.monitoring.selectors, writes go through
followup.monitoring.services, which also refuse what the rules do not allow; what a signal's
page offers is the signal workflow's answer (followup.rules.SIGNAL).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from followup import rules
from followup.models import MonitoringRun, MonitoringSource, Signal
from followup.monitoring import selectors, services
from followup.monitoring.forms import CloseSignalForm, SignalFilterForm, SignalStepForm
from spink import concurrency
from spink.accounts import saved_filters
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedHttpRequest
from spink.accounts.views import require_capability
from spink.errors import RuleViolation
from spink.web import render_page_or_partial

PAGE_SIZE = 50
RUN_OUTCOME = "run-outcome"  # the region htmx refreshes while a run is going


def _team_only(request: AuthenticatedHttpRequest) -> None:
    require_capability(request, Capability.RUN_FOLLOWUP)


# --- Signals --------------------------------------------------------------------------------------


@login_required
def signal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _team_only(request)
    form = SignalFilterForm(request.GET)
    saved, default = saved_filters.for_list(request, "monitoring:signal-list")
    if default is not None:
        return default
    page = Paginator(selectors.inbox(**form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "followup/monitoring/signal_list.html",
        {"form": form, "page": page, "saved": saved},
    )


def _render_signal(
    request: AuthenticatedHttpRequest,
    pk: int,
    *,
    status: int = 200,
    close_form=None,
    refusal: str = "",
) -> HttpResponse:
    try:
        signal = selectors.signal(pk)
    except Signal.DoesNotExist:
        raise Http404 from None
    context = {
        "signal": signal,
        "actions": rules.SIGNAL.available(signal, request.user),
        "take_form": SignalStepForm(signal=signal),
        "close_form": close_form or CloseSignalForm(signal=signal),
        "refusal": refusal,
    }
    return render(request, "followup/monitoring/signal_detail.html", context, status=status)


@login_required
def signal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _team_only(request)
    return _render_signal(request, pk)


@login_required
@require_POST
def signal_take(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _team_only(request)
    get_object_or_404(Signal, pk=pk)
    form = SignalStepForm(request.POST)
    form.is_valid()  # only the hidden status seen, which may be missing
    try:
        services.take_signal(actor=request.user, signal=pk, from_status=form.seen_state)
    except RuleViolation as refusal:
        return _render_signal(request, pk, status=400, refusal=str(refusal.message))
    messages.success(request, _("You are now handling the signal."))
    return redirect("monitoring:signal-detail", pk=pk)


@login_required
@require_POST
def signal_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _team_only(request)
    get_object_or_404(Signal, pk=pk)
    form = CloseSignalForm(request.POST)
    if form.is_valid():
        try:
            services.close_signal(
                actor=request.user,
                signal=pk,
                note=form.cleaned_data["note"],
                from_status=form.seen_state,
            )
        except concurrency.StaleEdit as refusal:
            # Taken or closed meanwhile: say so, and keep the note, now over the status shown.
            form.show_current_state(Signal.objects.get(pk=pk).status)
            return _render_signal(
                request, pk, status=400, close_form=form, refusal=str(refusal.message)
            )
        except RuleViolation as refusal:
            return _render_signal(request, pk, status=400, refusal=str(refusal.message))
        except ValidationError as error:
            form.add_error("note", error.message_dict.get("note", error.messages))
        else:
            messages.success(request, _("The signal is closed."))
            return redirect("monitoring:signal-detail", pk=pk)
    return _render_signal(request, pk, status=400, close_form=form)


# --- Sources and runs -----------------------------------------------------------------------------


def _render_sources(
    request: AuthenticatedHttpRequest, *, status: int = 200, refusal: str = ""
) -> HttpResponse:
    context = {"sources": selectors.sources_with_last_run(), "refusal": refusal}
    return render(request, "followup/monitoring/source_list.html", context, status=status)


@login_required
def source_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _team_only(request)
    return _render_sources(request)


@login_required
@require_POST
def source_run(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _team_only(request)
    source = get_object_or_404(MonitoringSource, pk=pk)
    try:
        run = services.request_run(actor=request.user, source=source)
    except RuleViolation as refusal:
        return _render_sources(request, status=400, refusal=str(refusal.message))
    messages.success(request, _("A run of “%(source)s” has started.") % {"source": source.name})
    return redirect("monitoring:run-detail", pk=run.pk)


@login_required
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _team_only(request)
    runs = selectors.runs()
    source = None
    source_id = request.GET.get("source", "")
    if source_id.isascii() and source_id.isdigit():
        source = MonitoringSource.objects.filter(pk=int(source_id)).first()
        runs = runs.filter(source_id=int(source_id))
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "followup/monitoring/run_list.html", {"page": page, "source": source})


@login_required
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _team_only(request)
    try:
        run = selectors.run(pk)
    except MonitoringRun.DoesNotExist:
        raise Http404 from None
    return render_page_or_partial(
        request,
        page="followup/monitoring/run_detail.html",
        partial="followup/monitoring/includes/run_outcome.html",
        context={"run": run},
        target=RUN_OUTCOME,
    )
