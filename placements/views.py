"""Browser views of placement requests.

Thin on purpose: reads come from placements.selectors (always the user's scope, so any other
request answers 404), writes go through placements.services, and placements.rules decides
which actions a page offers. Every POST is checked again by the services; a refusal is shown
on the page with the rule's own message, never as a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from categories.models import Subcategory
from placements import exports, rules, selectors, services
from placements import search as search_terms
from placements.forms import (
    AssignForm,
    ChoiceForm,
    DeviationForm,
    DeviationNoteForm,
    MessageForm,
    QueueFilterForm,
    ReasonForm,
    RequestFilterForm,
    RequestForm,
    SearchForm,
)
from placements.models import REQUEST_EDITABLE_FIELDS, PlacementRequest
from spink import concurrency
from spink.accounts import access, saved_filters
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedHttpRequest
from spink.accounts.views import require_capability
from spink.errors import RuleViolation
from spink.forms import model_choice_field
from spink.idempotency import keys as idempotency
from spink.pagination import COUNT_CAP, CappedPaginator
from spink.web import add_refusal, refusal_status, render_page_or_partial

PAGE_SIZE = 25
RESULTS_TARGET = "request-results"  # the region htmx swaps on the list and queue pages


def _with_row_data(page, user) -> None:
    for placement in page.object_list:
        placement.list_person = exports.list_person(placement, user)
        placement.can_take = rules.REQUEST_WORKFLOW.allows("take", placement, user)


def _list_page(request, template, results_template, requests, context) -> HttpResponse:
    term = context["filter_form"].search_term
    person_search = term is not None and term.is_person_search
    # Nobody reads past a few hundred persons found: a search counts that far only.
    cap = search_terms.PERSON_SEARCH_COUNT_CAP if person_search else COUNT_CAP
    page = CappedPaginator(requests, PAGE_SIZE, cap=cap).get_page(request.GET.get("page"))
    _with_row_data(page, request.user)
    if person_search:
        # Finding a person is reading their data: each request shown is logged.
        services.log_person_reads(actor=request.user, requests=page.object_list, channel="search")
    return render_page_or_partial(
        request,
        page=template,
        partial=results_template,
        target=RESULTS_TARGET,
        context={**context, "page": page, "results_target": RESULTS_TARGET},
    )


# --- Social worker's list ------------------------------------------------------------------------


def _my_requests(request: AuthenticatedHttpRequest) -> tuple[RequestFilterForm, Any]:
    require_capability(request, Capability.SUBMIT_PLACEMENT_REQUEST)
    form = RequestFilterForm(request.GET, user=request.user)
    requests = form.filter(selectors.visible_requests(request.user)).order_by("-created_at", "-pk")
    return form, requests


@login_required
def request_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, requests = _my_requests(request)
    saved, default = saved_filters.for_list(request, "placements:request-list")
    if default is not None:
        return default
    return _list_page(
        request,
        "placements/request_list.html",
        "placements/includes/request_results.html",
        requests,
        {
            "filter_form": form,
            "saved": saved,
            "export_url": reverse("placements:request-list-export"),
        },
    )


@login_required
def request_list_export(request: AuthenticatedHttpRequest):
    _form, requests = _my_requests(request)
    return exports.csv_response(requests, "placeringsforfragningar", user=request.user)


# --- Placement officer's queue -------------------------------------------------------------------


def _queue(request: AuthenticatedHttpRequest) -> tuple[QueueFilterForm, Any]:
    require_capability(request, Capability.HANDLE_PLACEMENT_REQUEST)
    form = QueueFilterForm(request.GET, user=request.user)
    return form, form.filter(selectors.work_queue(request.user, form.chosen_team))


@login_required
def work_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, requests = _queue(request)
    saved, default = saved_filters.for_list(request, "placements:queue")
    if default is not None:
        return default
    return _list_page(
        request,
        "placements/queue.html",
        "placements/includes/queue_results.html",
        requests,
        {"filter_form": form, "saved": saved},
    )


@login_required
def work_queue_export(request: AuthenticatedHttpRequest):
    form, requests = _queue(request)
    return exports.csv_response(requests, f"arbetsko-{form.chosen_team}", user=request.user)


# --- Search over every request the user may see (the header's search field) -------------------


def _search(request: AuthenticatedHttpRequest) -> tuple[SearchForm, Any]:
    if not access.may_search_requests(request.user):
        raise PermissionDenied
    form = SearchForm(request.GET, user=request.user)
    requests = form.filter(selectors.visible_requests(request.user)).order_by("-created_at", "-pk")
    return form, requests


@login_required
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, requests = _search(request)
    term = form.search_term
    if term is not None and term.kind == search_terms.TermKind.REFERENCE:
        found = list(requests[:2])
        if len(found) == 1:  # a reference names one request: go there
            return redirect("placements:request-detail", pk=found[0].pk)
    return _list_page(
        request,
        "placements/search.html",
        "placements/includes/request_results.html",
        requests,
        {"filter_form": form, "export_url": None},
    )


# --- Creating and editing a draft ----------------------------------------------------------------


def _save_request(
    request: AuthenticatedHttpRequest, form: RequestForm, placement=None
) -> HttpResponse | None:
    """Save the draft (and submit it when asked); None when the form shows errors."""
    fields = form.request_fields()
    try:
        if placement is None:
            with idempotency.once(
                actor=request.user, key=form.cleaned_data["form_key"], scope="placement-request"
            ) as once:
                if once.repeated:  # the same form posted again: the draft exists
                    return redirect(once.previous_url or "placements:request-list")
                placement = services.create_request(actor=request.user, **fields)
                once.made(reverse("placements:request-detail", args=[placement.pk]))
        else:
            placement = services.update_draft(
                actor=request.user,
                request=placement.pk,
                seen=form.cleaned_data["seen"] or None,
                **fields,
            )
    except ValidationError as error:
        add_refusal(form, error)
        return None
    except concurrency.StaleEdit as error:
        form.add_error(None, str(error.message))
        saved = selectors.visible_requests(request.user).get(pk=placement.pk)
        form.show_saved_version(concurrency.seen_token(saved, REQUEST_EDITABLE_FIELDS))
        return None
    except RuleViolation as error:
        form.add_error(None, str(error.message))
        return None
    if request.POST.get("action") == "submit":
        try:
            services.submit(
                actor=request.user,
                request=placement.pk,
                confirm_duplicate=bool(request.POST.get(CONFIRM_DUPLICATE)),
            )
        except services.DuplicateOpenRequest:
            return _duplicate_refused(request, placement)
        except RuleViolation as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("%(reference)s was submitted to Spink.") % {"reference": placement.reference},
            )
            return redirect("placements:request-detail", pk=placement.pk)
    messages.success(
        request, _("The draft %(reference)s was saved.") % {"reference": placement.reference}
    )
    return redirect("placements:request-detail", pk=placement.pk)


# The box the author ticks to submit although another open request exists (request_form.html).
CONFIRM_DUPLICATE = "confirm_duplicate"


def _duplicate_refused(request: AuthenticatedHttpRequest, placement: PlacementRequest):
    """Back to the draft's form, which shows the other requests and the box to confirm."""
    messages.error(
        request,
        _(
            "%(reference)s was not submitted: there is another open request for the same "
            "person and service. Check it, and confirm below to submit anyway."
        )
        % {"reference": placement.reference},
    )
    return redirect(reverse("placements:request-edit", args=[placement.pk]) + "?duplicate=refused")


