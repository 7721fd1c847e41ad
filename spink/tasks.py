from celery import shared_task


@shared_task(name="spink.ping")
def ping(token: str) -> str:
    """A round trip through broker and worker; /healthz and the tests use it."""
    return f"pong:{token}"
