"""Webhook deliveries on a pool of their own, never on the threads that transcribe.

Each worker process starts one pool when it starts (aitasks.apps, at django-q2's post_spawn):
a dispatcher thread that looks for due deliveries every AITASKS_WEBHOOK_POLL_S and a few
sender threads (AITASKS_WEBHOOK_THREADS), while the process's main thread runs its AI task.
Receivers that hang therefore hold at most the pool's threads, never a task:

- an attempt is bounded: AITASKS_WEBHOOK_CONNECT_TIMEOUT_S to connect, AITASKS_WEBHOOK_TIMEOUT_S
  in all, and the answer's body is never read (webhooks._post);
- one account holds at most AITASKS_WEBHOOK_ACCOUNT_SLOTS of the threads and
  AITASKS_WEBHOOK_ACCOUNT_BUDGET_S of attempt time per window (webhooks.claim_due), so another
  account's deliveries go out while its receivers hang;
- retries back off, 30 s doubling up to an hour, for a day (models/webhooks.py).

Claims are conditional UPDATEs in the database: the pools of several worker processes and
hosts never send one attempt twice, and a pool that dies mid-attempt leaves its claim to expire.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from . import webhooks
from .models import Delivery

logger = logging.getLogger(__name__)


class DeliveryPool:
    def __init__(self, threads: int, poll_s: float) -> None:
        self.threads = threads
        self.poll_s = poll_s
        self._senders = ThreadPoolExecutor(threads, thread_name_prefix="webhook-sender")
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._dispatcher = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)

    @classmethod
    def from_settings(cls) -> DeliveryPool:
        return cls(settings.AITASKS_WEBHOOK_THREADS, settings.AITASKS_WEBHOOK_POLL_S)

    def start(self) -> DeliveryPool:
        self._dispatcher.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop taking deliveries; with `wait`, until the attempts in flight have ended."""
        self._stop.set()
        if self._dispatcher.is_alive():
            self._dispatcher.join()
        self._senders.shutdown(wait=wait)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def dispatch(self) -> int:
        """Claim what is due, up to the free threads, and start sending it; how many started."""
        claimed = webhooks.claim_due(self.threads - self.in_flight)
        for delivery in claimed:
            with self._lock:
                self._in_flight += 1
            self._senders.submit(self._send, delivery)
        return len(claimed)

    def _send(self, delivery: Delivery) -> None:
        try:
            webhooks.attempt(delivery)
        except Exception:  # the database went away mid-attempt: the claim expires, it is sent again
            logger.exception("webhook delivery %s: attempt failed", delivery.pk)
        finally:
            close_old_connections()  # this thread's connection, dropped when broken or too old
            with self._lock:
                self._in_flight -= 1

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.dispatch()
                close_old_connections()
            except Exception:  # the database is down: try again next round
                logger.exception("webhook pool: cannot look for due deliveries")


_pool: DeliveryPool | None = None
_pool_lock = threading.Lock()


def start() -> DeliveryPool:
    """This process's pool, started once (a forked child starts its own)."""
    global _pool
    with _pool_lock:
        if _pool is None or not _pool._dispatcher.is_alive():
            _pool = DeliveryPool.from_settings().start()
        return _pool
