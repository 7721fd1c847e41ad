"""Browser views of the provider register.

Thin on purpose: reads come from providers.selectors (always scoped to the user's register),
writes go through providers.services, and providers.rules decides what is allowed. A refusal
is shown on the form it came from; nothing here re-checks a rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from providers import rules, selectors, services
from providers.filters import ProviderFilter, UnitFilter
from providers.forms import (
    AdmitUnitForm,
    AgreementForm,
    OfferingForm,
    OrderStopForm,
    PermitForm,
    PriceForm,
    ProviderForm,
    RecommendationStopForm,
    RenewPermitForm,
    RevokePermitForm,
    StatusForm,
    UnitForm,
)
from providers.models import Permit, Price, PublicationStatus, Unit, UnitService
from spink import concurrency
from spink.accounts import saved_filters
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedHttpRequest
from spink.accounts.views import require_capability
from spink.forms import create_once, made_by_this_form
from spink.web import add_refusal, can, can_any, render_page_or_partial

PAGE_SIZE = 50
RESULTS_TARGET = "register-results"  # the id of the region htmx swaps on the register page


def _can_view_agreements(request: AuthenticatedHttpRequest) -> bool:
    return can_any(request, Capability.VIEW_FULL_REGISTER, Capability.MANAGE_AGREEMENTS)


# --- Register list -------------------------------------------------------------------------------


@login_required
def unit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.VIEW_REGISTER)
    saved, default = saved_filters.for_list(request, "providers:unit-list")
    if default is not None:
        return default
    filterset = UnitFilter(
        request.GET, queryset=selectors.visible_units(request.user), request=request
    )
    page = Paginator(filterset.qs.order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render_page_or_partial(
        request,
        page="providers/unit_list.html",
        partial="providers/includes/unit_results.html",
        target=RESULTS_TARGET,
        context={
            "filter": filterset,
            "page": page,
            "saved": saved,
            "full_register": can(request, Capability.VIEW_FULL_REGISTER),
            "can_edit": can(request, Capability.EDIT_REGISTER),
            "can_view_agreements": _can_view_agreements(request),
        },
    )


# --- Unit detail, status and stops ---------------------------------------------------------------


def permit_state(permit: Permit, on: dt.date) -> str:
    if permit.is_valid_on(on):
        return _("Valid")
    if permit.revoked_on is not None and permit.revoked_on <= on:
        return _("Revoked")
    if permit.valid_from > on:
        return _("Not yet valid")
    return _("Expired")


def _display_value(field, value, related_names: dict) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if field.is_relation:
        return related_names.get(field, {}).get(value, str(value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _readable_history(entries: list[dict]) -> list[dict]:
    """Field history with choice labels and related names instead of raw stored values."""
    ids: defaultdict[Any, set[Any]] = defaultdict(set)  # relation field → ids
    for entry in entries:
        for change in entry["changes"]:
            field = Unit._meta.get_field(change["name"])
            if field.is_relation:
                ids[field].update(v for v in (change["old"], change["new"]) if v is not None)
    related_names = {
        field: {obj.pk: str(obj) for obj in field.related_model.objects.filter(pk__in=pks)}
        for field, pks in ids.items()
    }
    for entry in entries:
        for change in entry["changes"]:
            field = Unit._meta.get_field(change["name"])
            change["old_display"] = _display_value(field, change["old"], related_names)
            change["new_display"] = _display_value(field, change["new"], related_names)
    return entries


def _render_unit_detail(
    request: AuthenticatedHttpRequest, pk: int, status: int = 200, **forms
) -> HttpResponse:
    unit = selectors.unit_page(request.user, pk)
    today = timezone.localdate()
    can_edit = can(request, Capability.EDIT_REGISTER)
    can_order_stop = can(request, Capability.DECIDE_ORDER_STOP)
    context = {
        "unit": unit,
        "permits": [(permit, permit_state(permit, today)) for permit in unit.permits.all()],
        "events": selectors.unit_events(unit),
        "history": _readable_history(selectors.unit_field_history(unit)),
        "can_edit": can_edit,
        "can_order_stop": can_order_stop,
        "can_view_agreements": _can_view_agreements(request),
        "full_register": can(request, Capability.VIEW_FULL_REGISTER),
        # Links to supplier follow-up (followup app) from the unit's page.
        "can_lodge_feedback": can(request, Capability.LODGE_FEEDBACK),
        "can_run_followup": can(request, Capability.RUN_FOLLOWUP),
    }
    if can_edit:
        context["status_form"] = forms.get("status_form") or StatusForm(unit=unit)
        context["recommendation_form"] = forms.get("recommendation_form") or RecommendationStopForm(
            unit=unit
        )
    if can_order_stop:
        context["order_form"] = forms.get("order_form") or OrderStopForm(unit=unit)
    return render(request, "providers/unit_detail.html", context, status=status)


@login_required
def unit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.VIEW_REGISTER)
    return _render_unit_detail(request, pk)


def _scoped_unit(request: AuthenticatedHttpRequest, pk: int) -> Unit:
    return get_object_or_404(selectors.visible_units(request.user), pk=pk)


@login_required
@require_POST
def unit_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.EDIT_REGISTER)
    unit = _scoped_unit(request, pk)
    form = StatusForm(request.POST, unit=unit)
    if form.is_valid():
        to_status = form.cleaned_data["to_status"]
        try:
            services.change_status(
                actor=request.user,
                unit=unit.pk,
                to_status=to_status,
                reason=form.cleaned_data["reason"],
                from_status=form.seen_state,
            )
        except concurrency.StaleEdit as error:
            # The status moved on: keep the reason, offer the steps from the status now.
            unit = _scoped_unit(request, pk)
            form.refuse_stale(error, unit.status)
            form.offer_transitions(unit)
        except (rules.RuleViolation, ValidationError) as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("The status is now “%(status)s”.")
                % {"status": PublicationStatus(to_status).label},
            )
            return redirect("providers:unit-detail", pk=unit.pk)
    return _render_unit_detail(request, pk, status=400, status_form=form)


def _decide_stop(request, pk, *, capability, form_class, context_name, decide, done):
    require_capability(request, capability)
    unit = _scoped_unit(request, pk)
    form = form_class(request.POST, unit=unit)
    if form.is_valid():
        stop = form.cleaned_data["stop"]
        try:
            decide(
                actor=request.user,
                unit=unit.pk,
                stop=stop,
                reason=form.cleaned_data["reason"],
                from_stop=form.seen_state,
            )
        except concurrency.StaleEdit as error:
            form.refuse_stale(error, _scoped_unit(request, pk))
        except (rules.RuleViolation, ValidationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, done[stop])
            return redirect("providers:unit-detail", pk=unit.pk)
    return _render_unit_detail(request, pk, status=400, **{context_name: form})


@login_required
@require_POST
def unit_recommendation_stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _decide_stop(
        request,
        pk,
        capability=Capability.EDIT_REGISTER,
        form_class=RecommendationStopForm,
        context_name="recommendation_form",
        decide=services.set_recommendation_stop,
        done={
            True: _("Recommendation stop decided."),
            False: _("Recommendation stop lifted."),
        },
    )


@login_required
@require_POST
def unit_order_stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _decide_stop(
        request,
        pk,
        capability=Capability.DECIDE_ORDER_STOP,
        form_class=OrderStopForm,
        context_name="order_form",
        decide=services.set_order_stop,
        done={True: _("Temporary order stop decided."), False: _("Order stop lifted.")},
    )


# --- Unit editing and offerings -----------------------------------------------------------------


@login_required
def unit_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.EDIT_REGISTER)
    unit = _scoped_unit(request, pk)
    heading_name = unit.name  # binding the form overwrites the instance's fields
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit(
                actor=request.user, unit=unit, seen=form.seen_version, **form.service_fields()
            )
        except concurrency.StaleEdit as error:
            form.refuse_stale(error)  # the user's input stays, with the version saved now
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The unit was saved."))
            return redirect("providers:unit-detail", pk=unit.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "providers/unit_form.html",
        {"form": form, "unit": unit, "provider": unit.provider, "heading_name": heading_name},
        status=status,
    )


@login_required
def unit_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.EDIT_REGISTER)
    provider = get_object_or_404(selectors.visible_providers(request.user), pk=pk)
    form = UnitForm(request.POST or None, initial={"municipality": provider.municipality_id})
    if made := made_by_this_form(request.user, form, scope="unit"):
        return redirect(made)  # the same form posted again: the unit exists
    if request.method == "POST" and form.is_valid():
        try:
            unit, url = create_once(
                request.user,
                form,
                scope="unit",
                create=lambda: services.create_unit(
                    actor=request.user, provider=provider, **form.service_fields()
                ),
                url=lambda unit: reverse("providers:unit-offerings", args=[unit.pk]),
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            if unit is not None:
                messages.success(
                    request, _("The unit was created as a draft. Add the services it offers.")
                )
            return redirect(url)
    status = 400 if form.errors else 200
    return render(
        request, "providers/unit_form.html", {"form": form, "provider": provider}, status=status
    )


def _render_offerings(request, unit: Unit, form: OfferingForm, status: int = 200):
    return render(
        request,
        "providers/unit_offerings.html",
        {"unit": unit, "offerings": unit.offerings.all(), "form": form},
        status=status,
    )


@login_required
def unit_offerings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.EDIT_REGISTER)
    unit = _scoped_unit(request, pk)
    if request.method != "POST":
        return _render_offerings(request, unit, OfferingForm())
    form = OfferingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_offering(
                actor=request.user,
                unit=unit,
                service=data["service"],
                operating_form=data["operating_form"],
                subcategories=data["subcategories"],
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("%(service)s (%(form)s) is now offered.")
                % {"service": data["service"].name, "form": data["operating_form"].name},
            )
            return redirect("providers:unit-offerings", pk=unit.pk)
    return _render_offerings(request, unit, form, status=400)


@login_required
@require_POST
def unit_offering_remove(
    request: AuthenticatedHttpRequest, pk: int, offering_pk: int
) -> HttpResponse:
    require_capability(request, Capability.EDIT_REGISTER)
    unit = _scoped_unit(request, pk)
    offering = get_object_or_404(
        UnitService.objects.select_related("service", "operating_form"), unit=unit, pk=offering_pk
    )
    services.remove_offering(actor=request.user, offering=offering)
    messages.success(
        request,
        _("%(service)s (%(form)s) was removed.")
        % {"service": offering.service.name, "form": offering.operating_form.name},
    )
    return redirect("providers:unit-offerings", pk=unit.pk)


# --- Prices -------------------------------------------------------------------------------------


def price_state(price: Price, on: dt.date) -> str:
    if price.is_valid_on(on):
        return _("Valid")
    return _("Coming") if price.valid_from > on else _("Ended")


def _render_prices(request, unit: Unit, form: PriceForm, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    offerings = unit.offerings.select_related("service", "operating_form").prefetch_related(
        Prefetch(
            "prices", queryset=Price.objects.select_related("agreement").order_by("-valid_from")
        )
    )
    rows = [
        (offering, [(price, price_state(price, today)) for price in offering.prices.all()])
        for offering in offerings
    ]
    context = {"unit": unit, "offerings": rows, "form": form}
    return render(request, "providers/unit_prices.html", context, status=status)


@login_required
def unit_prices(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The daily prices of the unit's offerings with their history; a new price from a date."""
    require_capability(request, Capability.EDIT_REGISTER)
    unit = _scoped_unit(request, pk)
    if request.method != "POST":
        return _render_prices(request, unit, PriceForm(unit=unit))
    form = PriceForm(request.POST, unit=unit)
    if form.is_valid():
        try:
            price = services.change_price(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("The new price of %(service)s applies from %(date)s.")
                % {"service": price.offering.service.name, "date": price.valid_from.isoformat()},
            )
            return redirect("providers:unit-prices", pk=unit.pk)
    return _render_prices(request, unit, form, status=400)


