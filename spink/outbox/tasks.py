from celery import shared_task

from spink.outbox import sending


@shared_task(name="outbox.dispatch", ignore_result=True, soft_time_limit=50, time_limit=60)
def dispatch() -> int:
    """Celery beat, every minute: hand every pending outbox message to the broker. Not retried:
    the next minute's run is the retry."""
    return sending.dispatch()
