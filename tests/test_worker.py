"""The worker's side: process_task runs the pipeline and moves the task through its states."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest
from django_q.models import OrmQ

from aitasks import engines
from aitasks.engines.whisper import FasterWhisperEngine
from aitasks.models import Status, Task
from aitasks.worker import process_task
from tests.conftest import ENGLISH_TEXT, make_task
from tests.heard import assert_heard

pytestmark = pytest.mark.django_db


def normalized_words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def run(user: object, url: str, **fields: object) -> Task:
    task = make_task(user, url=url, status=Status.PENDING, **fields)
    process_task(str(task.pk))
    task.refresh_from_db()
    return task


def test_it_transcribes_a_served_mp4_and_cleans_up(user: object, media_server: object) -> None:
    task = run(user, media_server.url("english.mp4"))
    assert task.status == Status.SUCCESS, task.error
    assert task.progress == 100
    assert task.started_at and task.completed_at and task.completed_at >= task.started_at
    result = task.to_dict()["result"]
    assert result["speech_detected"] is True
    assert result["languages"] == ["eng"]
    assert_heard(result["concatenated_text"], "quick brown fox jumps over lazy dog subtitles video")
    assert result["vttContent"].startswith("WEBVTT\n\n1\n")
    assert not task.workdir.exists()


def test_a_task_is_claimed_only_once(user: object, media_server: object) -> None:
    task = run(user, media_server.url("english.mp4"))
    assert process_task(str(task.pk)) == "skipped: not waiting to run"
    task.refresh_from_db()
    assert task.attempts == 1


class LoadCountingEngine(FasterWhisperEngine):
    """Counts its loads on itself: the instance the process keeps (engines.get_engine())."""

    def load(self) -> None:
        self.loads = getattr(self, "loads", 0) + 1
        super().load()


def test_the_engine_is_loaded_once_per_process(user: object, media_server: object, settings: object) -> None:
    settings.AITASKS_ENGINE = "tests.test_worker.LoadCountingEngine"
    assert run(user, media_server.url("english.mp4")).status == Status.SUCCESS
    assert run(user, media_server.url("english.mp4")).status == Status.SUCCESS
    assert engines.get_engine().loads == 1


def test_silence_gives_no_cues_and_no_speech(user: object, media_server: object) -> None:
    task = run(user, media_server.url("silence.mp4"))
    assert task.status == Status.SUCCESS
    result = task.to_dict()["result"]
    assert result["speech_detected"] is False
    assert result["subtitles"] == []
    assert result["vttContent"] == "WEBVTT\n\n"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.mp4", "cannot download url: HTTP 404"),
        ("status/403", "cannot download url: HTTP 403"),
        ("page.html", "file is not a media file"),
        ("empty.mp4", "file is empty"),
        ("video-only.mp4", "no audio track"),
        ("huge", "file larger than 2048 MB"),
        ("loop", "more than 5 redirects"),
    ],
)
def test_bad_input_fails_at_once_with_a_readable_reason(
    user: object, media_server: object, name: str, reason: str
) -> None:
    task = run(user, media_server.url(name))
    assert task.status == Status.FAILURE
    assert reason in task.error
    assert task.attempts == 1
    assert task.to_dict()["result"] == {"error": task.error}
    assert not task.workdir.exists()


def test_an_unsupported_translation_fails_naming_the_pair(user: object, media_server: object) -> None:
    task = run(user, media_server.url("english.mp4"), audio_language="eng", subtitles_language="uzb")
    assert task.status == Status.FAILURE
    assert task.error == "translation eng => uzb is not supported by this installation"


def test_a_transient_error_is_retried_then_fails(
    user: object, media_server: object, settings: object, django_capture_on_commit_callbacks
) -> None:
    settings.AITASKS_MAX_RETRIES = 2
    task = make_task(user, url=media_server.url("status/503"), status=Status.PENDING)
    for attempt in range(1, 4):
        with django_capture_on_commit_callbacks(execute=True):
            process_task(str(task.pk))
        task.refresh_from_db()
        assert task.attempts == attempt
        if attempt <= 2:
            assert task.status == Status.PENDING  # RETRY, then queued again
            assert OrmQ.objects.count() == attempt
    assert task.status == Status.FAILURE
    assert task.error == "cannot download url: HTTP 503"


class RevokingEngine(FasterWhisperEngine):
    """Cancels its own task while transcribing, as a user clicking Cancel would."""

    def transcribe(self, samples: np.ndarray, clips: list, language: str, task: str, **hints: object) -> Iterator:
        for running in Task.objects.filter(status=Status.STARTED):
            running.revoke()
        yield from super().transcribe(samples, clips, language, task)


def test_a_task_revoked_while_running_stops_and_keeps_nothing(
    user: object, media_server: object, settings: object
) -> None:
    settings.AITASKS_ENGINE = "tests.test_worker.RevokingEngine"
    task = run(user, media_server.url("english.mp4"))
    assert task.status == Status.REVOKED
    assert task.result is None
    assert not task.workdir.exists()


def test_a_revoked_task_is_not_started(user: object, media_server: object) -> None:
    task = make_task(user, url=media_server.url("english.mp4"), status=Status.REVOKED)
    assert process_task(str(task.pk)) == "skipped: not waiting to run"
    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.REVOKED, 0)


def test_progress_advances_with_the_stages(user: object, media_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, str]] = []  # the task's progress as each segment is decoded
    decode = FasterWhisperEngine.transcribe

    def recording(
        self: object, samples: np.ndarray, clips: list, language: str, task: str, **hints: object
    ) -> Iterator:
        for segment in decode(self, samples, clips, language, task, **hints):
            running = Task.objects.get(status=Status.STARTED)
            seen.append((running.progress, running.stage))
            yield segment

    monkeypatch.setattr(FasterWhisperEngine, "transcribe", recording)
    task = run(user, media_server.url("english.mp4"))
    assert task.status == Status.SUCCESS
    assert seen[0] == (40, "transcription")
    assert task.progress == 100


def test_the_real_model_transcribes_english_speech(user: object, media_server: object) -> None:
    """The real engine (faster-whisper, packaged Whisper base) on a real MP4 over real HTTP."""
    task = run(user, media_server.url("english.mp4"))
    assert task.status == Status.SUCCESS, task.error
    result = task.to_dict()["result"]
    assert result["languages"] == ["eng"]
    heard = set(normalized_words(result["concatenated_text"]))
    expected = normalized_words(ENGLISH_TEXT)
    recall = sum(word in heard for word in expected) / len(expected)
    assert recall >= 0.85, result["concatenated_text"]  # synthetic speech: a word or two may be misheard
    for word in ("quick", "fox", "lazy", "dog", "subtitles", "accessible", "everyone"):
        assert word in heard, result["concatenated_text"]
    assert result["vttContent"].startswith("WEBVTT\n\n1\n00:00:0")
    first = result["subtitles"][0]
    assert "00:00:00.500" <= first["start_time"] <= "00:00:01.500"  # speech starts after 0.8 s of silence


def test_a_clients_prompt_and_temperature_reach_the_decoder(
    user: object, media_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenAI's `prompt`/`temperature` (and /asr's `initial_prompt`), stored in the task's options,
    go to every decoder call; the real model still hears the speech."""
    seen: list[tuple[str, float]] = []
    decode = FasterWhisperEngine.transcribe

    def recording(
        self: object, samples: np.ndarray, clips: list, language: str, task: str, **hints: object
    ) -> Iterator:
        seen.append((hints["prompt"], hints["temperature"]))
        yield from decode(self, samples, clips, language, task, **hints)

    monkeypatch.setattr(FasterWhisperEngine, "transcribe", recording)
    options = {"prompt": "The quick brown fox, subtitles.", "temperature": 0.2}
    task = make_task(user, url=media_server.url("english.mp4"), status=Status.PENDING, options=options)
    process_task(str(task.pk))
    task.refresh_from_db()
    assert task.status == Status.SUCCESS, task.error
    assert seen == [("The quick brown fox, subtitles.", 0.2)]
    assert_heard(task.to_dict()["result"]["concatenated_text"], "quick brown fox jumps over lazy dog subtitles")


@pytest.mark.parametrize(
    "url",
    [
        "http://a..example.com/x.mp4",  # the resolver raises (an empty IDNA label)
        "http://127.0.0.1/a\x01b.mp4",  # httpx calls it invalid
    ],
)
def test_a_url_that_cannot_even_be_requested_fails_at_once_with_a_reason(user: object, url: str) -> None:
    task = run(user, url)
    assert (task.status, task.attempts) == (Status.FAILURE, 1)  # not retried as an internal error
    assert task.error == "cannot download url: invalid url"