# --- IVO permits ---------------------------------------------------------------------------------


def _render_permits(request, unit: Unit, status: int = 200, **forms) -> HttpResponse:
    today = timezone.localdate()
    permits = []
    for permit in unit.permits.prefetch_related("services"):
        open_permit = rules.permit_is_open(permit)
        permits.append(
            {
                "permit": permit,
                "state": permit_state(permit, today),
                "renew_form": forms.get(f"renew_{permit.pk}")
                or (RenewPermitForm(permit=permit) if open_permit else None),
                "revoke_form": forms.get(f"revoke_{permit.pk}")
                or (RevokePermitForm(permit=permit) if open_permit else None),
            }
        )
    context = {
        "unit": unit,
        "permits": permits,
        "form": forms.get("form") or PermitForm(unit=unit),
    }
    return render(request, "providers/unit_permits.html", context, status=status)


@login_required
def unit_permits(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The unit's IVO permits: register one, renew or revoke them."""
    require_capability(request, Capability.EDIT_REGISTER)
    unit = _scoped_unit(request, pk)
    if request.method != "POST":
        return _render_permits(request, unit)
    form = PermitForm(request.POST, unit=unit)
    if form.is_valid():
        try:
            permit = services.add_permit(actor=request.user, unit=unit, **form.cleaned_data)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, _("The permit %(number)s was registered.") % {"number": permit}
            )
            return redirect("providers:unit-permits", pk=unit.pk)
    return _render_permits(request, unit, status=400, form=form)


