"""Signed webhooks: POST a finished task's JSON to the owner's callback URLs.

Signatures follow Standard Webhooks (standardwebhooks.com): headers `webhook-id` (the same on
every attempt of one delivery), `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,` + base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}", keyed with the base64-decoded
part of the `whsec_` secret). Calls go through the fetcher's URL and address checks and
connect to the address that was checked. Delivery is at least once (see models/webhooks.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from datetime import datetime

import httpx
from django.utils import timezone

from . import queue
from .models import Delivery, DeliveryState, Task, Webhook
from .pipeline import fetch
from .pipeline.deadline import transport_until
from .pipeline.errors import PipelineError

logger = logging.getLogger(__name__)
EVENT = "task.finished"
TIMEOUT_S = 20  # one attempt, from connect to the last byte of the answer (< CLAIM_S)


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
    transaction that ends the task) and queue them for after the commit."""
    hooks = list(Webhook.objects.filter(owner_id=task.owner_id, is_active=True))
    if not hooks:
        return []
    data = task.to_dict()
    if task.video_id is not None:
        data["video_id"] = task.video_id
    payload = {"type": EVENT, "timestamp": timezone.now().isoformat(timespec="seconds"), "data": data}
    deliveries = [Delivery.objects.create(webhook=hook, task=task, event=EVENT, payload=payload) for hook in hooks]
    for delivery in deliveries:
        queue.enqueue_call("aitasks.worker.deliver_webhook", str(delivery.pk))
    return deliveries


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
    status_code, error = _post(delivery)
    state = delivery.record(status_code, error)
    if state != DeliveryState.DELIVERED:
        logger.info("webhook %s to %s: %s %s", delivery.pk, delivery.webhook.url, status_code, error)
    return state


def deliver_due() -> int:
    """Scheduled every minute: retries that are due, and claims left by workers that died."""
    done = 0
    for delivery_id in Delivery.objects.due().order_by("next_attempt_at").values_list("pk", flat=True)[:100]:
        deliver(str(delivery_id))
        done += 1
    return done


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
    deadline = time.monotonic() + TIMEOUT_S
    timeout = httpx.Timeout(TIMEOUT_S, connect=policy.connect_timeout)
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
    """Delete finished deliveries older than `cutoff` (the tasks' retention period)."""
    done = (DeliveryState.DELIVERED, DeliveryState.FAILED)
    deleted, _ = Delivery.objects.filter(state__in=done, created_at__lt=cutoff).delete()
    return deleted
