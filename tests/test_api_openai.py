"""The official `openai` package, unchanged, against a live server on 127.0.0.1: uploads go
through the queue and a worker like any task, and the request waits for the result."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from openai import OpenAI

from aitasks.models import Status, Task
from tests.conftest import ENGLISH_TEXT, make_task
from tests.heard import assert_heard

pytestmark = pytest.mark.django_db(transaction=True)

KEY_WORDS = "quick brown fox jumps lazy dog subtitles video"


@pytest.fixture
def client(live_server: object, api_key: str) -> OpenAI:
    return OpenAI(api_key=api_key, base_url=live_server.url + "/v1", max_retries=0, timeout=120)


def test_the_openai_package_gets_segments_and_words_in_verbose_json(
    client: OpenAI, media_dir: Path, queue_worker: None, user: object
) -> None:
    verbose = client.audio.transcriptions.create(
        file=(media_dir / "english.mp4").open("rb"),
        model="whisper-1",
        language="en",
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        temperature=0,
        prompt="A pangram.",
    )
    assert verbose.language == "english"
    assert_heard(verbose.text, KEY_WORDS)
    assert 5 < verbose.duration < 15
    assert verbose.segments and verbose.segments[0].start < verbose.segments[-1].end <= verbose.duration
    assert_heard(" ".join(segment.text for segment in verbose.segments), KEY_WORDS)
    words = verbose.words or []
    assert len(words) >= len(ENGLISH_TEXT.split()) * 0.6
    assert all(word.start <= word.end for word in words)
    assert [word.start for word in words] == sorted(word.start for word in words)
    assert verbose.model_extra["model"] == "whisper-base"  # which model ran
    # The request was an ordinary task of the account, finished, its upload deleted.
    task = Task.objects.get(owner=user)
    assert task.status == Status.SUCCESS and task.audio_language == "eng"
    assert not task.upload_path.exists()


@pytest.mark.slow
def test_the_openai_package_gets_every_other_response_format(
    client: OpenAI, media_dir: Path, queue_worker: None
) -> None:
    audio = media_dir / "english.mp4"
    plain = client.audio.transcriptions.create(file=audio.open("rb"), model="any-name", language="en")
    assert_heard(plain.text, KEY_WORDS)
    text = client.audio.transcriptions.create(file=audio.open("rb"), model="whisper-1", response_format="text")
    assert isinstance(text, str)
    assert_heard(text, KEY_WORDS)
    srt = client.audio.transcriptions.create(file=audio.open("rb"), model="whisper-1", response_format="srt")
    assert srt.startswith("1\n00:00:0") and " --> " in srt
    assert_heard(srt, KEY_WORDS)
    vtt = client.audio.transcriptions.create(file=audio.open("rb"), model="whisper-1", response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n1\n00:00:0")
    assert_heard(vtt, KEY_WORDS)


@pytest.mark.slow
def test_the_openai_package_translates_to_english(client: OpenAI, media_dir: Path, queue_worker: None) -> None:
    translation = client.audio.translations.create(
        file=(media_dir / "spanish.mp4").open("rb"), model="whisper-1", response_format="verbose_json"
    )
    assert translation.language == "spanish"
    assert translation.task == "translate"  # type: ignore[attr-defined]
    assert_heard(translation.text, "good morning today talk about")


def test_a_bad_file_gets_openais_error_shape(client: OpenAI, media_dir: Path, user: object) -> None:
    with pytest.raises(openai.BadRequestError) as bad_file:
        client.audio.transcriptions.create(file=(media_dir / "page.html").open("rb"), model="whisper-1")
    error = bad_file.value.body
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "file"
    assert "not a media file" in error["message"]
    assert not Task.objects.filter(owner=user).exists()  # nothing queued for a file that cannot run

    with pytest.raises(openai.BadRequestError) as bad_language:
        client.audio.transcriptions.create(file=(media_dir / "english.mp4").open("rb"), model="m", language="xx")
    assert bad_language.value.body["param"] == "language"
    with pytest.raises(openai.BadRequestError) as bad_granularity:
        client.audio.transcriptions.create(
            file=(media_dir / "english.mp4").open("rb"), model="m", timestamp_granularities=["word"]
        )
    assert "verbose_json" in bad_granularity.value.body["message"]


def test_the_openai_package_needs_a_valid_key(live_server: object, media_dir: Path) -> None:
    stranger = OpenAI(api_key="ait_wrong", base_url=live_server.url + "/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.models.list()
    assert refused.value.body["code"] == "invalid_api_key"


def test_the_openai_package_lists_the_models(client: OpenAI) -> None:
    assert {model.id for model in client.models.list()} == {"whisper-1", "whisper-base"}


def test_a_task_still_running_at_the_wait_limit_answers_504_and_goes_on(
    client: OpenAI, media_dir: Path, settings: object, user: object
) -> None:
    settings.AITASKS_SYNC_WAIT_BASE_S = 1  # type: ignore[attr-defined]
    settings.AITASKS_SYNC_WAIT_FACTOR = 0  # type: ignore[attr-defined]
    with pytest.raises(openai.InternalServerError) as timed_out:  # no worker runs in this test
        client.audio.transcriptions.create(file=(media_dir / "english.mp4").open("rb"), model="whisper-1")
    assert timed_out.value.status_code == 504
    task = Task.objects.get(owner=user)
    assert str(task.pk) in timed_out.value.body["message"]
    assert task.status == Status.PENDING and task.upload_path.is_file()


def test_the_queue_limit_holds_for_uploads(client: OpenAI, media_dir: Path, settings: object, user: object) -> None:
    settings.AITASKS_QUEUE_LIMIT = 1  # type: ignore[attr-defined]
    make_task(user, status=Status.PENDING)
    with pytest.raises(openai.RateLimitError) as limited:
        client.audio.transcriptions.create(file=(media_dir / "english.mp4").open("rb"), model="whisper-1")
    assert "Queue limit reached (1)" in limited.value.body["message"]
    assert Task.objects.filter(owner=user).count() == 1