def _permit_step(request, pk: int, permit_pk: int, form_class, name: str, step, done: str):
    require_capability(request, Capability.EDIT_REGISTER)
    unit = _scoped_unit(request, pk)
    permit = get_object_or_404(Permit, unit=unit, pk=permit_pk)
    form = form_class(request.POST, permit=permit)
    if form.is_valid():
        try:
            step(permit, form.cleaned_data)
        except (rules.RuleViolation, ValidationError) as error:
            add_refusal(form, error)
        else:
            messages.success(request, done % {"number": permit.permit_number})
            return redirect("providers:unit-permits", pk=unit.pk)
    return _render_permits(request, unit, status=400, **{f"{name}_{permit.pk}": form})


@login_required
@require_POST
def permit_renew(request: AuthenticatedHttpRequest, pk: int, permit_pk: int) -> HttpResponse:
    return _permit_step(
        request,
        pk,
        permit_pk,
        RenewPermitForm,
        "renew",
        lambda permit, data: services.renew_permit(
            actor=request.user, permit=permit, valid_to=data["valid_to"]
        ),
        _("The permit %(number)s was renewed."),
    )


@login_required
@require_POST
def permit_revoke(request: AuthenticatedHttpRequest, pk: int, permit_pk: int) -> HttpResponse:
    return _permit_step(
        request,
        pk,
        permit_pk,
        RevokePermitForm,
        "revoke",
        lambda permit, data: services.revoke_permit(
            actor=request.user,
            permit=permit,
            revoked_on=data["revoked_on"],
            reason=data["reason"],
        ),
        _("The permit %(number)s was revoked: the unit is no longer matched for its services."),
    )


