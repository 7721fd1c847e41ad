"""Browser views of supplier follow-up: pre-admission controls, feedback, deep controls,
order-stop proposals for procurement and matching-focused site visits.

Thin on purpose: reads come from followup.selectors, writes go through followup.services and
followup.rules decides what is allowed: each page offers the steps its record's workflow makes
available (`actions` in the template). A refusal is shown on the form it came from.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from categories.models import Service
from followup import rules, selectors, services
from followup.forms import (
    AnswerForm,
    CheckForm,
    CloseForm,
    ControlDecisionForm,
    ControlFilterForm,
    ControlStartForm,
    DeepControlDetailsForm,
    DeepControlFilterForm,
    DeepControlStartForm,
    FeedbackFilterForm,
    FeedbackForm,
    FeedbackStepForm,
    OutcomeForm,
    ProposalDecisionForm,
    QuestionTemplateForm,
    SiteVisitFilterForm,
    SiteVisitPlanForm,
    SiteVisitRecordForm,
)
from followup.models import (
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    QuestionTemplate,
    SiteVisit,
)
from spink import concurrency, typeahead
from spink.accounts import saved_filters
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedHttpRequest
from spink.accounts.views import require_capability
from spink.errors import RuleViolation
from spink.forms import VersionedFormMixin, create_once, made_by_this_form
from spink.web import add_refusal, can, can_any, render_page_or_partial, wants_partial

PAGE_SIZE = 50
FOLLOWUP = Capability.RUN_FOLLOWUP
REFUSALS = (RuleViolation, ValidationError)
FEEDBACK_RESULTS = "feedback-results"  # the region htmx swaps on the team's feedback list


def _page(request: AuthenticatedHttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _filtered(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


def _year(request: AuthenticatedHttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _history(instance, limit: int = 50) -> list:
    return list(instance.history.select_related("history_user").order_by("-history_date")[:limit])


# --- Pre-admission controls ------------------------------------------------------------------


@login_required
def control_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    filter_form = ControlFilterForm(request.GET)
    saved, default = saved_filters.for_list(request, "followup:control-list")
    if default is not None:
        return default
    year = _year(request)
    return render(
        request,
        "followup/control_list.html",
        {
            "filter_form": filter_form,
            "saved": saved,
            "page": _page(request, selectors.controls(_filtered(filter_form).get("decision"))),
            "year": year,
            "statistics": selectors.control_statistics(year),
        },
    )


def _prefill(request: AuthenticatedHttpRequest, *names: str) -> dict:
    """Initial choices from the query string (?unit=12), so a page linked from a unit, a
    signal or feedback starts with it chosen; anything but a number is ignored."""
    return {
        name: int(request.GET[name])
        for name in names
        if request.GET.get(name, "").isascii() and request.GET.get(name, "").isdigit()
    }


def _start_page(
    request: AuthenticatedHttpRequest,
    form: VersionedFormMixin,
    start: Callable[[dict], Any],
    done: str,
    detail: str,
    template: str,
) -> HttpResponse:
    """A page that starts something (control, feedback, deep control, site visit) through a
    service: the service's refusals land on the form (400); success goes to the new record.
    The same form posted twice starts one (spink.forms.create_once, keyed by `detail`)."""
    if made := made_by_this_form(request.user, form, scope=detail):
        return redirect(made)
    if request.method == "POST" and form.is_valid():
        try:
            record, url = create_once(
                request.user,
                form,
                scope=detail,
                create=lambda: start(form.service_fields()),
                url=lambda record: reverse(detail, args=[record.pk]),
            )
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            if record is not None:
                messages.success(request, done)
            return redirect(url)
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


@login_required
def control_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    return _start_page(
        request,
        ControlStartForm(request.POST or None, initial=_prefill(request, "provider")),
        lambda data: services.start_control(actor=request.user, provider=data["provider"]),
        _("The control was started. Record the result of each check."),
        "followup:control-detail",
        "followup/control_form.html",
    )


def _render_control(
    request: AuthenticatedHttpRequest,
    pk: int,
    *,
    check_forms: dict | None = None,
    decision_form: ControlDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    control = selectors.control_page(pk)
    actions = rules.CONTROL.available(control, request.user)
    check_forms = check_forms or {}
    checks: list[Any] = selectors.control_checks(control)  # each with its form, for the page
    for check in checks:
        check.form = (
            (check_forms.get(check.kind) or CheckForm(check=check))
            if "record_check" in actions
            else None
        )
    # Approving may wait for the checks (the form says so); the decision form is offered
    # while either decision is possible.
    decides = bool(actions & {"approve", "reject"})
    context = {
        "control": control,
        "checks": checks,
        "actions": actions,
        "decision_form": (decision_form or ControlDecisionForm(control=control))
        if decides
        else None,
        "history": _history(control),
    }
    return render(request, "followup/control_detail.html", context, status=status)


@login_required
def control_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    return _render_control(request, pk)


@login_required
@require_POST
def control_check(request: AuthenticatedHttpRequest, pk: int, kind: str) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    check = get_object_or_404(ControlCheck, control_id=pk, kind=kind)
    form = CheckForm(request.POST, request.FILES, check=check)
    saved = False
    if form.is_valid():
        try:
            check = services.record_check(
                actor=request.user,
                control=pk,
                kind=kind,
                result=form.cleaned_data["result"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
                seen=form.seen_version,
            )
        except concurrency.StaleEdit as error:
            form.refuse_stale(error)  # the input stays, with the version saved now
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            saved = True
    if wants_partial(request):
        # Only the check is swapped (htmx does not swap 4xx answers, so errors come as 200).
        check = ControlCheck.objects.select_related("checked_by", "control").get(pk=check.pk)
        check.form = CheckForm(check=check) if saved else form  # type: ignore[attr-defined]  # for the template
        return render(
            request,
            "followup/includes/control_check.html",
            {"check": check, "control": check.control, "saved": saved},
        )
    if saved:
        messages.success(
            request, _("%(check)s was recorded.") % {"check": check.get_kind_display()}
        )
        return redirect(reverse("followup:control-detail", args=[pk]) + f"#check-{kind}")
    return _render_control(request, pk, check_forms={kind: form}, status=400)


@login_required
def control_evidence(request: AuthenticatedHttpRequest, pk: int, kind: str) -> FileResponse:
    """Evidence files are served only to the team, never from a public media URL."""
    require_capability(request, FOLLOWUP)
    check = get_object_or_404(ControlCheck, control_id=pk, kind=kind)
    if not check.evidence:
        raise Http404
    assert check.evidence.name is not None  # a file is there
    return FileResponse(
        check.evidence.open("rb"),
        as_attachment=True,
        filename=os.path.basename(check.evidence.name),
    )


@login_required
@require_POST
def control_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    control = get_object_or_404(Control, pk=pk)
    form = ControlDecisionForm(request.POST, control=control)
    if form.is_valid():
        try:
            services.decide_control(
                actor=request.user,
                control=control,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
                from_decision=form.seen_state,
            )
        except concurrency.StaleEdit as error:
            # Decided meanwhile: the page shows the decision (and no form), so say it above.
            messages.error(request, str(error.message))
            return _render_control(request, pk, status=400)
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("The provider was approved.")
                if form.cleaned_data["decision"] == Control.Decision.APPROVED
                else _("The provider was not approved."),
            )
            return redirect("followup:control-detail", pk=control.pk)
    return _render_control(request, pk, decision_form=form, status=400)


# --- Feedback --------------------------------------------------------------------------------


@login_required
def feedback_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The quality & control team's list of all feedback."""
    require_capability(request, FOLLOWUP)
    filter_form = FeedbackFilterForm(request.GET)
    saved, default = saved_filters.for_list(request, "followup:feedback-list")
    if default is not None:
        return default
    filters = _filtered(filter_form)
    page = _page(request, selectors.team_feedback(filters.get("status"), filters.get("category")))
    return render_page_or_partial(
        request,
        page="followup/feedback_list.html",
        partial="followup/includes/feedback_results.html",
        context={
            "filter_form": filter_form,
            "saved": saved,
            "page": page,
            "results_target": FEEDBACK_RESULTS,
        },
        target=FEEDBACK_RESULTS,
    )