@login_required
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.SUBMIT_PLACEMENT_REQUEST)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _save_request(request, form)
        if done is not None:
            return done
    status = 400 if form.errors else 200
    return render(request, "placements/request_form.html", {"form": form}, status=status)


@login_required
def request_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _visible(request, pk)
    if not rules.REQUEST_WORKFLOW.allows("edit_draft", placement, request.user):
        return _refused(request, placement, "edit_draft")
    reference = placement.reference  # binding the form overwrites the instance's fields
    duplicates = list(selectors.open_duplicates(request.user, placement))
    form = RequestForm(request.POST or None, instance=placement)
    if request.method == "POST" and form.is_valid():
        done = _save_request(request, form, placement)
        if done is not None:
            return done
    status = 400 if form.errors else 200
    # The form shows the person.
    services.log_person_read(actor=request.user, request=placement, channel="web")
    return render(
        request,
        "placements/request_form.html",
        {
            "form": form,
            "placement": placement,
            "reference": reference,
            "duplicates": duplicates,
            "duplicate_refused": bool(duplicates) and request.GET.get("duplicate") == "refused",
        },
        status=status,
    )


@login_required
@require_GET
def subcategory_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The <option>s of the subcategory select for the chosen service (htmx)."""
    service = request.GET.get("service", "")
    subcategories = (
        Subcategory.objects.filter(service_id=service, is_active=True)
        if service.isascii() and service.isdigit()
        else Subcategory.objects.none()
    )
    return render(
        request, "placements/includes/subcategory_options.html", {"subcategories": subcategories}
    )


# --- Request detail ------------------------------------------------------------------------------


def _visible(request: AuthenticatedHttpRequest, pk: int) -> PlacementRequest:
    return get_object_or_404(selectors.visible_requests(request.user), pk=pk)


def _refused(
    request: AuthenticatedHttpRequest, placement: PlacementRequest, action: str
) -> HttpResponse:
    """Show the rule's refusal on the request page (403 for who, 409 for when)."""
    try:
        rules.REQUEST_WORKFLOW.check(action, placement, request.user)
    except RuleViolation as error:
        messages.error(request, str(error.message))
        return _render_detail(request, placement, status=refusal_status(error))
    return redirect("placements:request-detail", pk=placement.pk)


