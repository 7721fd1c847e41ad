"""Browser views of matching and recommending: the shortlist, the comparison of shortlisted
units side by side and the sending of them as one recommendation set; the excluded units.

The request page shows the ranked candidates (templatetags.placement_matching); these views
act on them. Writes go through placements.services, which check the workflow again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from placements import matching, recommending, rules, selectors, services
from placements.forms import RecommendationSetForm
from placements.models import PlacementRequest
from providers.models import UnitService
from spink.accounts.http import AuthenticatedHttpRequest
from spink.errors import RuleViolation
from spink.web import refusal_status, wants_partial


def _visible(request: AuthenticatedHttpRequest, pk: int) -> PlacementRequest:
    return get_object_or_404(selectors.visible_requests(request.user), pk=pk)


def _matching_for(request: AuthenticatedHttpRequest, pk: int) -> PlacementRequest:
    """The request, if `request.user` is shown its matching (else 403)."""
    placement = _visible(request, pk)
    if not rules.shows_matching(request.user, placement):
        raise PermissionDenied
    return placement


def _detail_url(placement: PlacementRequest, anchor: str = "") -> str:
    return reverse("placements:request-detail", args=[placement.pk]) + anchor


@login_required
def excluded_units(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The units offering the service that do not match, with the reasons (htmx partial)."""
    placement = _matching_for(request, pk)
    return render(
        request,
        "placements/includes/excluded_units.html",
        {"excluded": matching.excluded_offerings(placement)},
    )


@login_required
@require_POST
def shortlist(request: AuthenticatedHttpRequest, pk: int, offering_pk: int) -> HttpResponse:
    """Put a matching unit on the request's shortlist, or take it off (`remove`). htmx gets
    the unit's button and the shortlist panel back; without JavaScript, the request page."""
    placement = _matching_for(request, pk)
    remove = bool(request.POST.get("remove"))
    try:
        if remove:
            services.shortlist_remove(actor=request.user, request=placement, offering=offering_pk)
        else:
            services.shortlist_add(actor=request.user, request=placement, offering=offering_pk)
    except (RuleViolation, ValidationError) as error:
        text = str(error.message) if isinstance(error, RuleViolation) else " ".join(error.messages)
        status = refusal_status(error) if isinstance(error, RuleViolation) else 400
        if wants_partial(request):
            return _shortlist_fragment(request, placement, offering_pk, status=status, error=text)
        messages.error(request, text)
        return redirect(_detail_url(placement, "#matching-heading"))
    if wants_partial(request):
        return _shortlist_fragment(request, placement, offering_pk)
    return redirect(_detail_url(placement, f"#candidate-{offering_pk}"))


def _shortlist_fragment(
    request: AuthenticatedHttpRequest,
    placement: PlacementRequest,
    offering_pk: int,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    entries = list(placement.shortlist.select_related("offering__unit"))
    unit_name = (
        UnitService.objects.filter(pk=offering_pk).values_list("unit__name", flat=True).first()
    )
    context = {
        "placement": placement,
        "offering_pk": offering_pk,
        "unit_name": unit_name or "",
        "shortlisted": any(entry.offering_id == offering_pk for entry in entries),
        "shortlist": entries,
        "can_shortlist": True,
        "error": error,
    }
    return render(request, "placements/includes/shortlist_update.html", context, status=status)


def _compare_page(
    request: AuthenticatedHttpRequest,
    placement: PlacementRequest,
    form: RecommendationSetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    candidates, dropped = recommending.shortlisted_candidates(placement)
    compared, fact_rows = recommending.compare(candidates)
    actions = rules.REQUEST_WORKFLOW.available(placement, request.user)
    if form is None and "recommend" in actions and candidates:
        form = RecommendationSetForm(candidates=candidates)
    context = {
        "placement": placement,
        "compared": compared,
        "fact_rows": fact_rows,
        "dropped": dropped,
        "form": form,
    }
    return render(request, "placements/compare.html", context, status=status)


@login_required
def compare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The shortlisted units side by side, with the form that sends them as one set."""
    return _compare_page(request, _matching_for(request, pk))


@login_required
@require_POST
def send_recommendations(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _matching_for(request, pk)
    candidates, _dropped = recommending.shortlisted_candidates(placement)
    form = RecommendationSetForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            sending = services.send_recommendation_set(
                actor=request.user,
                request=placement.pk,
                items=[services.RecommendationItem(**item) for item in form.service_items()],
                message=form.cleaned_data["message"],
                accept_price_flag=form.cleaned_data["accept_price_flag"],
            )
        except services.PriceFlagged as error:
            form.flag(error.flags)
            messages.warning(request, _("Check the prices: confirm them in the form below."))
            return _compare_page(request, placement, form, status=409)
        except RuleViolation as error:
            messages.error(request, str(error.message))
            form.add_error(None, str(error.message))
            return _compare_page(request, placement, form, status=refusal_status(error))
        except ValidationError as error:
            form.place_errors(error.message_dict)
        else:
            count = sending.recommendations.count()
            messages.success(
                request,
                ngettext(
                    "%(count)s recommendation was sent to the social worker of %(reference)s.",
                    "%(count)s recommendations were sent to the social worker of %(reference)s.",
                    count,
                )
                % {"count": count, "reference": placement.reference},
            )
            return redirect(_detail_url(placement, "#recommendations-heading"))
    messages.error(request, _("Nothing was sent: please correct the form below."))
    return _compare_page(request, placement, form, status=400)