@login_required
def feedback_mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.LODGE_FEEDBACK)
    return render(
        request,
        "followup/feedback_mine.html",
        {"page": _page(request, selectors.own_feedback(request.user))},
    )


@login_required
def feedback_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.LODGE_FEEDBACK)
    return _start_page(
        request,
        FeedbackForm(request.POST or None, user=request.user, initial=_prefill(request, "unit")),
        lambda data: services.lodge_feedback(
            actor=request.user,
            unit=data["unit"],
            category=data["category"],
            description=data["description"],
            placement_request=data["placement_request"],
        ),
        _("Thank you. The feedback was sent to the quality & control team."),
        "followup:feedback-detail",
        "followup/feedback_form.html",
    )


@require_safe
@login_required
def feedback_unit_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The lodge form's unit typeahead: units the form itself offers this user."""
    require_capability(request, Capability.LODGE_FEEDBACK)
    field = typeahead.typeahead_field(FeedbackForm(user=request.user), "unit")
    return typeahead.search_response(request, field)


@require_safe
@login_required
def feedback_request_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The lodge form's request typeahead: by reference, among the requests the form itself
    offers this user; shows references and services, never persons."""
    require_capability(request, Capability.LODGE_FEEDBACK)
    field = typeahead.typeahead_field(FeedbackForm(user=request.user), "placement_request")
    return typeahead.search_response(request, field)


def _render_feedback(
    request: AuthenticatedHttpRequest, pk: int, status: int = 200, **forms
) -> HttpResponse:
    if not can_any(request, FOLLOWUP, Capability.LODGE_FEEDBACK):
        raise PermissionDenied
    feedback = selectors.feedback_page(request.user, pk)
    team = can(request, FOLLOWUP)
    actions = rules.FEEDBACK.available(feedback, request.user)
    context = {"feedback": feedback, "team": team, "actions": actions}
    if team:
        context |= {
            "communicate_form": FeedbackStepForm(feedback=feedback),
            "answer_form": (forms.get("answer_form") or AnswerForm(feedback=feedback))
            if "answer" in actions
            else None,
            "close_form": (forms.get("close_form") or CloseForm(feedback=feedback))
            if "close" in actions
            else None,
            "refusal": forms.get("refusal"),
            "history": _history(feedback),
            "deep_controls": feedback.deep_controls.order_by("-created_at"),
        }
    return render(request, "followup/feedback_detail.html", context, status=status)


@login_required
def feedback_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_feedback(request, pk)


def _feedback_step(
    request: AuthenticatedHttpRequest, pk: int, step, form, form_name: str = "", done=""
):
    """A step of the feedback's handling. `form` carries the status the page showed; a step
    over a status that moved on meanwhile is refused above the forms, the user's input kept
    in the step's form (when the step is still possible)."""
    require_capability(request, FOLLOWUP)
    feedback = get_object_or_404(Feedback, pk=pk)
    if form.is_valid():
        try:
            step(feedback, form.cleaned_data, form.seen_state)
        except concurrency.StaleEdit as error:
            feedback.refresh_from_db()
            form.show_current_state(feedback.status)
            forms = {form_name: form} if form_name else {}
            return _render_feedback(request, pk, status=400, refusal=error.message, **forms)
        except RuleViolation as error:
            # Shown above the forms: the refused step's own form may not be on the page.
            return _render_feedback(request, pk, status=400, refusal=error.message)
        except ValidationError as error:
            if not form_name:
                return _render_feedback(request, pk, status=400, refusal=error.messages[0])
            add_refusal(form, error)
        else:
            messages.success(request, done)
            return redirect("followup:feedback-detail", pk=pk)
    return _render_feedback(request, pk, status=400, **{form_name: form})