def _render_detail(
    request: AuthenticatedHttpRequest, placement: PlacementRequest, status: int = 200, **forms
) -> HttpResponse:
    user = request.user
    actions = rules.REQUEST_WORKFLOW.available(placement, user)
    show_person = access.may_see_person(user, placement)
    if show_person:
        services.log_person_read(actor=user, request=placement, channel="web")
    # Each deviation carries its note form (or None) for the template.
    deviations: list[Any] = list(placement.deviations.select_related("lodged_by"))
    for deviation in deviations:
        deviation.note_form = None
        if rules.may_note_deviation(user, deviation):
            deviation.note_form = forms.get(f"deviation_{deviation.pk}") or DeviationNoteForm(
                deviation_id=deviation.pk
            )

    def form(name: str, action: str | None, factory: Callable[[], django_forms.Form]):
        if action is not None and action not in actions:
            return None
        return forms.get(name) or factory()

    context = {
        "placement": placement,
        "actions": actions,
        **_back_link(user),
        "show_person": show_person,
        "may_view_register": access.has_capability(user, Capability.VIEW_REGISTER),
        "recommendations": placement.recommendations.select_related(
            "offering__unit__provider", "offering__operating_form", "created_by"
        ),
        "timeline": selectors.timeline_for(user, placement),
        "deviations": deviations,
        # A failed upload's bound form; the attachment_section tag reads the rest itself.
        "attachment_form": forms.get("attachment_form"),
        "withdraw_form": form(
            "withdraw_form",
            "withdraw",
            lambda: ReasonForm(prefix="withdraw", label=_("Why is the request withdrawn?")),
        ),
        "choice_form": form("choice_form", "choose", lambda: ChoiceForm(placement=placement)),
        "none_chosen_form": form(
            "none_chosen_form",
            "none_chosen",
            lambda: ReasonForm(prefix="none-chosen", label=_("Why was none of them chosen?")),
        ),
        "no_provider_form": form(
            "no_provider_form",
            "no_provider_found",
            lambda: ReasonForm(prefix="no-provider", label=_("Why was no provider found?")),
        ),
        "assign_form": _assign_form(
            form("assign_form", "assign", lambda: AssignForm(placement=placement))
        ),
        "message_form": form("message_form", "message", MessageForm),
        "note_form": form("note_form", "internal_note", _note_form),
        "deviation_form": (
            form("deviation_form", None, DeviationForm)
            if rules.may_lodge_deviation(user, placement)
            else None
        ),
    }
    return render(request, "placements/request_detail.html", context, status=status)


def _assign_form(form: AssignForm | None) -> AssignForm | None:
    """No assign form when there is nobody else to assign the request to."""
    if form is None or form.is_bound:
        return form
    officers = model_choice_field(form, "officer").queryset
    assert officers is not None  # AssignForm sets it
    return form if officers.exists() else None


def _back_link(user) -> dict:
    if access.has_capability(user, Capability.HANDLE_PLACEMENT_REQUEST):
        return {"back_url": reverse("placements:queue"), "back_label": _("Work queue")}
    if access.has_capability(user, Capability.SUBMIT_PLACEMENT_REQUEST):
        return {"back_url": reverse("placements:request-list"), "back_label": _("My requests")}
    return {}


@login_required
def request_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible(request, pk))


# --- Actions -------------------------------------------------------------------------------------


