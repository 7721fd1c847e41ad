from django.contrib import admin

from spink.admin_safety import ReadOnlyAdmin
from spink.outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What is waiting for the broker, and why (written only by spink.outbox)."""

    list_display = ["id", "task", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["task", ("sent_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
