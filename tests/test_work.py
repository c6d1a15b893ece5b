"""One way in, one limit: every path that creates work counts against the account's
AITASKS_QUEUE_LIMIT (unfinished tasks plus videos being copied), atomically, and a request
that would pass it creates nothing."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aitasks.models import Status, Task, Video, VideoStatus
from tests import test_service
from tests.conftest import TASK_URL, make_task, make_video
from tests.test_service import Service, set_up

URL = TASK_URL
FULL = {"error": "Queue limit reached (3), try later"}
# The real service's fixtures (a process per part, on a scratch database).
stop_after, sqlite_service, postgres_database = (
    test_service.stop_after,
    test_service.sqlite_service,
    test_service.postgres_database,
)


def post(client: Client, path: str, body: object) -> object:
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def limit_of_3(settings: object) -> None:
    settings.AITASKS_QUEUE_LIMIT = 3  # type: ignore[attr-defined]


@pytest.fixture
def ready_video(user: object) -> Video:
    return make_video(user, status=VideoStatus.READY)


@pytest.mark.django_db
def test_ai_subtitles_with_ten_translations_past_the_limit_create_nothing(
    api: Client, ready_video: Video, limit_of_3: None
) -> None:
    targets = "eng,fre,ger,spa,ita,por,dut,pol,rus,jpn"
    response = post(
        api,
        f"/streaming/videos/{ready_video.pk}/subtitles",
        {"auto_transcribe_audio_language": "chi", "auto_translate_subtitles_language": targets},
    )
    assert (response.status_code, response.json()) == (400, FULL)
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_ai_subtitles_that_fit_are_all_created(api: Client, ready_video: Video, limit_of_3: None) -> None:
    response = post(
        api,
        f"/streaming/videos/{ready_video.pk}/subtitles",
        {"auto_transcribe_audio_language": "eng", "auto_translate_subtitles_language": "fre,ger"},
    )
    assert response.status_code == 200 and len(response.json()["ai_task_ids"]) == 3
    assert post(api, "/streaming/ai/transcribe", {"url": URL}).json() == FULL


@pytest.mark.django_db
def test_video_copies_count_against_the_limit(api: Client, user: object, limit_of_3: None) -> None:
    Task.objects.bulk_create(Task(owner=user, url=URL) for _ in range(2))
    first = post(api, "/streaming/videos", {"name": "a", "origin_url": URL})
    assert first.status_code == 200 and first.json()["status"] == "pending"
    second = post(api, "/streaming/videos", {"name": "b", "origin_url": URL})
    assert (second.status_code, second.json()) == (400, FULL)
    assert post(api, "/streaming/ai/tasks", {"task_name": "transcription", "url": URL}).json() == FULL
    assert list(Video.objects.values_list("name", flat=True)) == ["a"]
    assert post(api, "/streaming/videos", {"name": "no copy, no work"}).status_code == 200


@pytest.mark.django_db
def test_the_video_pages_generate_subtitles_respects_the_limit(
    editor: Client, user: object, ready_video: Video, limit_of_3: None
) -> None:
    Task.objects.bulk_create(Task(owner=user, url=URL, status=Status.PENDING) for _ in range(2))
    response = editor.post(
        f"/videos/{ready_video.pk}/subtitles",
        {"generate": "1", "audio_language": "ger", "subtitles_language": "eng"},  # two tasks
        follow=True,
    )
    assert "Queue limit reached (3), try later." in response.content.decode()
    assert Task.objects.count() == 2


@pytest.mark.django_db
def test_the_dashboards_generate_task_with_a_video_respects_the_limit(
    editor: Client, user: object, ready_video: Video, limit_of_3: None
) -> None:
    Task.objects.bulk_create(Task(owner=user, url=URL) for _ in range(2))
    response = editor.post(
        "/tasks/new", {"video": ready_video.pk, "task_name": "transcription", "subtitles_language": "eng"}
    )
    assert response.status_code == 400 and "Queue limit reached (3)" in response.content.decode()
    assert Task.objects.count() == 2


@pytest.mark.django_db
def test_content_moderation_comes_in_the_same_way_under_the_same_limit(
    api: Client, editor: Client, user: object, ready_video: Video, limit_of_3: None
) -> None:
    make_task(user)
    moderation = {"task_name": "content-moderation", "category": "nsfw"}
    assert post(api, "/streaming/ai/tasks", {**moderation, "url": URL}).status_code == 200
    response = editor.post("/tasks/new", {**moderation, "video": ready_video.pk})
    assert response.status_code == 302
    task = Task.objects.get(video=ready_video)
    assert (task.task_name, task.category, task.client_entity_data) == (
        "content-moderation",
        "nsfw",
        str(ready_video.pk),
    )
    assert post(api, "/streaming/ai/tasks", {**moderation, "url": URL}).json() == FULL
    response = editor.post("/tasks/new", {**moderation, "video": ready_video.pk})
    assert response.status_code == 400 and "Queue limit reached (3)" in response.content.decode()
    assert Task.objects.filter(task_name="content-moderation").count() == 2


@pytest.mark.django_db
def test_auto_transcription_of_an_upload_past_the_limit_stores_the_video_and_says_why(
    editor: Client, user: object, media_dir: object, limit_of_3: None
) -> None:
    Task.objects.bulk_create(Task(owner=user, url=URL) for _ in range(2))
    upload = SimpleUploadedFile("talk.mp4", (media_dir / "english.mp4").read_bytes(), content_type="video/mp4")
    response = editor.post(
        "/videos",
        {"file": upload, "auto_transcribe_audio_language": "auto", "auto_translate_subtitles_language": ["eng"]},
        follow=True,
    )
    video = Video.objects.get(owner=user)
    assert video.status == VideoStatus.READY and video.has_file
    assert video.error == "auto-transcription not started: Queue limit reached (3), try later"
    assert "auto-transcription not started" in response.content.decode()
    assert Task.objects.count() == 2


@pytest.mark.django_db
def test_a_dashboard_copy_past_the_limit_is_refused(editor: Client, user: object, limit_of_3: None) -> None:
    Task.objects.bulk_create(Task(owner=user, url=URL) for _ in range(3))
    response = editor.post("/videos", {"origin_url": URL})
    assert response.status_code == 400 and "Queue limit reached (3), try later." in response.content.decode()
    assert not Video.objects.exists()


# --- under concurrency, through the real service ----------------------------------------------


def twelve_creates_at_once(service: Service) -> list[int]:
    service.env["AITASKS_QUEUE_LIMIT"] = "3"
    service.env["WEB_THREADS"] = "6"
    with set_up(service) as client:
        start, statuses = threading.Barrier(12), []

        def create(index: int) -> None:
            with httpx.Client(base_url=service.url, headers=client.headers, timeout=30) as own:
                start.wait()
                body = {"task_name": "transcription", "url": URL, "client_entity_data": str(index)}
                statuses.append(own.post("/streaming/ai/tasks", json=body).status_code)

        threads = [threading.Thread(target=create, args=(index,)) for index in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert client.get("/streaming/ai/tasks").json()["count"] == 3
    return sorted(statuses)


def test_twelve_concurrent_creates_against_a_limit_of_3_make_3_on_postgres(
    tmp_path: object, postgres_database: str, stop_after: list[Service]
) -> None:
    service = Service(tmp_path, database_url=postgres_database)  # type: ignore[arg-type]
    stop_after.append(service)
    assert twelve_creates_at_once(service) == [200] * 3 + [400] * 9


@pytest.mark.slow  # the same on SQLite (BEGIN IMMEDIATE), kept out of the default run
def test_twelve_concurrent_creates_against_a_limit_of_3_make_3_on_sqlite(
    sqlite_service: Service,
) -> None:
    assert twelve_creates_at_once(sqlite_service) == [200] * 3 + [400] * 9