@login_required
@require_POST
def feedback_communicate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _feedback_step(
        request,
        pk,
        lambda feedback, data, seen: services.communicate_feedback(
            actor=request.user, feedback=feedback, from_status=seen
        ),
        FeedbackStepForm(request.POST),
        done=_("The feedback is marked as communicated to the provider."),
    )


@login_required
@require_POST
def feedback_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _feedback_step(
        request,
        pk,
        lambda feedback, data, seen: services.record_provider_answer(
            actor=request.user,
            feedback=feedback,
            answer=data["provider_answer"],
            from_status=seen,
        ),
        AnswerForm(request.POST),
        form_name="answer_form",
        done=_("The provider's answer was recorded."),
    )


@login_required
@require_POST
def feedback_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _feedback_step(
        request,
        pk,
        lambda feedback, data, seen: services.close_feedback(
            actor=request.user,
            feedback=feedback,
            closing_category=data["closing_category"],
            note=data["note"],
            from_status=seen,
        ),
        CloseForm(request.POST),
        form_name="close_form",
        done=_("The feedback was closed."),
    )


# --- Deep controls ---------------------------------------------------------------------------


@login_required
def deep_control_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    filter_form = DeepControlFilterForm(request.GET)
    saved, default = saved_filters.for_list(request, "followup:deep-control-list")
    if default is not None:
        return default
    return render(
        request,
        "followup/deep_control_list.html",
        {
            "filter_form": filter_form,
            "saved": saved,
            "page": _page(request, selectors.deep_controls(_filtered(filter_form).get("state"))),
        },
    )