def _act(
    request: AuthenticatedHttpRequest,
    placement: PlacementRequest,
    form_name: str,
    form: django_forms.Form,
    call: Callable[[PlacementRequest, dict], object],
    done: str,
) -> HttpResponse:
    """Validate `form`, run the service `call`, and show a refusal where it belongs."""
    if form.is_valid():
        try:
            call(placement, form.cleaned_data)
        except services.DuplicateOpenRequest:
            raise  # the caller shows the draft's form with the other requests
        except RuleViolation as error:
            messages.error(request, str(error.message))
            # Also next to the form that failed (when the page still offers it).
            add_refusal(form, error)
            return _render_detail(
                request, placement, status=refusal_status(error), **{form_name: form}
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, done % {"reference": placement.reference})
            return redirect("placements:request-detail", pk=placement.pk)
    # A refusal the form cannot place (e.g. the unit no longer matches) is shown at the top.
    for refusal in form.non_field_errors() or [
        _("Nothing was saved: please correct the form below.")
    ]:
        messages.error(request, str(refusal))  # ErrorList yields strings
    return _render_detail(request, placement, status=400, **{form_name: form})


@login_required
@require_POST
def submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _visible(request, pk)
    confirmed = bool(request.POST.get(CONFIRM_DUPLICATE))
    try:
        return _act(
            request,
            placement,
            "submit_form",
            django_forms.Form(request.POST),
            lambda p, data: services.submit(
                actor=request.user, request=p.pk, confirm_duplicate=confirmed
            ),
            _("%(reference)s was submitted to Spink."),
        )
    except services.DuplicateOpenRequest:
        return _duplicate_refused(request, placement)


@login_required
@require_POST
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _visible(request, pk),
        "withdraw_form",
        ReasonForm(request.POST, prefix="withdraw", label=_("Why is the request withdrawn?")),
        lambda p, data: services.withdraw(actor=request.user, request=p.pk, reason=data["reason"]),
        _("%(reference)s was withdrawn."),
    )


@login_required
@require_POST
def choose(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _visible(request, pk)
    return _act(
        request,
        placement,
        "choice_form",
        ChoiceForm(request.POST, placement=placement),
        lambda p, data: services.report_choice(
            actor=request.user,
            request=p.pk,
            recommendation=data["recommendation"].pk,
            start_date=data["start_date"],
        ),
        _("The choice was reported: %(reference)s is placed."),
    )


@login_required
@require_POST
def none_chosen(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _visible(request, pk),
        "none_chosen_form",
        ReasonForm(request.POST, prefix="none-chosen", label=_("Why was none of them chosen?")),
        lambda p, data: services.report_none_chosen(
            actor=request.user, request=p.pk, reason=data["reason"]
        ),
        _("Reported that no provider was chosen for %(reference)s."),
    )


@login_required
@require_POST
def take(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _visible(request, pk),
        "take_form",
        django_forms.Form(request.POST),
        lambda p, data: services.take(actor=request.user, request=p.pk),
        _("You have taken %(reference)s."),
    )


@login_required
@require_POST
def assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _visible(request, pk)
    return _act(
        request,
        placement,
        "assign_form",
        AssignForm(request.POST, placement=placement),
        lambda p, data: services.assign(actor=request.user, request=p.pk, officer=data["officer"]),
        _("%(reference)s was assigned."),
    )


@login_required
@require_POST
def no_provider_found(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _visible(request, pk),
        "no_provider_form",
        ReasonForm(request.POST, prefix="no-provider", label=_("Why was no provider found?")),
        lambda p, data: services.record_no_provider_found(
            actor=request.user, request=p.pk, reason=data["reason"]
        ),
        _("Recorded that no provider was found for %(reference)s."),
    )


@login_required
@require_POST
def post_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _visible(request, pk),
        "message_form",
        MessageForm(request.POST),
        lambda p, data: services.post_message(actor=request.user, request=p.pk, text=data["text"]),
        _("The message was added to the timeline of %(reference)s."),
    )


def _note_form(data=None) -> MessageForm:
    """An internal note: a text like a message's, under a name and label of its own."""
    form = MessageForm(data, prefix="note")
    form.fields["text"].label = _("Internal note")
    return form


@login_required
@require_POST
def post_internal_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _visible(request, pk),
        "note_form",
        _note_form(request.POST),
        lambda p, data: services.post_internal_note(
            actor=request.user, request=p.pk, text=data["text"]
        ),
        _("The internal note was added to the timeline of %(reference)s."),
    )


