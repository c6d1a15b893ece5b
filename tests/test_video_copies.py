"""Copying a video's origin: every copy ends (ready or error with a reason), is done once
however often its message arrives, and leaves nothing behind a deleted video."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections
from django.test import Client

from aitasks.models import Task, Video, VideoStatus
from aitasks.worker import copy_video
from tests.conftest import run_queued_tasks, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def create(api: Client, **video: object) -> dict:
    response = api.post(
        "/streaming/videos", data=json.dumps({"name": "clip", **video}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    "url",
    [
        "http://a..example.com/x.mp4",  # the resolver raises (an empty idna label)
        "http://127.0.0.1/a\x01b.mp4",  # httpx calls it invalid
    ],
)
def test_a_copy_that_cannot_even_start_ends_in_error_with_a_reason(api: Client, url: str) -> None:
    video = create(api, origin_url=url)
    assert video["status"] == "pending"
    run_queued_tasks()
    stored = Video.objects.get(pk=video["id"])
    assert (stored.status, stored.error) == (VideoStatus.ERROR, "cannot download url: invalid url")
    assert api.get(f"/streaming/videos/{video['id']}").json()["error"] == "cannot download url: invalid url"


def test_a_copy_message_delivered_twice_at_once_copies_once_and_transcribes_once(
    api: Client, media_server: object
) -> None:
    video = create(api, origin_url=media_server.url("slow/0.5/english.mp4"), auto_transcribe_audio_language="eng")
    outcomes = run_at_once(lambda: copy_video(video["id"]), times=3)
    assert sorted(outcomes) == ["copied"] + ["skipped: not waiting to be copied"] * 2
    stored = Video.objects.get(pk=video["id"])
    assert (stored.status, stored.copy_attempts) == (VideoStatus.READY, 1)
    assert Task.objects.filter(video=stored).count() == 1


def test_deleting_a_video_while_it_is_copied_leaves_no_file(api: Client, media_server: object) -> None:
    video = create(api, origin_url=media_server.url("slow/1/english.mp4"))
    directory = Video.objects.get(pk=video["id"]).directory
    copying = threading.Thread(target=lambda: (copy_video(video["id"]), connections.close_all()))
    copying.start()
    wait_for(lambda: Video.objects.get(pk=video["id"]).copier != "", timeout=10, interval=0.05)
    assert api.delete(f"/streaming/videos/{video['id']}").status_code == 204
    copying.join(timeout=30)
    assert not directory.exists()
    assert not Video.objects.filter(pk=video["id"]).exists()


def run_at_once(function: object, times: int) -> list[object]:
    start, outcomes = threading.Barrier(times), []

    def one() -> None:
        start.wait()
        try:
            outcomes.append(function())  # type: ignore[operator]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
