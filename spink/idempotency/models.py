"""Keys of requests already handled, with what they made or answered."""

from __future__ import annotations

from django.db import models


class IdempotencyKey(models.Model):
    """One handled create: a form's key (with the record it made) or an API POST's
    `Idempotency-Key` (with the answer it got, replayed to a retry).

    `fingerprint` is a digest of the key with who sent it and where, so that two clients
    choosing the same key never see each other's answers.
    """

    fingerprint = models.CharField(max_length=64, unique=True)
    request_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # A form's key: the record the first submission made (its URL to go back to).
    object_url = models.CharField(max_length=300, blank=True)
    # An API key: the answer to replay.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = "idempotency key"
        verbose_name_plural = "idempotency keys"

    def __str__(self) -> str:
        return self.fingerprint[:12]
