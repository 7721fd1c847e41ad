import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spink.settings")

app = Celery("spink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The project package is not an installed app, so its own tasks are imported by name.
app.conf.imports = ["spink.tasks"]
