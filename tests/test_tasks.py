import uuid

import pytest

from spink.tasks import ping


@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_redis_and_a_real_worker(celery_worker):
    token = uuid.uuid4().hex
    result = ping.delay(token)
    assert result.get(timeout=20) == f"pong:{token}"
    assert result.successful()
