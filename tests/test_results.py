"""What a task stores as JSON: typed results, options and detections, written and read by one class."""

from __future__ import annotations

import json

import pytest

from aitasks.cues import Cue
from aitasks.models import Status, Task, TaskName
from aitasks.results import (
    Detection,
    ModerationFrame,
    ModerationResult,
    TaskJSON,
    TaskOptions,
    TranscriptionResult,
    WordTiming,
)
from tests.conftest import make_task

TRANSCRIPTION = TranscriptionResult(
    cues=(Cue(0, 1500, ("Hello there.",), "eng"), Cue(2000, 4000, ("Guten Tag.",), "ger", speaker="Speaker 2")),
    languages=("eng", "ger"),
    speech_detected=True,
    duration_ms=4200,
    quality={"cues": 2, "within_rules": 2},
    language_detection=({"language": "eng", "speech_seconds": 1.5, "confidence": 0.97},),
    words=(WordTiming(0, 500, " Hello"), WordTiming(600, 1500, " there.", speaker="Speaker 1")),
)

MODERATION = ModerationResult(
    category="nsfw",
    detected=True,
    detection_results=("nsfw",),
    frames=(ModerationFrame(25, 1000, "nsfw", 0.91),),
    frames_scored=12,
    interval_s=1.0,
)


def test_a_transcription_result_round_trips_through_plain_json() -> None:
    stored = json.loads(json.dumps(TaskJSON.dump_result(TRANSCRIPTION)))
    assert TaskJSON.load_transcription(stored) == TRANSCRIPTION


def test_words_and_cues_are_stored_with_named_fields() -> None:
    stored = TaskJSON.dump_result(TRANSCRIPTION)
    assert stored["words"][1] == {"start": 600, "end": 1500, "text": " there.", "speaker": "Speaker 1"}
    assert stored["cues"][1] == {
        "start": 2000,
        "end": 4000,
        "lines": ["Guten Tag."],
        "language": "ger",
        "speaker": "Speaker 2",
    }
    assert "speaker" not in stored["cues"][0] and "revisions" not in stored  # nothing stored that is not there


def test_word_timings_stored_as_lists_before_they_had_names_are_still_read() -> None:
    result = TaskJSON.load_transcription({"cues": [], "words": [[0, 500, " Hello"], [600, 900, " you"]]})
    assert result.words == (WordTiming(0, 500, " Hello"), WordTiming(600, 900, " you"))


def test_a_result_missing_fields_reads_with_their_empty_values() -> None:
    result = TaskJSON.load_transcription({})
    assert (result.cues, result.languages, result.speech_detected, result.duration_ms) == ((), (), False, 0)


def test_a_revision_is_shown_and_the_ais_original_kept() -> None:
    edited = (Cue(0, 1500, ("Hello, Anna.",), "eng"),)
    revised = TRANSCRIPTION.revised(edited, created_at="2026-12-04T10:00:00Z", author="alice")
    assert revised.subtitles == edited and revised.cues == TRANSCRIPTION.cues
    back = TaskJSON.load_transcription(json.loads(json.dumps(TaskJSON.dump_result(revised))))
    assert back == revised and back.revisions[0].author == "alice"
    assert revised.search_text() == "Hello, Anna."


def test_the_table_reads_a_result_without_its_text() -> None:
    summary = TaskJSON.load_transcription(TaskJSON.dump_result(TRANSCRIPTION), with_text=False)
    assert summary.languages == ("eng", "ger") and summary.language_detection == TRANSCRIPTION.language_detection
    assert summary.cues == () and summary.words == ()


def test_a_moderation_result_round_trips_and_answers_in_gcores_shape() -> None:
    stored = json.loads(json.dumps(TaskJSON.dump_result(MODERATION)))
    assert TaskJSON.load_moderation(stored) == MODERATION
    assert MODERATION.to_api() == {
        "nsfw_detected": True,
        "detection_results": ["nsfw"],
        "frames": [{"confidence": 0.91, "frame_number": 25, "label": "nsfw"}],
    }


def test_options_store_only_what_differs_from_the_defaults() -> None:
    assert TaskJSON.dump_options(TaskOptions()) == {}
    options = TaskOptions(api="openai", words=True, prompt="Anna, Berlin", temperature=0.2)
    stored = TaskJSON.dump_options(options)
    assert stored == {
        "api": "openai",
        "task": "transcribe",
        "words": True,
        "prompt": "Anna, Berlin",
        "temperature": 0.2,
    }
    assert TaskJSON.load_options(stored) == options
    assert TaskJSON.load_options({"api": "asr", "detect_only": True}).detect_only


def test_detections_round_trip_rounded_to_four_places() -> None:
    stored = TaskJSON.dump_detections([Detection("nsfw", 0.912345678)])
    assert stored == [{"label": "nsfw", "confidence": 0.9123}]
    assert TaskJSON.load_detections(stored) == [Detection("nsfw", 0.9123)]


@pytest.mark.django_db
def test_a_task_gives_its_result_only_once_it_succeeded(user: object) -> None:
    running = make_task(user, status=Status.STARTED, result=TaskJSON.dump_result(TRANSCRIPTION))
    assert running.transcription() is None and running.cues() == []
    done = make_task(user, status=Status.SUCCESS, result=TaskJSON.dump_result(TRANSCRIPTION))
    assert done.transcription() == TRANSCRIPTION and done.moderation() is None
    assert [cue.text for cue in done.cues()] == ["Hello there.", "Guten Tag."]
    scan = make_task(
        user, task_name=TaskName.CONTENT_MODERATION, status=Status.SUCCESS, result=TaskJSON.dump_result(MODERATION)
    )
    assert scan.moderation() == MODERATION and scan.transcription() is None
    assert scan.to_dict()["result"] == MODERATION.to_api()


@pytest.mark.django_db
def test_succeeding_stores_the_typed_result_and_its_search_text(user: object) -> None:
    task = make_task(user, status=Status.STARTED, worker="w1")
    assert task.succeed(TRANSCRIPTION)
    stored = Task.objects.get(pk=task.pk)
    assert stored.result == TaskJSON.dump_result(TRANSCRIPTION)
    assert stored.text == "Hello there. Guten Tag."
    assert Task.objects.search("guten").get() == stored
