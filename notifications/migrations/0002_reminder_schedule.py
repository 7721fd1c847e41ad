"""The reminder jobs in django-celery-beat's schedule: every morning at 07:00 Swedish time
(editable in the admin). Each job is idempotent, so running one more often only reminds
sooner."""

from django.db import migrations
from django.utils import timezone

JOBS = {
    "Notifications: recommendations waiting for a choice, every morning": (
        "notifications.remind_choice_waiting",
        "Reminds the social worker and the assigned officer of recommendations waiting for a "
        "choice longer than NOTIFICATIONS_CHOICE_WAITING_DAYS.",
    ),
    "Notifications: wanted start soon without a recommendation, every morning": (
        "notifications.remind_start_soon",
        "Reminds the assigned officer (or the team's officers) of open requests without a "
        "recommendation whose wanted start is within NOTIFICATIONS_START_SOON_DAYS.",
    ),
    "Notifications: drafts left untouched, every morning": (
        "notifications.remind_stale_drafts",
        "Reminds the author of drafts untouched for NOTIFICATIONS_STALE_DRAFT_DAYS.",
    ),
}


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    mornings, _created = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="7",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Stockholm",
    )
    for name, (task, description) in JOBS.items():
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "crontab": mornings,
                "enabled": True,
                # A morning's run not started within the hour waits for the next morning.
                "expire_seconds": 60 * 60,
                "description": description,
            },
        )
    # Historical models skip PeriodicTask.save(), which tells a running beat to reload.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTask.objects.filter(name__in=list(JOBS)).delete()
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
