"""Gcore's official Python SDK (`pip install gcore`), unchanged, against a live server on 127.0.0.1."""

from __future__ import annotations

import gcore
import pytest
from gcore import Gcore

from aitasks.models import Status, Task
from aitasks.worker import process_task
from tests.conftest import ENGLISH_KEY_WORDS, make_task
from tests.heard import assert_heard

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(live_server: object, api_key: str) -> Gcore:
    # Strict mode validates every response against the SDK's pydantic models.
    return Gcore(api_key=api_key, base_url=live_server.url, max_retries=0, _strict_response_validation=True)


def test_the_sdk_creates_a_task_and_reads_the_transcript(client: Gcore, media_server: object) -> None:
    created = client.streaming.ai_tasks.create(
        task_name="transcription",
        url=media_server.url("english.mp4"),
        audio_language="eng",
        client_user_id="editor-7",
        client_entity_data="video-42",
    )
    pending = client.streaming.ai_tasks.get(created.task_id)
    assert pending.status == "PENDING"
    assert pending.result is None
    assert pending.task_data.client_user_id == "editor-7"

    process_task(created.task_id)  # what the django-q2 worker does with the queued task

    done = client.streaming.ai_tasks.get(created.task_id)
    assert done.status == "SUCCESS"
    assert done.progress == 100
    assert done.processing_time.total_time_sec > 0
    assert done.result.speech_detected is True
    assert done.result.languages == ["eng"]
    assert_heard(done.result.concatenated_text, ENGLISH_KEY_WORDS)
    assert done.result.vtt_content.startswith("WEBVTT")
    assert done.result.subtitles[0].start_time.startswith("00:00:0")


def test_the_sdk_lists_every_task_with_auto_pagination(client: Gcore, user: object) -> None:
    Task.objects.bulk_create(Task(owner=user, url=f"http://127.0.0.1/{index}.mp4") for index in range(23))
    seen = [task.task_id for task in client.streaming.ai_tasks.list(limit=10)]
    assert len(seen) == len(set(seen)) == 23
    first_page = client.streaming.ai_tasks.list(limit=5, page=1, status="RECEIVED", ordering="task_id")
    assert len(first_page.results) == 5
    assert [task.task_id for task in first_page.results] == sorted(task.task_id for task in first_page.results)


def test_the_sdk_cancels_an_unfinished_task(client: Gcore, user: object) -> None:
    task = make_task(user, url="http://127.0.0.1/a.mp4", status=Status.PENDING)
    answer = client.streaming.ai_tasks.cancel(str(task.pk))
    assert answer.result == "task revoked"
    assert client.streaming.ai_tasks.get(str(task.pk)).status == "REVOKED"
    with pytest.raises(gcore.BadRequestError):
        client.streaming.ai_tasks.cancel(str(task.pk))


def test_the_sdk_reads_the_ai_settings(client: Gcore) -> None:
    supported = client.streaming.ai_tasks.get_ai_settings(type="language_support", audio_language="ger")
    assert supported.supported is True
    pair = client.streaming.ai_tasks.get_ai_settings(
        type="language_support", audio_language="eng", subtitles_language="uzb"
    )
    assert pair.supported is False


def test_the_sdk_raises_its_own_errors(client: Gcore, live_server: object, other_user: object) -> None:
    foreign = make_task(other_user, url="http://127.0.0.1/a.mp4")
    with pytest.raises(gcore.NotFoundError):
        client.streaming.ai_tasks.get(str(foreign.pk))
    with pytest.raises(gcore.BadRequestError) as bad_request:
        client.streaming.ai_tasks.create(task_name="transcription", url="ftp://example.com/a.mp4")
    assert "http" in bad_request.value.body["error"]
    with pytest.raises(gcore.AuthenticationError):
        Gcore(api_key="wrong", base_url=live_server.url, max_retries=0).streaming.ai_tasks.list()


def test_the_sdk_sends_a_chinese_script_with_extra_body(client: Gcore, media_server: object) -> None:
    created = client.streaming.ai_tasks.create(
        task_name="transcription",
        url=media_server.url("english.mp4"),
        audio_language="chi",
        extra_body={"chinese_script": "traditional"},
    )
    assert Task.objects.get(pk=created.task_id).chinese_script == "traditional"
    shown = client.streaming.ai_tasks.get(created.task_id)  # strict: the echoed field is accepted
    assert shown.task_data.to_dict()["chinese_script"] == "traditional"
    with pytest.raises(gcore.BadRequestError) as refused:
        client.streaming.ai_tasks.create(
            task_name="transcription", url=media_server.url("english.mp4"), extra_body={"chinese_script": "klingon"}
        )
    assert refused.value.body["error"].startswith("chinese_script: must be one of")
