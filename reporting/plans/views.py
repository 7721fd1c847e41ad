"""Pages of the category plans. Reads from selectors, writes through services.

Every plan, and every goal, strategy, activity and KPI reached by its id, is looked up in the
user's municipality (`selectors.visible_*`): another municipality's answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import ChoiceField
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from categories.models import CategoryArea
from reporting.models import CategoryPlan
from reporting.plans import forms, selectors, services, text
from reporting.plans.kpis import Period
from spink import concurrency
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedHttpRequest
from spink.accounts.views import require_capability
from spink.forms import create_once, made_by_this_form

VIEW = Capability.VIEW_CATEGORY_PLANS
EDIT = Capability.EDIT_CATEGORY_PLANS


def _detail_url(plan: CategoryPlan, anchor: str = "") -> str:
    url = reverse("category_plans:plan-detail", args=[plan.pk])
    return f"{url}#{anchor}" if anchor else url


@login_required
def plan_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, VIEW)
    area = request.GET.get("area") or None
    try:
        year = int(request.GET.get("year") or 0) or None
    except ValueError:
        year = None
    plans: list[Any] = list(selectors.plans(request.user, area, year))  # each with its progress
    for plan in plans:
        plan.progress = selectors.activity_progress(plan)
    return render(
        request,
        "reporting/plans/plan_list.html",
        {
            "plans": plans,
            "areas": CategoryArea.objects.all(),
            "area": area,
            "year": year or "",
            "can_edit": access.has_capability(request.user, EDIT),
            # Only an administrator sees plans of more than one municipality.
            "show_municipality": access.is_administrator(request.user),
        },
    )


@login_required
def plan_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, VIEW)
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=pk)
    facts_period = Period.year(plan.year)
    return render(
        request,
        "reporting/plans/plan_detail.html",
        {
            "plan": plan,
            "analysis": text.render(plan.current_state_analysis),
            "goals": selectors.plan_tree(plan),
            "progress": selectors.activity_progress(plan),
            "kpis": selectors.plan_kpis(plan),
            "decisions": plan.decisions.all(),
            "facts": selectors.framework_facts(plan, facts_period),
            "facts_period": facts_period,
            "can_edit": access.has_capability(request.user, EDIT),
            "compute_form": forms.PeriodForm.for_year(plan.year, auto_id="compute_%s"),
            "status_choices": cast(
                ChoiceField, forms.ActivityStatusForm.base_fields["status"]
            ).choices,
        },
    )


def _form_page(request, form, *, plan, title, cancel_url, save, success):
    """Show `form`; on a valid POST call save(form) and redirect to success(result).

    A form that creates a row makes it once however often it is posted (its key); a form
    that edits one carries the version it was opened on, and a save over someone else's
    later change is refused (400) with the user's input kept."""
    status = 200
    creating = form.instance.pk is None
    scope = f"category-plans:{type(form.instance).__name__}"
    if creating and (made := made_by_this_form(request.user, form, scope=scope)):
        return redirect(made)  # the same form posted again: the row exists
    if request.method == "POST" and form.is_valid():
        try:
            if creating:
                result, url = create_once(
                    request.user, form, scope=scope, create=lambda: save(form), url=success
                )
            else:
                result = save(form)
                url = success(result)
        except concurrency.StaleEdit as error:
            form.refuse_stale(error)
            status = 400
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result is not None:
                messages.success(request, _("Saved."))
            return redirect(url)
    return render(
        request,
        "reporting/plans/form.html",
        {"form": form, "plan": plan, "title": title, "cancel_url": cancel_url},
        status=status,
    )


def _save_record(request: AuthenticatedHttpRequest):
    """The save of a plan part's form: the form builds the record, the service saves it."""
    return lambda form: services.save_plan_record(
        actor=request.user,
        record=form.save(commit=False),
        version_fields=form.get_version_fields(),
        seen=form.seen_version,
    )