@login_required
def deep_control_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    return _start_page(
        request,
        DeepControlStartForm(
            request.POST or None, initial=_prefill(request, "signal", "feedback", "unit")
        ),
        lambda data: services.start_deep_control(
            actor=request.user,
            unit=data["unit"],
            reason=data["reason"],
            reason_details=data["reason_details"],
            signal=data["signal"],
            feedback=data["feedback"],
            checks_done=data["checks_done"],
            site_visit_done=data["site_visit_done"],
            site_visit_date=data["site_visit_date"],
            site_visit_notes=data["site_visit_notes"],
        ),
        _("The deep control was started."),
        "followup:deep-control-detail",
        "followup/deep_control_form.html",
    )


def _details_initial(deep_control: DeepControl) -> dict:
    return {
        "reason_details": deep_control.reason_details,
        "checks_done": deep_control.checks_done,
        "site_visit_done": deep_control.site_visit_done,
        "site_visit_date": deep_control.site_visit_date,
        "site_visit_notes": deep_control.site_visit_notes,
    }


def _render_deep_control(
    request: AuthenticatedHttpRequest, pk: int, status: int = 200, **forms
) -> HttpResponse:
    deep_control = selectors.deep_control_page(pk)
    actions = rules.DEEP_CONTROL.available(deep_control, request.user)
    context = {
        "deep_control": deep_control,
        "actions": actions,
        "history": _history(deep_control),
    }
    if "update" in actions:
        context["details_form"] = forms.get("details_form") or DeepControlDetailsForm(
            initial=_details_initial(deep_control), version_of=deep_control
        )
    if "decide" in actions:
        context["outcome_form"] = forms.get("outcome_form") or OutcomeForm(version_of=deep_control)
    return render(request, "followup/deep_control_detail.html", context, status=status)


@login_required
def deep_control_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    return _render_deep_control(request, pk)


def _refuse_stale_deep_control(request: AuthenticatedHttpRequest, form, error, action: str) -> None:
    """A stale save or decision: the refusal goes on the form, which keeps the input; once
    the form's `action` is no longer possible the page does not show the form, so the refusal
    goes above the page instead."""
    form.refuse_stale(error)
    now = DeepControl.objects.select_related("unit").get(pk=form.version_of.pk)
    if not rules.DEEP_CONTROL.allows(action, now, request.user):
        messages.error(request, str(error.message))


