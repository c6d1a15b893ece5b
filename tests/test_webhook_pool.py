"""Webhook deliveries on their own pool: one account's receivers that accept and never answer
hold neither the workers that transcribe nor another account's deliveries."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from aitasks import webhooks
from aitasks.models import Delivery, DeliveryAttempt, DeliveryState, Status, Webhook
from aitasks.webhook_pool import DeliveryPool
from tests import test_service
from tests.conftest import make_task
from tests.test_service import Service, wait_until_final

pytestmark = pytest.mark.django_db(transaction=True)
stop_after = test_service.stop_after  # the services a test started, stopped after it


class HangingReceiver:
    """Accepts each connection, reads the request and never answers, until closed. Counts the
    requests it holds at once."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.held: list[socket.socket] = []
        self.most_at_once = 0
        self.requests = 0
        self._closed = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._hold, args=(connection,), daemon=True).start()

    def _hold(self, connection: socket.socket) -> None:
        with self._lock:
            self.held.append(connection)
            self.requests += 1
            self.most_at_once = max(self.most_at_once, len(self.held))
        connection.settimeout(0.2)
        while not self._closed.is_set():
            try:
                if not connection.recv(65536):
                    break  # the client gave up
            except TimeoutError:
                continue
            except OSError:
                break
        with self._lock:
            self.held.remove(connection)
        connection.close()

    def close(self) -> None:
        self._closed.set()
        self.listener.close()


class QuickReceiver:
    """Answers 204 at once; keeps when each request arrived."""

    def __init__(self) -> None:
        self.arrived: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrived.append(time.monotonic())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hanging() -> Iterator[HangingReceiver]:
    receiver = HangingReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def quick() -> Iterator[QuickReceiver]:
    receiver = QuickReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def pool_settings(settings: object) -> object:
    settings.AITASKS_WEBHOOK_TIMEOUT_S = 1.5  # type: ignore[attr-defined]
    settings.AITASKS_WEBHOOK_CONNECT_TIMEOUT_S = 1  # type: ignore[attr-defined]
    settings.AITASKS_WEBHOOK_ACCOUNT_SLOTS = 2  # type: ignore[attr-defined]
    return settings


def ten_hanging_deliveries(owner: object, hanging: HangingReceiver) -> None:
    for _ in range(10):
        Webhook.objects.create(owner=owner, url=hanging.url)
    make_task(owner, status=Status.PENDING).revoke()  # a task that ends at once: ten deliveries
    assert Delivery.objects.filter(webhook__owner=owner).count() == 10


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_one_accounts_hanging_receivers_hold_at_most_its_share_of_the_pool(
    user: object, other_user: object, hanging: HangingReceiver, quick: QuickReceiver, pool_settings: object
) -> None:
    ten_hanging_deliveries(user, hanging)
    Webhook.objects.create(owner=other_user, url=quick.url)
    pool = DeliveryPool(threads=4, poll_s=0.05).start()
    try:
        assert wait_for(lambda: hanging.requests >= 2, 3)
        started = time.monotonic()
        make_task(other_user, status=Status.PENDING).revoke()
        assert wait_for(lambda: quick.arrived, 3), "the other account's delivery waited for the hanging ones"
        assert quick.arrived[0] - started < 1.0
        assert wait_for(
            lambda: Delivery.objects.filter(webhook__owner=other_user, state=DeliveryState.DELIVERED).exists(), 2
        )
        assert hanging.most_at_once <= 2  # the account's slots, never the whole pool
    finally:
        pool.stop(wait=True)
    # Each hanging attempt ended at the timeout, and is retried later with backoff.
    failed = Delivery.objects.filter(webhook__owner=user, attempts__gte=1)
    assert failed.exists() and all(d.last_error == "the receiver did not answer in time" for d in failed)
    assert all(d.state == DeliveryState.PENDING for d in failed)


def test_an_account_past_its_budget_of_delivery_time_waits_while_others_deliver(
    user: object, other_user: object, hanging: HangingReceiver, quick: QuickReceiver, pool_settings: object
) -> None:
    pool_settings.AITASKS_WEBHOOK_TIMEOUT_S = 0.5  # type: ignore[attr-defined]
    pool_settings.AITASKS_WEBHOOK_CONNECT_TIMEOUT_S = 0.5  # type: ignore[attr-defined]
    pool_settings.AITASKS_WEBHOOK_ACCOUNT_BUDGET_S = 1.0  # type: ignore[attr-defined]
    ten_hanging_deliveries(user, hanging)
    Webhook.objects.create(owner=other_user, url=quick.url)
    pool = DeliveryPool(threads=4, poll_s=0.05).start()
    try:
        time.sleep(2.5)  # time for every one of the ten, were there no budget
        make_task(other_user, status=Status.PENDING).revoke()
        assert wait_for(lambda: quick.arrived, 2)
    finally:
        pool.stop(wait=True)
    spent = sum(DeliveryAttempt.objects.filter(owner=user).values_list("duration_ms", flat=True))
    assert hanging.requests <= 3 and 1000 <= spent < 2000  # one second's budget, then no more
    waiting = Delivery.objects.filter(webhook__owner=user, attempts=0)
    assert waiting.count() >= 7 and all(d.state == DeliveryState.PENDING for d in waiting)  # kept, in order


