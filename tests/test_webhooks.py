"""Signed webhooks: a receiver on 127.0.0.1 that verifies Standard Webhooks signatures the way
the README shows, fails the first attempts, and sees each delivery succeed exactly once."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from aitasks import webhooks
from aitasks.models import Delivery, DeliveryState, Status, Webhook
from tests.conftest import make_task, make_video, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def _readme_snippet() -> object:
    """The verification snippet of the README, run as written."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "def verify(" in block)
    namespace: dict[str, object] = {}
    exec(snippet, namespace)  # noqa: S102 - our own README
    return namespace["verify"]


readme_verify = _readme_snippet()


class Receiver:
    """Verifies each request's signature with the secret (the README's snippet), refuses the first `failures`
    requests with HTTP 500, and keeps the ids of the deliveries it accepted."""

    def __init__(self, failures: int = 0) -> None:
        self.secret = ""
        self.failures = failures
        self.requests: list[dict[str, object]] = []
        self.accepted: dict[str, dict[str, object]] = {}  # webhook-id -> payload, deduplicated
        self.duplicates = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verified = receiver.verify(self.headers, body)
                receiver.requests.append({"id": self.headers["webhook-id"], "verified": verified})
                if not verified:
                    status = 401
                elif len(receiver.requests) <= receiver.failures:
                    status = 500
                else:
                    message_id = self.headers["webhook-id"]
                    if message_id in receiver.accepted:
                        receiver.duplicates += 1  # already processed: acknowledge, do nothing
                    else:
                        receiver.accepted[message_id] = json.loads(body)
                    status = 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/aitasks"

    def verify(self, headers: object, body: bytes) -> bool:
        return readme_verify(self.secret, headers, body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(failures=2)
    yield receiver
    receiver.close()


def shown_secret(page: str) -> str:
    """The secret a page shows in full, as a user copies it; "" when none is."""
    found = re.search(r'<code id="new-secret">(whsec_[^<]+)</code>', page)
    return found.group(1) if found else ""


def register(editor: Client, receiver: Receiver) -> Webhook:
    response = editor.post("/settings/webhooks", {"url": receiver.url})
    assert response.status_code == 200
    receiver.secret = shown_secret(response.content.decode())  # copied from the page, shown once
    return Webhook.objects.get(url=receiver.url)


def let_time_pass() -> None:
    """The next retry is due now (the backoff would otherwise make the test wait)."""
    Delivery.objects.filter(state=DeliveryState.PENDING).update(next_attempt_at=timezone.now())


def test_a_finished_task_is_delivered_once_after_failed_attempts(
    editor: Client, receiver: Receiver, user: object, media_server: object
) -> None:
    register(editor, receiver)
    # A real task that the worker ends (FAILURE: the URL is a web page, not a video).
    task = make_task(user, url=media_server.url("page.html"))  # type: ignore[attr-defined]
    task.transition(Status.PENDING)
    from aitasks.worker import process_task

    process_task(str(task.pk))
    assert webhooks.deliver_due() == 1  # the delivery written when the task ended: first attempt, refused
    delivery = Delivery.objects.get(task=task)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.PENDING, 1, 500)
    assert timedelta(seconds=25) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)
    assert webhooks.deliver_due() == 0  # not due yet
    let_time_pass()
    webhooks.deliver_due()  # second attempt, refused; the next waits twice as long
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and timedelta(seconds=55) < delivery.next_attempt_at - timezone.now()
    let_time_pass()
    webhooks.deliver_due()  # third attempt, accepted
    let_time_pass()
    assert webhooks.deliver_due() == 0  # delivered: never sent again

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.last_status_code == 204
    assert [request["verified"] for request in receiver.requests] == [True, True, True]
    assert {request["id"] for request in receiver.requests} == {str(delivery.pk)}  # one id for every attempt
    assert list(receiver.accepted) == [str(delivery.pk)] and receiver.duplicates == 0
    payload = receiver.accepted[str(delivery.pk)]
    assert payload["type"] == "task.finished"
    assert payload["data"]["task_id"] == str(task.pk)
    assert payload["data"]["status"] == "FAILURE"
    assert payload["data"]["result"] == {"error": "file is not a media file"}

    page = editor.get("/settings/webhooks").content.decode()
    assert receiver.url in page and str(delivery.pk) in page and "Delivered" in page and "HTTP 204" in page


def test_a_worker_dying_mid_delivery_leads_to_a_resend_with_the_same_id(
    receiver: Receiver, user: object, editor: Client
) -> None:
    receiver.failures = 0
    register(editor, receiver)
    task = make_task(user, status=Status.PENDING)
    task.revoke()  # a task ends: its delivery is written in the same transaction
    delivery = Delivery.objects.get(task=task)
    # A worker claims it, the receiver gets it, and the worker dies before recording the answer.
    assert delivery.claim()
    assert not Delivery.objects.get(pk=delivery.pk).claim()  # claimed: nobody else takes it
    webhooks._post(delivery)
    assert webhooks.deliver_due() == 0  # the claim still holds
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    webhooks.deliver_due()  # the claim expired: another worker sends it again, same webhook-id
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2
    assert [request["id"] for request in receiver.requests] == [str(delivery.pk)] * 2
    assert list(receiver.accepted) == [str(delivery.pk)] and receiver.duplicates == 1  # deduplicated
    # The dead worker's late answer cannot overwrite the state the second worker recorded.
    delivery.attempts = 1
    delivery.record(500, "late")
    assert Delivery.objects.get(pk=delivery.pk).state == DeliveryState.DELIVERED