@login_required
@require_POST
def deep_control_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    deep_control = get_object_or_404(DeepControl, pk=pk)
    form = DeepControlDetailsForm(request.POST, version_of=deep_control)
    if form.is_valid():
        try:
            services.update_deep_control(
                actor=request.user,
                deep_control=deep_control,
                reason_details=form.cleaned_data["reason_details"],
                checks_done=form.cleaned_data["checks_done"],
                site_visit_done=form.cleaned_data["site_visit_done"],
                site_visit_date=form.cleaned_data["site_visit_date"],
                site_visit_notes=form.cleaned_data["site_visit_notes"],
                seen=form.seen_version,
            )
        except concurrency.StaleEdit as error:
            _refuse_stale_deep_control(request, form, error, "update")
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The deep control was saved."))
            return redirect("followup:deep-control-detail", pk=pk)
    return _render_deep_control(request, pk, status=400, details_form=form)


@login_required
@require_POST
def deep_control_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    deep_control = get_object_or_404(DeepControl, pk=pk)
    form = OutcomeForm(request.POST, version_of=deep_control)
    if form.is_valid():
        try:
            services.decide_deep_control(
                actor=request.user,
                deep_control=deep_control,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                seen=form.seen_version,
            )
        except concurrency.StaleEdit as error:
            _refuse_stale_deep_control(request, form, error, "decide")
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("Outcome decided: %(outcome)s.")
                % {"outcome": DeepControl.Outcome(form.cleaned_data["outcome"]).label},
            )
            return redirect("followup:deep-control-detail", pk=pk)
    return _render_deep_control(request, pk, status=400, outcome_form=form)


# --- Order-stop proposals (procurement) ------------------------------------------------------


@login_required
def proposal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.DECIDE_ORDER_STOP)
    filter_form = DeepControlFilterForm(request.GET)
    saved, default = saved_filters.for_list(request, "followup:proposal-list")
    if default is not None:
        return default
    return render(
        request,
        "followup/proposal_list.html",
        {
            "filter_form": filter_form,
            "saved": saved,
            "page": _page(
                request, selectors.order_stop_proposals(_filtered(filter_form).get("state"))
            ),
        },
    )


def _render_proposal(
    request: AuthenticatedHttpRequest, pk: int, form=None, status: int = 200
) -> HttpResponse:
    proposal = selectors.order_stop_proposal(pk)
    actions = rules.ORDER_STOP_PROPOSAL.available(proposal, request.user)
    context = {"proposal": proposal, "actions": actions}
    if actions & {"decide_order_stop", "decline_order_stop"}:
        context["form"] = form or ProposalDecisionForm(version_of=proposal)
    return render(request, "followup/proposal_detail.html", context, status=status)


@login_required
def proposal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.DECIDE_ORDER_STOP)
    return _render_proposal(request, pk)


@login_required
@require_POST
def proposal_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.DECIDE_ORDER_STOP)
    proposal = selectors.order_stop_proposal(pk)
    form = ProposalDecisionForm(request.POST, version_of=proposal)
    if form.is_valid():
        decide = form.cleaned_data["decision"] == DeepControl.OrderStopDecision.DECIDED
        try:
            services.decide_order_stop_proposal(
                actor=request.user,
                deep_control=proposal,
                decide=decide,
                reason=form.cleaned_data["reason"],
                seen=form.seen_version,
            )
        except concurrency.StaleEdit as error:
            # Decided meanwhile: the page shows the decision (and no form), so say it above.
            messages.error(request, str(error.message))
            return _render_proposal(request, pk, status=400)
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                _("Temporary order stop decided.") if decide else _("The proposal was declined."),
            )
            return redirect("followup:proposal-detail", pk=pk)
    return _render_proposal(request, pk, form=form, status=400)


# --- Matching-focused site visits ------------------------------------------------------------