# --- Providers ----------------------------------------------------------------------------------


@login_required
def provider_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.VIEW_FULL_REGISTER)
    filterset = ProviderFilter(
        request.GET, queryset=selectors.visible_providers(request.user), request=request
    )
    page = Paginator(filterset.qs.order_by("legal_name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "providers/provider_list.html",
        {"filter": filterset, "page": page, "can_edit": can(request, Capability.EDIT_REGISTER)},
    )


@login_required
def provider_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.VIEW_REGISTER)
    provider = get_object_or_404(selectors.visible_providers(request.user), pk=pk)
    full_register = can(request, Capability.VIEW_FULL_REGISTER)
    return render(
        request,
        "providers/provider_detail.html",
        {
            "provider": provider,
            "units": selectors.provider_units(request.user, provider),
            # Board members and signatories are for the control work, not for placing.
            "people": provider.people.all() if full_register else None,
            "full_register": full_register,
            "can_edit": can(request, Capability.EDIT_REGISTER),
        },
    )


def _provider_form(request: AuthenticatedHttpRequest, provider=None) -> HttpResponse:
    require_capability(request, Capability.EDIT_REGISTER)
    heading_name = provider.legal_name if provider else ""
    form = ProviderForm(request.POST or None, instance=provider)
    if provider is None and (made := made_by_this_form(request.user, form, scope="provider")):
        return redirect(made)  # the same form posted again: the provider exists
    if request.method == "POST" and form.is_valid():
        try:
            if provider is None:
                created, url = create_once(
                    request.user,
                    form,
                    scope="provider",
                    create=lambda: services.create_provider(
                        actor=request.user, **form.service_fields()
                    ),
                    url=lambda made: reverse("providers:provider-detail", args=[made.pk]),
                )
                if created is None:  # the same form posted again: the provider exists
                    return redirect(url)
            else:
                services.update_provider(
                    actor=request.user,
                    provider=provider,
                    seen=form.seen_version,
                    **form.service_fields(),
                )
                url = reverse("providers:provider-detail", args=[provider.pk])
        except concurrency.StaleEdit as error:
            form.refuse_stale(error)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The provider was saved."))
            return redirect(url)
    status = 400 if form.errors else 200
    return render(
        request,
        "providers/provider_form.html",
        {"form": form, "provider": provider, "heading_name": heading_name},
        status=status,
    )


