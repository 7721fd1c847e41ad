"""The e-mail of a notification goes the real way: the outbox row written with the event,
published on commit to the real Redis, run by the real Celery worker, mailed once."""

import time

import pytest

from notifications import services
from notifications.models import Kind, Notification
from placements import services as placements
from tests.followup.monitoring_support import mails_to, wait_for
from tests.notifications.conftest import PERSON_SECRETS

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_message_is_mailed_once_to_the_other_party_through_the_worker(
    celery_worker, worker, officer
):
    from tests.factories import submitted_request

    request = submitted_request(worker, protected_identity=True)
    placements.take(actor=officer, request=request.pk)
    placements.post_message(actor=worker, request=request.pk, text="Alva Testsson har flyttat.")

    notification = Notification.objects.get(recipient=officer, kind=Kind.MESSAGE)
    wait_for(lambda: Notification.objects.get(pk=notification.pk).emailed_at, 30, "the e-mail")
    # Delivered again (as after a dispatcher that died before marking it sent): no second mail.
    assert services.send_email(notification=notification.pk) is False
    time.sleep(0.5)

    # The session's worker mails for every test of this process: only this request's count.
    def about_this_request(address: str) -> list:
        return [m for m in mails_to(address) if request.reference in m["Subject"] + m.get_payload()]

    (mail,) = about_this_request(officer.email)
    text = mail["Subject"] + mail.get_payload()
    assert f"/notifications/{notification.pk}/" in text
    for secret in (*PERSON_SECRETS, "flyttat", worker.last_name):
        assert secret not in text
    assert about_this_request(worker.email) == []  # the author is not told
