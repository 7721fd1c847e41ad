"""A user's own notifications: the list, opening one (marks it read and goes to the request),
marking all read, the header's badge and the e-mail preferences.

Every notification belongs to one user: anyone else's answers 404, like a record that does
not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import rules, selectors, services
from notifications.context_processors import unread_count_of
from notifications.forms import ListFilterForm, PreferencesForm
from notifications.models import Notification
from spink.accounts.http import AuthenticatedHttpRequest
from spink.pagination import CappedPaginator

PAGE_SIZE = 25


@login_required
@require_GET
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET)
    notifications = selectors.notifications_for(request.user, unread_only=form.unread_only)
    page = CappedPaginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    for notification in page.object_list:
        notification.message = rules.message(notification.kind, notification.request.reference)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "filter_form": form,
            "unread_only": form.unread_only,
            "unread": unread_count_of(request),
        },
    )


@login_required
@require_GET
def open_notification(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        notification = services.mark_read(actor=request.user, notification=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return redirect("placements:request-detail", pk=notification.request_id)


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@login_required
@require_GET
def badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The header's badge alone, for htmx to poll."""
    return render(request, "includes/notification_badge.html")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = selectors.email_choices(request.user)
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, user=request.user, current=current)
    if request.method == "POST" and form.is_valid():
        services.set_email_preferences(actor=request.user, choices=form.choices())
        messages.success(request, _("Your notification settings are saved."))
        return redirect(reverse("notifications:preferences"))
    recommendation_row = rules.ROWS[rules.Kind.RECOMMENDATION]
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "recommendations_emailed": request.user.role in recommendation_row.roles,
        },
    )