@login_required
@require_POST
def lodge_deviation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        _visible(request, pk),
        "deviation_form",
        DeviationForm(request.POST),
        lambda p, data: services.lodge_deviation(
            actor=request.user, request=p.pk, description=data["description"]
        ),
        _("The deviation about %(reference)s was lodged."),
    )


def _deviation_note(request, pk: int, deviation_pk: int, service, done: str) -> HttpResponse:
    placement = _visible(request, pk)
    deviation = get_object_or_404(placement.deviations, pk=deviation_pk)
    return _act(
        request,
        placement,
        f"deviation_{deviation.pk}",
        DeviationNoteForm(request.POST, deviation_id=deviation.pk),
        lambda p, data: service(actor=request.user, deviation=deviation.pk, note=data["note"]),
        done,
    )


@login_required
@require_POST
def handle_deviation(request: AuthenticatedHttpRequest, pk: int, deviation_pk: int) -> HttpResponse:
    return _deviation_note(
        request,
        pk,
        deviation_pk,
        services.handle_deviation,
        _("The handling of the deviation about %(reference)s was saved."),
    )


@login_required
@require_POST
def close_deviation(request: AuthenticatedHttpRequest, pk: int, deviation_pk: int) -> HttpResponse:
    return _deviation_note(
        request,
        pk,
        deviation_pk,
        services.close_deviation,
        _("The deviation about %(reference)s was closed."),
    )


# --- Attachments and the print view --------------------------------------------------------------
# (placements.attachments holds their rules' calls, reads and writes; the request page shows the
# section through the placement_attachments template tag.) Imported here, with the views that
# use them, so that this section stays apart from the list and queue views above.

from django.utils import timezone  # noqa: E402

from placements import attachments  # noqa: E402


@login_required
@require_POST
def attachment_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    placement = _visible(request, pk)
    form = attachments.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = attachments.add_attachment(
                actor=request.user,
                request=placement.pk,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
            )
        except RuleViolation as error:
            messages.error(request, str(error.message))
            return _render_detail(request, placement, status=refusal_status(error))
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("%(name)s was attached to %(reference)s.")
                % {"name": attachment.original_name, "reference": placement.reference},
            )
            return redirect(reverse("placements:request-detail", args=[pk]) + "#attachments")
    # The page again, with the bound form in its section.
    return _render_detail(request, placement, status=400, attachment_form=form)


@login_required
@require_POST
def attachment_remove(
    request: AuthenticatedHttpRequest, pk: int, attachment_pk: int
) -> HttpResponse:
    placement = _visible(request, pk)
    attachment = get_object_or_404(placement.attachments, pk=attachment_pk)
    try:
        attachments.remove_attachment(actor=request.user, attachment=attachment.pk)
    except RuleViolation as error:
        messages.error(request, str(error.message))
        return _render_detail(request, placement, status=refusal_status(error))
    messages.success(
        request,
        _("The attachment was removed from %(reference)s.") % {"reference": placement.reference},
    )
    return redirect(reverse("placements:request-detail", args=[pk]) + "#attachments")


@login_required
@require_GET
def attachment_download(request: AuthenticatedHttpRequest, pk: int, attachment_pk: int):
    """Only through here, for those who may see the request's person; logged as a read."""
    placement = _visible(request, pk)
    attachment = get_object_or_404(placement.attachments, pk=attachment_pk)
    attachment.request = placement
    handle = attachments.open_for(actor=request.user, attachment=attachment, channel="download")
    return attachments.file_response(attachment, handle)


@login_required
@require_GET
def request_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The request laid out for paper: what the request page shows this user (the same
    includes and the same person rule), without its forms; logged as a read when it shows
    the person."""
    placement = _visible(request, pk)
    user = request.user
    show_person = access.may_see_person(user, placement)
    if show_person:
        services.log_person_read(actor=user, request=placement, channel="print")
    context = {
        "placement": placement,
        "show_person": show_person,
        "recommendations": placement.recommendations.select_related(
            "offering__unit__provider", "offering__operating_form", "created_by"
        ),
        # A printout leaves Spink: never with the internal notes.
        "timeline": selectors.shared_timeline(placement),
        "attachments": attachments.of_request(placement),
        "may_open_attachments": rules.may_open_attachments(user, placement),
        "printed_at": timezone.now(),
    }
    return render(request, "placements/request_print.html", context)
