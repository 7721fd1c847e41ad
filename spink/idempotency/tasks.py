from celery import shared_task

from spink.idempotency import keys


@shared_task(name="idempotency.purge", ignore_result=True, soft_time_limit=50, time_limit=60)
def purge() -> int:
    """Celery beat, hourly: forget keys no client retries any more. An API key holds the answer
    it replays, which may name a person, so it is kept no longer than a retry needs."""
    return keys.purge(older_than=keys.KEPT_FOR)