@login_required
def site_visit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.PLAN_SITE_VISITS)
    filter_form = SiteVisitFilterForm(request.GET)
    saved, default = saved_filters.for_list(request, "followup:site-visit-list")
    if default is not None:
        return default
    filters = _filtered(filter_form)
    year = _year(request)
    return render(
        request,
        "followup/site_visit_list.html",
        {
            "filter_form": filter_form,
            "saved": saved,
            "page": _page(
                request, selectors.site_visits(filters.get("team"), filters.get("state"))
            ),
            "year": year,
            "statistics": selectors.site_visit_statistics(year),
            "can_edit_templates": can(request, FOLLOWUP),
        },
    )


@login_required
def site_visit_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, Capability.PLAN_SITE_VISITS)
    initial = _prefill(request, "unit")
    if request.user.placement_team:
        initial["team"] = request.user.placement_team
    return _start_page(
        request,
        SiteVisitPlanForm(request.POST or None, initial=initial),
        lambda data: services.plan_site_visit(
            actor=request.user,
            unit=data["unit"],
            service=data["service"],
            operating_form=data["operating_form"],
            team=data["team"],
            planned_for=data["planned_for"],
            joint_with_quality_team=data["joint_with_quality_team"],
        ),
        _("The site visit was planned."),
        "followup:site-visit-detail",
        "followup/site_visit_form.html",
    )


@login_required
def site_visit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.PLAN_SITE_VISITS)
    visit = selectors.site_visit_page(pk)
    return render(
        request,
        "followup/site_visit_detail.html",
        {
            "visit": visit,
            "actions": rules.SITE_VISIT.available(visit, request.user),
            "history": _history(visit),
        },
    )


@login_required
def site_visit_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, Capability.PLAN_SITE_VISITS)
    visit = selectors.site_visit_page(pk)
    if not rules.SITE_VISIT.allows("record", visit, request.user):
        raise PermissionDenied
    answers = {entry.get("question", ""): entry.get("answer", "") for entry in visit.answers}
    initial = {
        "visited_on": visit.visited_on,
        "assessment": visit.assessment,
        "register_changes": visit.register_changes,
    }
    form = SiteVisitRecordForm(
        request.POST or None,
        questions=selectors.visit_questions(visit),
        answers=answers,
        initial=initial,
        version_of=visit,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_site_visit(
                actor=request.user,
                visit=visit,
                visited_on=form.cleaned_data["visited_on"],
                answers=form.answers(),
                assessment=form.cleaned_data["assessment"],
                register_changes=form.cleaned_data["register_changes"],
                seen=form.seen_version,
            )
        except concurrency.StaleEdit as error:
            form.refuse_stale(error)
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("The site visit was recorded."))
            return redirect("followup:site-visit-detail", pk=visit.pk)
    return render(
        request,
        "followup/site_visit_record.html",
        {"visit": visit, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def site_visit_join(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    visit = get_object_or_404(SiteVisit, pk=pk)
    services.join_site_visit(actor=request.user, visit=visit)
    messages.success(request, _("The quality & control team joins the visit."))
    return redirect("followup:site-visit-detail", pk=pk)


@login_required
def question_template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    return render(
        request,
        "followup/question_template_list.html",
        {"services": selectors.question_templates()},
    )


@login_required
def question_template_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    require_capability(request, FOLLOWUP)
    service = get_object_or_404(Service, code=code)
    questions = selectors.template_questions(service.pk)
    form = QuestionTemplateForm(
        request.POST or None,
        initial={"questions": "\n".join(questions)},
        version_of=QuestionTemplate.objects.filter(service=service).first(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_question_template(
                actor=request.user,
                service=service,
                questions=form.question_list(),
                seen=form.seen_version,
            )
        except concurrency.StaleEdit as error:
            form.refuse_stale(error)
        except REFUSALS as error:
            add_refusal(form, error)
        else:
            messages.success(
                request, _("The questions for %(service)s were saved.") % {"service": service.name}
            )
            return redirect("followup:question-template-list")
    return render(
        request,
        "followup/question_template_form.html",
        {"form": form, "service": service},
        status=400 if form.errors else 200,
    )