def _data(request):
    return request.POST if request.method == "POST" else None


@login_required
def plan_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_capability(request, EDIT)
    form = forms.PlanForm(_data(request), user=request.user, initial={"year": dt.date.today().year})
    return _form_page(
        request,
        form,
        plan=None,
        title=_("New category plan"),
        cancel_url=reverse("category_plans:plan-list"),
        save=_save_record(request),
        success=_detail_url,
    )


@login_required
def plan_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=pk)
    return _form_page(
        request,
        forms.PlanForm(_data(request), user=request.user, instance=plan),
        plan=plan,
        title=_("Edit plan"),
        cancel_url=_detail_url(plan),
        save=_save_record(request),
        success=_detail_url,
    )


def _child_page(request, form_class, *, instance, parent_field, parent, plan, title, **kw):
    form = form_class(_data(request), instance=instance, **kw)
    if instance is None:
        setattr(form.instance, parent_field, parent)
    return _form_page(
        request,
        form,
        plan=plan,
        title=title,
        cancel_url=_detail_url(plan),
        save=_save_record(request),
        success=lambda obj: _detail_url(plan, f"{type(obj).__name__.lower()}-{obj.pk}"),
    )


@login_required
def goal_create(request: AuthenticatedHttpRequest, plan_pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=plan_pk)
    return _child_page(
        request,
        forms.GoalForm,
        instance=None,
        parent_field="plan",
        parent=plan,
        plan=plan,
        title=_("New goal"),
    )


@login_required
def goal_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    goal = get_object_or_404(selectors.visible_goals(request.user), pk=pk)
    return _child_page(
        request,
        forms.GoalForm,
        instance=goal,
        parent_field="plan",
        parent=goal.plan,
        plan=goal.plan,
        title=_("Edit goal"),
    )