def test_a_worker_process_starts_its_pool_when_it_starts(settings: object, user: object, quick: QuickReceiver) -> None:
    from django_q.signals import post_spawn

    from aitasks import webhook_pool

    settings.AITASKS_WEBHOOK_POOL = True  # type: ignore[attr-defined]
    settings.AITASKS_WEBHOOK_POLL_S = 0.05  # type: ignore[attr-defined]
    post_spawn.send(sender="django_q", proc_name="Process-1")  # what django-q2 sends in a new worker
    pool = webhook_pool._pool
    try:
        assert pool is not None and pool._dispatcher.is_alive()
        Webhook.objects.create(owner=user, url=quick.url)
        make_task(user, status=Status.PENDING).revoke()
        assert wait_for(lambda: quick.arrived, 3)
    finally:
        pool.stop(wait=True)
        webhook_pool._pool = None


def test_however_many_deliveries_a_waiting_account_has_due_another_accounts_are_reached(
    user: object, other_user: object, pool_settings: object
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    theirs = Webhook.objects.create(owner=user, url="http://127.0.0.1:9/hook")
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(webhook=theirs, payload={}, next_attempt_at=now - timedelta(hours=1))
        for _ in range(webhooks.SCAN + 100)
    )
    in_flight = Delivery.objects.filter(webhook=theirs)[:2]
    Delivery.objects.filter(pk__in=[d.pk for d in in_flight]).update(
        state=DeliveryState.SENDING, claimed_until=now + timedelta(seconds=60)
    )
    mine = Delivery.objects.create(
        webhook=Webhook.objects.create(owner=other_user, url="http://127.0.0.1:9/"), payload={}
    )
    assert [delivery.pk for delivery in webhooks.claim_due(4)] == [mine.pk]


def test_deleting_a_webhook_while_its_delivery_is_in_flight_spares_the_rest(user: object, quick: QuickReceiver) -> None:
    """The receiver's owner deletes the webhook while the attempt waits for the answer."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            Webhook.objects.filter(url__startswith=f"http://127.0.0.1:{self.server.server_address[1]}/").delete()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    deleting = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=deleting.serve_forever, daemon=True).start()
    try:
        Webhook.objects.create(owner=user, url=f"http://127.0.0.1:{deleting.server_address[1]}/hook")
        Webhook.objects.create(owner=user, url=quick.url)
        make_task(user, status=Status.PENDING).revoke()
        assert webhooks.deliver_due() == 2  # both attempted: the batch goes on past the deleted one
    finally:
        deleting.shutdown()
        deleting.server_close()
    (left,) = Delivery.objects.all()
    assert left.webhook.url == quick.url and left.state == DeliveryState.DELIVERED
    assert DeliveryAttempt.objects.filter(owner=user).count() == 2  # the deleted one's time still counts


# --- the whole service --------------------------------------------------------------------


def test_one_accounts_hanging_receivers_leave_another_accounts_task_latency_unchanged(
    tmp_path: Path,
    media_server: object,
    stop_after: list[Service],
    hanging: HangingReceiver,
) -> None:
    service = Service(tmp_path, database_url=f"sqlite:///{tmp_path / 'aitasks.sqlite3'}")
    stop_after.append(service)
    service.manage("migrate", "--noinput", "-v0")
    keys = {
        name: service.manage("create_api_key", name, "--create-user").strip().splitlines()[-1]
        for name in ("mallory", "bob")
    }
    service.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; from aitasks.models import Webhook; "
        f"owner = get_user_model().objects.get(username='mallory'); "
        f"[Webhook.objects.create(owner=owner, url={hanging.url!r}) for _ in range(10)]",
    )
    service.start_web()
    service.start_worker()
    mallory, bob = (
        httpx.Client(base_url=service.url, headers={"Authorization": f"APIKey {keys[name]}"}, timeout=30)
        for name in ("mallory", "bob")
    )
    clip = {"task_name": "transcription", "url": media_server.url("english.mp4")}  # type: ignore[attr-defined]

    def bobs_latency() -> float:
        started = time.monotonic()
        task = wait_until_final(bob, bob.post("/streaming/ai/tasks", json=clip).json()["task_id"])
        assert task["status"] == "SUCCESS", service.log("worker")
        return time.monotonic() - started

    with mallory, bob:
        bobs_latency()  # the worker's first task
        alone = bobs_latency()
        # Mallory's task fails at once (404): ten deliveries to receivers that never answer.
        failing = mallory.post("/streaming/ai/transcribe", json={"url": media_server.url("missing.mp4")})  # type: ignore[attr-defined]
        assert wait_until_final(mallory, failing.json()["task_id"])["status"] == "FAILURE"
        assert wait_for(lambda: hanging.requests >= 1, 10), service.log("worker")
        time.sleep(2)
        beside_hanging = bobs_latency()
    print(f"another account's task: alone {alone:.2f} s, beside ten hanging receivers {beside_hanging:.2f} s")
    assert beside_hanging < alone * 1.5 + 2, (alone, beside_hanging)  # before the pool: 10 x 20 s first
    assert hanging.most_at_once <= 2
