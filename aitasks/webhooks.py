"""Signed webhooks: POST a finished task's JSON to the owner's callback URLs.

Signatures follow Standard Webhooks (standardwebhooks.com): headers `webhook-id` (the same on
every attempt of one delivery), `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,` + base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}", keyed with the base64-decoded
part of the `whsec_` secret). Calls go through the fetcher's URL and address checks and
connect to the address that was checked. Delivery is at least once (see models/webhooks.py).

Deliveries run on a pool of their own (aitasks.webhook_pool), never on the workers that
transcribe; `claim_due` hands out what is due fairly: no account holds more than its share of
the pool's threads or of its time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import IntegrityError
from django.db.models import Count, Sum
from django.utils import timezone

from .models import Delivery, DeliveryAttempt, DeliveryState, Task, Webhook
from .pipeline import fetch
from .pipeline.deadline import transport_until
from .pipeline.errors import PipelineError

logger = logging.getLogger(__name__)
EVENT = "task.finished"
# Due deliveries looked at per round of claim_due: past an account that must wait, the next.
SCAN = 500


def check_callback_url(url: str) -> str | None:
    """Why `url` cannot be a callback (the fetcher's policy), or None when it can."""
    policy = fetch.FetchPolicy.from_settings()
    try:
        fetch.resolve(fetch.check_url(url, policy), policy)
    except PipelineError as error:
        return str(error).replace("cannot download url: ", "")
    return None


def task_finished(task: Task) -> list[Delivery]:
    """Record one delivery per active webhook of the task's owner (called inside the
    transaction that ends the task): due at once, for the delivery pool."""
    hooks = list(Webhook.objects.filter(owner_id=task.owner_id, is_active=True))
    if not hooks:
        return []
    data = task.to_dict()
    if task.video_id is not None:
        data["video_id"] = task.video_id
    payload = {"type": EVENT, "timestamp": timezone.now().isoformat(timespec="seconds"), "data": data}
    return [Delivery.objects.create(webhook=hook, task=task, event=EVENT, payload=payload) for hook in hooks]


def record_deliveries(sender: object, task: Task, **kwargs: object) -> None:
    """Receiver of `models.tasks.task_ended` (connected in aitasks.apps)."""
    task_finished(task)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def deliver(delivery_id: str) -> str:
    """One attempt at one delivery, if no other worker holds it and it is due."""
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or not delivery.claim():
        return "skipped"
    return attempt(delivery)


def deliver_due() -> int:
    """Every attempt that claim_due hands out now, one after the other (the pool runs them at
    once); how many were made."""
    claimed = claim_due(SCAN)
    for delivery in claimed:
        attempt(delivery)
    return len(claimed)


def claim_due(limit: int) -> list[Delivery]:
    """Claim up to `limit` due deliveries, oldest first, passing over the accounts that already
    hold AITASKS_WEBHOOK_ACCOUNT_SLOTS attempts or have spent their AITASKS_WEBHOOK_ACCOUNT_BUDGET_S
    of attempt time in the last AITASKS_WEBHOOK_BUDGET_WINDOW_S (an attempt in flight counts
    as a whole timeout). Passed-over deliveries stay due, in their order."""
    if limit <= 0:
        return []
    now = timezone.now()
    in_flight = dict(
        Delivery.objects.filter(state=DeliveryState.SENDING, claimed_until__gte=now)
        .values_list("webhook__owner_id")
        .annotate(count=Count("id"))
    )
    window = now - timedelta(seconds=settings.AITASKS_WEBHOOK_BUDGET_WINDOW_S)
    spent_ms = dict(
        DeliveryAttempt.objects.filter(started_at__gte=window)
        .values_list("owner_id")
        .annotate(spent=Sum("duration_ms"))
    )
    budget_ms = settings.AITASKS_WEBHOOK_ACCOUNT_BUDGET_S * 1000
    attempt_ms = settings.AITASKS_WEBHOOK_TIMEOUT_S * 1000

    def must_wait(owner: int) -> bool:
        holding = in_flight.get(owner, 0)
        return (
            holding >= settings.AITASKS_WEBHOOK_ACCOUNT_SLOTS
            or spent_ms.get(owner, 0) + holding * attempt_ms >= budget_ms
        )

    # Accounts that must wait are left out of the query itself: however many deliveries one of
    # them has due, the others' are within reach.
    waiting = [owner for owner in {*in_flight, *spent_ms} if must_wait(owner)]
    due = Delivery.objects.due().exclude(webhook__owner_id__in=waiting).select_related("webhook")
    claimed: list[Delivery] = []
    for delivery in due.order_by("next_attempt_at")[:SCAN]:
        owner = delivery.webhook.owner_id
        if must_wait(owner):
            continue
        if delivery.claim():
            claimed.append(delivery)
            in_flight[owner] = in_flight.get(owner, 0) + 1
            if len(claimed) >= limit:
                break
    return claimed


def attempt(delivery: Delivery) -> str:
    """Send the delivery this worker claimed, once, and record the answer and the time it took."""
    started_at, started = timezone.now(), time.monotonic()
    status_code, error = _post(delivery)
    state = delivery.record(status_code, error)
    _log_attempt(delivery, started_at, int((time.monotonic() - started) * 1000), gone=state is None)
    if state is None:
        logger.info("webhook delivery %s: deleted during its attempt", delivery.pk)
        return "gone"
    if state != DeliveryState.DELIVERED:
        logger.info("webhook %s to %s: %s %s", delivery.pk, delivery.webhook.url, status_code, error)
    return state


def _log_attempt(delivery: Delivery, started_at: datetime, duration_ms: int, gone: bool) -> None:
    fields = {"owner_id": delivery.webhook.owner_id, "started_at": started_at, "duration_ms": duration_ms}
    try:
        DeliveryAttempt.objects.create(delivery=None if gone else delivery, **fields)
    except IntegrityError:  # the delivery (or the account) was deleted a moment ago
        try:
            DeliveryAttempt.objects.create(delivery=None, **fields)
        except IntegrityError:  # the account is gone: there is nothing left to budget
            pass


def _post(delivery: Delivery) -> tuple[int | None, str]:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "aitasks-webhooks/1",
        "webhook-id": str(delivery.pk),
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(delivery.webhook.secret, str(delivery.pk), timestamp, body),
    }
    policy = fetch.FetchPolicy.from_settings()
    limit_s = settings.AITASKS_WEBHOOK_TIMEOUT_S
    deadline = time.monotonic() + limit_s  # the whole attempt, from connect to the last byte
    timeout = httpx.Timeout(limit_s, connect=settings.AITASKS_WEBHOOK_CONNECT_TIMEOUT_S)
    try:
        target = fetch.check_url(delivery.webhook.url, policy)
        address = fetch.resolve(target, policy)
        transport = transport_until(deadline)
        with httpx.Client(follow_redirects=False, trust_env=False, timeout=timeout, transport=transport) as client:
            request = fetch.pinned_request(client, target, address, "POST", headers, body)
            # Only the status counts: the answer's body is never read (a receiver could send
            # gigabytes, or a compressed bomb), the connection is closed after its headers.
            response = client.send(request, stream=True)
            response.close()
    except PipelineError as error:
        return None, str(error).replace("cannot download url: ", "")
    except httpx.TimeoutException:
        return None, "the receiver did not answer in time"
    except httpx.HTTPError as error:
        return None, f"cannot connect: {type(error).__name__}"
    return response.status_code, "" if response.is_success else f"HTTP {response.status_code}"


def purge(cutoff: datetime) -> int:
    """Delete finished deliveries older than `cutoff` (the tasks' retention period), and the
    record of attempts older than a day (the delivery budget looks back less)."""
    done = (DeliveryState.DELIVERED, DeliveryState.FAILED)
    deleted, _ = Delivery.objects.filter(state__in=done, created_at__lt=cutoff).delete()
    DeliveryAttempt.objects.filter(started_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
