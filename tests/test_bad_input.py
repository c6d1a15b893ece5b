"""Bad input always gets a clear answer — a 400 from the API or a FAILURE with a readable
reason — and never disturbs the other tasks in the queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from aitasks.models import Status, Task
from tests import media
from tests.conftest import make_video, run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED_BY_THE_API = [
    # (what, content type, body, expected error)
    ("malformed JSON", "application/json", '{"task_name": "transcription", "url": ', "malformed JSON body"),
    ("wrong content type", "text/plain", '{"task_name": "transcription"}', "Content-Type must be application/json"),
    ("a JSON array", "application/json", "[]", "the JSON body must be an object"),
    ("no url", "application/json", '{"task_name": "transcription"}', "url: This field is required."),
    ("a file: url", "application/json", '{"task_name": "transcription", "url": "file:///etc/passwd"}', "http"),
    ("unknown language", "application/json", '{"task_name": "transcription", "url": "http://a.io/v.mp4", "audio_language": "zzz"}', "unknown language"),
    ("over-long client_user_id", "application/json", json.dumps({"task_name": "transcription", "url": "http://a.io/v.mp4", "client_user_id": "u" * 300}), "client_user_id"),
    ("credentials in the url", "application/json", '{"task_name": "transcription", "url": "http://user:pw@a.io/v.mp4"}', "credentials"),
]  # fmt: skip

FAILED_BY_THE_WORKER = [
    # (what, path on the media server, expected reason)
    ("an HTML page", "page.html", "file is not a media file"),
    ("a truncated MP4", "truncated.mp4", "file is not a media file"),
    ("an MP4 without audio", "video-only.mp4", "no audio track"),
    ("zero bytes", "empty.mp4", "file is empty"),
    ("a huge Content-Length", "huge", "file larger than 2048 MB"),
    ("a slow trickle", "trickle", "took longer than 1 s"),
    ("a 404", "nothing-here.mp4", "cannot download url: HTTP 404"),
    ("a 500", "status/500", "cannot download url: HTTP 500"),
    ("a redirect loop", "loop", "more than 5 redirects"),
    ("a gzip bomb", "gzip-bomb", "the server sent the file compressed (Content-Encoding: gzip, gzip)"),
]


@pytest.mark.parametrize(
    ("what", "content_type", "body", "message"), REFUSED_BY_THE_API, ids=[r[0] for r in REFUSED_BY_THE_API]
)
def test_the_api_refuses_bad_requests_with_a_clear_400(
    api: Client, what: str, content_type: str, body: str, message: str
) -> None:
    response = api.post("/streaming/ai/tasks", data=body, content_type=content_type)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Task.objects.exists()


def test_bad_media_fails_with_reasons_while_good_tasks_finish(
    api: Client, media_server: object, settings: object
) -> None:
    settings.AITASKS_DOWNLOAD_TIMEOUT_S = 1
    media.gzip_bomb()  # the media server serves it from memory, built before the 1 s deadline
    good_before = _create(api, media_server.url("english.mp4"))
    bad = {what: _create(api, media_server.url(path)) for what, path, _reason in FAILED_BY_THE_WORKER}
    good_after = _create(api, media_server.url("english.mp4"))

    run_queued_tasks()

    for what, _path, reason in FAILED_BY_THE_WORKER:
        task = Task.objects.get(pk=bad[what])
        assert task.status == Status.FAILURE, what
        assert reason in task.error, (what, task.error)
        assert api.get(f"/streaming/ai/tasks/{task.pk}").json()["result"] == {"error": task.error}
    for task_id in (good_before, good_after):
        task = Task.objects.get(pk=task_id)
        assert task.status == Status.SUCCESS
        assert task.attempts == 1
    # Transient errors (the 500, the trickle) were retried before they failed; the rest at once.
    assert Task.objects.get(pk=bad["a 500"]).attempts == settings.AITASKS_MAX_RETRIES + 1
    assert Task.objects.get(pk=bad["an HTML page"]).attempts == 1


def _create(api: Client, url: str) -> str:
    response = api.post(
        "/streaming/ai/tasks",
        data=json.dumps({"task_name": "transcription", "url": url}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["task_id"]


def test_a_video_copy_of_a_gzip_bomb_fails_without_inflating_it(
    api: Client, media_server: object, settings: object, tmp_path: Path
) -> None:
    from aitasks.models import Video, VideoStatus

    settings.AITASKS_DATA_DIR = tmp_path  # type: ignore[attr-defined]  # no other test's video folders

    media.gzip_bomb()  # built before the download starts
    response = api.post(
        "/streaming/videos",
        data=json.dumps({"video": {"name": "bomb", "origin_url": media_server.url("gzip-bomb")}}),
        content_type="application/json",
    )
    assert response.status_code == 200
    run_queued_tasks()
    video = Video.objects.get(pk=response.json()["id"])
    assert video.status == VideoStatus.ERROR
    assert "the server sent the file compressed (Content-Encoding: gzip, gzip)" in video.error
    assert not video.directory.exists()


# --- never a 5xx: inputs that once crashed a view ---------------------------------------------

DEEPLY_NESTED = "[" * 100_000


@pytest.mark.parametrize("path", ["/streaming/ai/tasks", "/streaming/ai/transcribe", "/streaming/videos"])
def test_deeply_nested_json_is_a_400_not_a_crash(api: Client, path: str) -> None:
    response = api.post(path, data=DEEPLY_NESTED, content_type="application/json")
    assert response.status_code == 400
    assert "malformed JSON body" in response.json()["error"]


def test_deeply_nested_json_on_a_video_and_its_subtitles_is_a_400(api: Client, user: object) -> None:

    video = make_video(user, name="Keynote")
    for method, path in [
        (api.patch, f"/streaming/videos/{video.pk}"),
        (api.post, f"/streaming/videos/{video.pk}/subtitles"),
    ]:
        response = method(path, data=DEEPLY_NESTED, content_type="application/json")
        assert response.status_code == 400, path
        assert "malformed JSON body" in response.json()["error"]


@pytest.mark.parametrize("header", ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "9" * 5000])
def test_a_range_with_thousands_of_digits_is_unsatisfiable(api: Client, user: object, header: str) -> None:
    video = make_video(user, file=b"\0" * 1000)
    response = api.get(f"/streaming/videos/{video.pk}/mp4", HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{video.file_path.stat().st_size}"


@pytest.mark.parametrize(
    "vtt",
    [
        "WEBVTT\n\n" + "9" * 5000 + ":00:01.000 --> 00:00:02.000\nHello\n",
        "1\n00:00:01,000 --> " + "9" * 5000 + ":00:02,000\nHello\n",
    ],
    ids=["vtt", "srt"],
)
def test_a_cue_hour_with_thousands_of_digits_is_a_400(api: Client, user: object, vtt: str) -> None:

    video = make_video(user, name="Keynote")
    response = api.post(
        f"/streaming/videos/{video.pk}/subtitles",
        data=json.dumps({"language": "eng", "vtt": vtt}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "bad timing line" in response.json()["error"]


def test_generate_subtitles_with_an_unknown_language_is_a_form_error(editor: Client, user: object) -> None:
    video = make_video(user, file=b"\0" * 1000)
    response = editor.post(
        f"/videos/{video.pk}/subtitles",
        {"generate": "1", "audio_language": "zzz", "subtitles_language": "eng"},
        follow=True,
    )
    assert response.status_code == 200
    assert "AI subtitles were not started: Audio language: Select a valid choice." in response.content.decode()
    assert not Task.objects.exists()