@login_required
def provider_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _provider_form(request)


@login_required
def provider_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.EDIT_REGISTER)
    provider = get_object_or_404(selectors.visible_providers(request.user), pk=pk)
    return _provider_form(request, provider)


# --- Framework agreements -----------------------------------------------------------------------


def _require_agreement_view(request: AuthenticatedHttpRequest) -> None:
    if not _can_view_agreements(request):
        require_capability(request, Capability.MANAGE_AGREEMENTS)


@login_required
def agreement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_agreement_view(request)
    return render(
        request,
        "providers/agreement_list.html",
        {
            "agreements": selectors.agreements(),
            "can_manage": can(request, Capability.MANAGE_AGREEMENTS),
        },
    )


def _render_agreement_detail(request, pk: int, admit_form=None, status: int = 200):
    agreement = get_object_or_404(selectors.agreements(), pk=pk)
    can_manage = can(request, Capability.MANAGE_AGREEMENTS)
    context = {
        "agreement": agreement,
        "links": selectors.agreement_units(agreement),
        "can_manage": can_manage,
        "next_admission": agreement.next_admission_date(timezone.localdate()),
    }
    if can_manage:
        context["admit_form"] = admit_form or AdmitUnitForm(
            units=selectors.units_for_admission(agreement),
            initial={"admitted_on": context["next_admission"]},
        )
    return render(request, "providers/agreement_detail.html", context, status=status)


@login_required
def agreement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_agreement_view(request)
    return _render_agreement_detail(request, pk)


def _agreement_form(request: AuthenticatedHttpRequest, agreement=None) -> HttpResponse:
    require_capability(request, Capability.MANAGE_AGREEMENTS)
    heading_name = agreement.name if agreement else ""
    form = AgreementForm(request.POST or None, instance=agreement)
    if agreement is None and (made := made_by_this_form(request.user, form, scope="agreement")):
        return redirect(made)  # the same form posted again: the agreement exists
    if request.method == "POST" and form.is_valid():

        def save():
            return services.save_agreement(
                actor=request.user,
                agreement=form.instance,
                services=form.cleaned_data["services"],
                seen=form.seen_version,
            )

        try:
            if agreement is None:
                saved, url = create_once(
                    request.user,
                    form,
                    scope="agreement",
                    create=save,
                    url=lambda made: reverse("providers:agreement-detail", args=[made.pk]),
                )
                if saved is None:  # the same form posted again: the agreement exists
                    return redirect(url)
            else:
                saved = save()
                url = reverse("providers:agreement-detail", args=[saved.pk])
        except concurrency.StaleEdit as error:
            form.refuse_stale(error)
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The framework agreement was saved."))
            return redirect(url)
    status = 400 if form.errors else 200
    return render(
        request,
        "providers/agreement_form.html",
        {"form": form, "agreement": agreement, "heading_name": heading_name},
        status=status,
    )


@login_required
def agreement_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _agreement_form(request)


@login_required
def agreement_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.MANAGE_AGREEMENTS)
    return _agreement_form(request, get_object_or_404(selectors.agreements(), pk=pk))


@login_required
@require_POST
def agreement_admit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.MANAGE_AGREEMENTS)
    agreement = get_object_or_404(selectors.agreements(), pk=pk)
    form = AdmitUnitForm(request.POST, units=selectors.units_for_admission(agreement))
    if form.is_valid():
        unit = form.cleaned_data["unit"]
        try:
            services.admit_unit(
                actor=request.user,
                agreement=agreement,
                unit=unit,
                admitted_on=form.cleaned_data["admitted_on"],
            )
        except (rules.RuleViolation, ValidationError) as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, _("%(unit)s was admitted to the agreement.") % {"unit": unit.name}
            )
            return redirect("providers:agreement-detail", pk=agreement.pk)
    return _render_agreement_detail(request, pk, admit_form=form, status=400)