@login_required
def strategy_create(request: AuthenticatedHttpRequest, goal_pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    goal = get_object_or_404(selectors.visible_goals(request.user), pk=goal_pk)
    return _child_page(
        request,
        forms.StrategyForm,
        instance=None,
        parent_field="goal",
        parent=goal,
        plan=goal.plan,
        title=_("New strategy"),
    )


@login_required
def strategy_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    strategy = get_object_or_404(selectors.visible_strategies(request.user), pk=pk)
    return _child_page(
        request,
        forms.StrategyForm,
        instance=strategy,
        parent_field="goal",
        parent=strategy.goal,
        plan=strategy.goal.plan,
        title=_("Edit strategy"),
    )


@login_required
def activity_create(request: AuthenticatedHttpRequest, strategy_pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    strategy = get_object_or_404(selectors.visible_strategies(request.user), pk=strategy_pk)
    return _child_page(
        request,
        forms.ActivityForm,
        instance=None,
        parent_field="strategy",
        parent=strategy,
        plan=strategy.goal.plan,
        title=_("New activity"),
    )


@login_required
def activity_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    activity = get_object_or_404(selectors.visible_activities(request.user), pk=pk)
    return _child_page(
        request,
        forms.ActivityForm,
        instance=activity,
        parent_field="strategy",
        parent=activity.strategy,
        plan=activity.strategy.goal.plan,
        title=_("Edit activity"),
    )


@login_required
@require_POST
def activity_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    activity = get_object_or_404(selectors.visible_activities(request.user), pk=pk)
    form = forms.ActivityStatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_activity_status(
                actor=request.user,
                activity_id=activity.pk,
                status=form.cleaned_data["status"],
                from_status=form.seen_state,
            )
        except concurrency.StaleEdit as error:
            # The plan's page shows the status saved now, with the refusal above it.
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("Status of “%(activity)s” saved.") % {"activity": activity.title},
            )
    else:
        messages.error(request, _("Choose a valid status."))
    return redirect(_detail_url(activity.strategy.goal.plan, f"activity-{activity.pk}"))


@login_required
def kpi_create(request: AuthenticatedHttpRequest, strategy_pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    strategy = get_object_or_404(selectors.visible_strategies(request.user), pk=strategy_pk)
    plan = strategy.goal.plan
    return _child_page(
        request,
        forms.KpiForm,
        instance=None,
        parent_field="strategy",
        parent=strategy,
        plan=plan,
        title=_("New KPI"),
        area=plan.area,
    )


@login_required
def kpi_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    kpi = get_object_or_404(selectors.visible_kpis(request.user), pk=pk)
    plan = kpi.strategy.goal.plan
    return _child_page(
        request,
        forms.KpiForm,
        instance=kpi,
        parent_field="strategy",
        parent=kpi.strategy,
        plan=plan,
        title=_("Edit KPI"),
        area=plan.area,
    )


@login_required
def kpi_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A KPI's values over time, and (for manual KPIs) the form to enter one."""
    require_capability(request, VIEW)
    kpi = get_object_or_404(selectors.visible_kpis(request.user), pk=pk)
    plan = kpi.strategy.goal.plan
    can_edit = access.has_capability(request.user, EDIT)
    form = None
    status = 200
    if can_edit and not kpi.is_computed:
        form = forms.MeasurementForm.for_year(plan.year, _data(request), kpi=kpi)
        detail = reverse("category_plans:kpi-detail", args=[kpi.pk])
        if made_by_this_form(request.user, form, scope="category-plans:kpi-value"):
            return redirect(detail)  # the same value posted again: it is entered
        if request.method == "POST" and form.is_valid():
            try:
                create_once(
                    request.user,
                    form,
                    scope="category-plans:kpi-value",
                    create=lambda: services.record_measurement(
                        actor=request.user,
                        kpi=kpi,
                        period=form.period,
                        value=form.cleaned_data["value"],
                        note=form.cleaned_data["note"],
                        seen=form.seen_version,
                    ),
                    url=lambda measurement: detail,
                )
            except concurrency.StaleEdit as error:
                form.add_error(None, str(error.message))
                form.show_saved_version(services.measurements_seen(kpi))
                status = 400
            else:
                messages.success(request, _("Value saved."))
                return redirect(detail)
    elif request.method == "POST":
        require_capability(request, EDIT)
    from reporting.plans import kpis as kpi_rules

    values: list[Any] = list(selectors.measurements(kpi))  # each with its status
    for measurement in values:
        measurement.status = kpi_rules.status(kpi, measurement.value)
        measurement.status_label = kpi_rules.KpiStatus.LABELS[measurement.status]
    return render(
        request,
        "reporting/plans/kpi_detail.html",
        {"kpi": kpi, "plan": plan, "values": values, "form": form, "can_edit": can_edit},
        status=status,
    )


@login_required
def decision_create(request: AuthenticatedHttpRequest, plan_pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=plan_pk)
    form = forms.DecisionForm(_data(request), initial={"decided_on": dt.date.today()})
    return _form_page(
        request,
        form,
        plan=plan,
        title=_("Record a council decision"),
        cancel_url=_detail_url(plan, "decisions-heading"),
        save=lambda f: services.record_decision(
            actor=request.user, plan=plan, decision=f.save(commit=False)
        ),
        success=lambda decision: _detail_url(plan, "decisions-heading"),
    )


@login_required
@require_POST
def compute(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require_capability(request, EDIT)
    plan = get_object_or_404(selectors.visible_plans(request.user), pk=pk)
    form = forms.PeriodForm(request.POST)
    if form.is_valid():
        results = services.compute_kpis(actor=request.user, plan=plan, period=form.period)
        messages.success(
            request,
            _("%(count)d computed KPIs updated for %(start)s – %(end)s.")
            % {"count": len(results), "start": form.period.start, "end": form.period.end},
        )
    else:
        messages.error(request, _("Give a valid period to compute the KPIs for."))
    return redirect(_detail_url(plan, "kpis-heading"))
