"""Webhooks: callback URLs an account registers, and each delivery of a finished task to them.

A delivery row is written in the same transaction that ends the task (see Task.transition),
then claimed by one worker at a time with a conditional UPDATE. A worker that dies after the
receiver answered but before it recorded the answer leaves the claim to expire and the
delivery is sent again: delivery is at least once, with the same `webhook-id` every time so
that receivers drop duplicates.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# Retries: 30 s, 1, 2, 4 ... minutes, at most an hour apart, for a day.
FIRST_RETRY_S = 30
MAX_RETRY_S = 3600
GIVE_UP_AFTER = timedelta(days=1)
# How long a claimed delivery may stay unanswered before another pool takes it over: more
# than the longest attempt (AITASKS_WEBHOOK_TIMEOUT_S), so a slow receiver is not called twice
# at once.
CLAIM_S = 60


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Webhook(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2048)
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    @property
    def masked_secret(self) -> str:
        """What the page shows after the secret's one showing: enough to tell two apart."""
        return f"whsec_…{self.secret[-4:]}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its (next) attempt
    SENDING = "sending", "Sending"  # claimed by a worker until claimed_until
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"  # gave up after a day


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def due(self) -> DeliveryQuerySet:
        """Deliveries a worker may claim now: waiting and due, or claimed by a worker that
        did not finish in time (it died)."""
        now = timezone.now()
        return self.filter(
            Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            | Q(state=DeliveryState.SENDING, claimed_until__lt=now)
        )


class Delivery(models.Model):
    # Sent as the `webhook-id` header: the same on every attempt, for receivers to deduplicate.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    task = models.ForeignKey("aitasks.Task", null=True, on_delete=models.SET_NULL, related_name="+")
    event = models.CharField(max_length=64, default="task.finished")
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.state})"

    def claim(self) -> bool:
        """Take this delivery for one attempt; only one worker wins."""
        now = timezone.now()
        won = (
            Delivery.objects.due()
            .filter(pk=self.pk)
            .update(
                state=DeliveryState.SENDING,
                claimed_until=now + timedelta(seconds=CLAIM_S),
                attempts=F("attempts") + 1,
            )
        )
        if won:
            self.refresh_from_db()
        return bool(won)

    def record(self, status_code: int | None, error: str) -> DeliveryState | None:
        """The outcome of the attempt this worker claimed: delivered, retry later, or give up;
        None when the delivery is gone (its webhook was deleted during the attempt)."""
        now = timezone.now()
        fields: dict[str, Any] = {"last_status_code": status_code, "last_error": error[:500], "claimed_until": None}
        if status_code is not None and 200 <= status_code < 300:
            fields.update(state=DeliveryState.DELIVERED, delivered_at=now)
        else:
            delay = min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** max(0, self.attempts - 1))
            if now + timedelta(seconds=delay) - self.created_at > GIVE_UP_AFTER:
                fields.update(state=DeliveryState.FAILED)
            else:
                fields.update(state=DeliveryState.PENDING, next_attempt_at=now + timedelta(seconds=delay))
        # Only while this worker still holds the claim (it may have expired and been taken over).
        Delivery.objects.filter(pk=self.pk, state=DeliveryState.SENDING, attempts=self.attempts).update(**fields)
        now_stored = Delivery.objects.filter(pk=self.pk).values_list("state", flat=True).first()
        if now_stored is None:
            return None
        self.state = now_stored
        return DeliveryState(now_stored)


class DeliveryAttempt(models.Model):
    """One attempt at a delivery and how long it held a thread of the delivery pool: each
    account's budget of delivery time counts these (aitasks.webhook_pool). The owner is kept
    here: deleting a webhook (and with it its deliveries) does not give its time back."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, null=True, on_delete=models.SET_NULL, related_name="attempt_log")
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["owner", "started_at"])]