def test_deliveries_give_up_after_a_day(receiver: Receiver, user: object, editor: Client) -> None:
    receiver.failures = 1000
    register(editor, receiver)
    task = make_task(user, status=Status.PENDING)
    task.revoke()
    Delivery.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59, seconds=50))
    webhooks.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.last_error == "HTTP 500"


def test_callback_urls_follow_the_fetchers_address_policy(editor: Client, settings: object, user: object) -> None:
    settings.AITASKS_ALLOWED_PRIVATE_HOSTS = []  # type: ignore[attr-defined]
    for url, reason in [
        ("http://127.0.0.1:8080/hook", "not a public address"),
        ("http://10.0.0.7/hook", "not a public address"),
        ("ftp://example.com/hook", "url must start with http:// or https://"),
        ("http://example.com:22/hook", "port 22 is not allowed"),
    ]:
        response = editor.post("/settings/webhooks", {"url": url})
        assert response.status_code == 400
        assert reason in response.content.decode(), url
    assert not Webhook.objects.exists()
    # A URL that turned private after it was registered is refused at delivery time too.
    hook = Webhook.objects.create(owner=user, url="http://localhost:8080/hook")
    task = make_task(user, status=Status.PENDING)
    task.revoke()
    webhooks.deliver_due()
    delivery = Delivery.objects.get(webhook=hook)
    assert delivery.state == DeliveryState.PENDING and "not a public address" in delivery.last_error


def test_only_the_owners_tasks_reach_the_owners_webhooks(
    editor: Client, receiver: Receiver, user: object, other_user: object
) -> None:
    register(editor, receiver)
    foreign = make_task(other_user, status=Status.PENDING)
    foreign.revoke()
    assert not Delivery.objects.exists()
    other = signed_in(other_user)
    hook = Webhook.objects.get()
    assert receiver.url not in other.get("/settings/webhooks").content.decode()
    assert other.post(f"/settings/webhooks/{hook.pk}/delete").status_code == 404
    assert editor.post(f"/settings/webhooks/{hook.pk}/delete").status_code == 302
    assert not Webhook.objects.exists()


def test_a_videos_ai_subtitles_task_names_its_video(receiver: Receiver, user: object, editor: Client) -> None:
    from aitasks import hosted_videos

    receiver.failures = 0
    register(editor, receiver)
    video = make_video(user, name="Keynote")
    (task,) = hosted_videos.start_ai_subtitles(video, "eng", [])
    task.revoke()
    webhooks.deliver_due()
    payload = next(iter(receiver.accepted.values()))
    assert payload["data"]["video_id"] == video.pk
    assert payload["data"]["task_data"]["client_entity_data"] == str(video.pk)


def test_old_finished_deliveries_are_purged_with_the_tasks(receiver: Receiver, user: object, editor: Client) -> None:
    receiver.failures = 0
    register(editor, receiver)
    make_task(user, status=Status.PENDING).revoke()
    webhooks.deliver_due()
    from aitasks.worker import purge_expired

    purge_expired()
    assert Delivery.objects.count() == 1  # recent
    Delivery.objects.update(created_at=timezone.now() - timedelta(days=40))
    purge_expired()
    assert not Delivery.objects.exists()


def test_a_receivers_answer_body_is_never_read(user: object, editor: Client) -> None:
    """Only the answer's status counts: a receiver that answers with an endless body neither
    fills the worker's memory nor holds it up."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(1 << 40))
            self.end_headers()
            for _ in range(2000):  # 64 KB every 20 ms until the client hangs up
                try:
                    self.wfile.write(b"\0" * 65536)
                except OSError:
                    return
                time.sleep(0.02)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks"
        assert editor.post("/settings/webhooks", {"url": url}).status_code == 200
        make_task(user, status=Status.PENDING).revoke()
        started = time.monotonic()
        webhooks.deliver_due()
        delivery = Delivery.objects.get()
        assert (delivery.state, delivery.last_status_code) == (DeliveryState.DELIVERED, 200)
        assert time.monotonic() - started < 5  # not the 10 s an attempt may last
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_signing_secret_is_shown_once_then_masked_and_can_be_rotated(
    editor: Client, receiver: Receiver, user: object, other_user: object
) -> None:
    receiver.failures = 0
    created = editor.post("/settings/webhooks", {"url": receiver.url})
    hook = Webhook.objects.get(url=receiver.url)
    assert shown_secret(created.content.decode()) == hook.secret
    assert "no-store" in created["Cache-Control"]
    # Never in a cookie or the session: the next visit shows its last characters only.
    assert all(hook.secret not in morsel.value for morsel in editor.cookies.values())
    assert all(hook.secret not in str(value) for value in editor.session.values())
    later = editor.get("/settings/webhooks").content.decode()
    assert hook.secret not in later and shown_secret(later) == ""
    assert f"whsec_…{hook.secret[-4:]}" in later

    assert signed_in(other_user).post(f"/settings/webhooks/{hook.pk}/rotate").status_code == 404
    rotated = editor.post(f"/settings/webhooks/{hook.pk}/rotate")
    old_secret = hook.secret
    hook.refresh_from_db()
    assert rotated.status_code == 200 and hook.secret != old_secret
    assert shown_secret(rotated.content.decode()) == hook.secret and old_secret not in rotated.content.decode()
    assert hook.secret not in editor.get("/settings/webhooks").content.decode()

    # What is sent from now on is signed with the new secret.
    receiver.secret = hook.secret
    task = make_task(user, status=Status.PENDING)
    task.revoke()
    webhooks.deliver_due()
    assert [request["verified"] for request in receiver.requests] == [True]
