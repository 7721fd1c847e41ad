from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from spink.accounts import access, saved_filters, selectors
from spink.accounts.access import Capability
from spink.accounts.models import SavedFilter


def require_capability(request, capability: Capability) -> None:
    if not access.has_capability(request.user, capability):
        raise PermissionDenied


@login_required
def org_unit_list(request):
    require_capability(request, Capability.VIEW_ORGANISATION)
    return render(
        request,
        "accounts/org_unit_list.html",
        {"org_units": selectors.visible_org_units(request.user)},
    )


@login_required
def org_unit_detail(request, pk: int):
    require_capability(request, Capability.VIEW_ORGANISATION)
    org_unit = access.get_visible_or_404(
        request.user, selectors.visible_org_units(request.user), pk=pk
    )
    return render(
        request,
        "accounts/org_unit_detail.html",
        {"org_unit": org_unit, "members": selectors.org_unit_members(request.user, org_unit)},
    )


# --- Saved filters of the lists (spink.accounts.saved_filters) ------------------------------------


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the filter"), max_length=80)
    make_default = forms.BooleanField(
        label=gettext_lazy("Open the list with this filter"), required=False
    )
    list_name = forms.CharField(widget=forms.HiddenInput)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)


def _back_to_list(list_name: str, query: str = "") -> HttpResponse:
    if list_name not in saved_filters.registered_lists():
        raise Http404
    url = reverse(list_name)
    return redirect(f"{url}?{query}" if query else f"{url}?{saved_filters.CLEAR}=1")


@login_required
@require_POST
def saved_filter_save(request):
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = saved_filters.save_filter(
                actor=request.user,
                list_name=data["list_name"],
                name=data["name"],
                query=data["query"],
                make_default=data["make_default"],
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            messages.success(request, _("The filter “%(name)s” was saved.") % {"name": saved.name})
            return _back_to_list(saved.list_name, saved.query)
    if form.cleaned_data.get("list_name") not in saved_filters.registered_lists():
        raise Http404
    return render(request, "accounts/saved_filter_form.html", {"form": form}, status=400)


@login_required
@require_POST
def saved_filter_default(request, pk: int):
    try:
        saved = saved_filters.make_default(
            actor=request.user, saved_filter=pk, is_default=request.POST.get("is_default") == "1"
        )
    except SavedFilter.DoesNotExist:
        raise Http404 from None
    return _back_to_list(saved.list_name, saved.query)


@login_required
@require_POST
def saved_filter_delete(request, pk: int):
    try:
        list_name = saved_filters.delete_filter(actor=request.user, saved_filter=pk)
    except SavedFilter.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The filter was removed."))
    return _back_to_list(list_name)
