"""The real model on media the tests make: code-switching, translation, no speech."""

from __future__ import annotations

import pytest

from aitasks import plugins
from aitasks.engines import translation
from aitasks.models import Status
from aitasks.worker import process_task
from tests.conftest import ENGLISH_KEY_WORDS, make_task
from tests.heard import assert_heard

pytestmark = pytest.mark.django_db


def run(user: object, url: str, **fields: object) -> dict:
    task = make_task(user, url=url, status=Status.PENDING, **fields)
    process_task(str(task.pk))
    task.refresh_from_db()
    assert task.status == Status.SUCCESS, task.error
    return task.to_dict()["result"]


def test_each_language_of_a_code_switching_video_is_transcribed_in_its_own(user: object, media_server: object) -> None:
    result = run(user, media_server.url("code-switching.mp4"))
    assert result["languages"] == ["eng", "ger"]
    by_language = {
        code: " ".join(cue["text"] for cue in result["subtitles"] if cue["language"] == code) for code in ("eng", "ger")
    }
    assert_heard(by_language["eng"], "good morning today talk weather berlin trains thank see next week")
    assert_heard(by_language["ger"], "guten morgen heute sprechen wir über das wetter berlin züge bahn")
    # English, then German, then English again, in time order.
    runs = [cue["language"] for cue in result["subtitles"]]
    assert runs[0] == "eng" and runs[-1] == "eng" and "ger" in runs
    assert [entry["language"] for entry in result["language_detection"]] == ["eng", "ger"]


def test_an_explicit_audio_language_skips_detection(user: object, media_server: object) -> None:
    result = run(user, media_server.url("code-switching.mp4"), audio_language="eng")
    assert result["languages"] == ["eng"]
    assert {cue["language"] for cue in result["subtitles"]} == {"eng"}


def test_spanish_speech_is_translated_to_english_by_whisper(user: object, media_server: object) -> None:
    result = run(user, media_server.url("spanish.mp4"), audio_language="spa", subtitles_language="eng")
    assert result["languages"] == ["spa", "eng"]
    # Whisper's own translation: the gist in English ("tiempo" is "weather" or "time" by machine).
    assert_heard(result["concatenated_text"], "good morning everyone today we talk madrid trains")
    assert {cue["language"] for cue in result["subtitles"]} == {"eng"}


def test_spanish_is_recognised_without_being_told(user: object, media_server: object) -> None:
    result = run(user, media_server.url("spanish.mp4"))
    assert result["languages"] == ["spa"]
    assert_heard(result["concatenated_text"], "buenos días todos hoy hablamos del tiempo madrid trenes")


def test_speech_after_a_long_musical_intro_is_found_and_identified(user: object, media_server: object) -> None:
    result = run(user, media_server.url("late-speech.mp4"))
    assert result["speech_detected"] is True
    assert result["languages"] == ["eng"]  # the music in the first 30 s does not decide it
    assert_heard(result["concatenated_text"], ENGLISH_KEY_WORDS)
    assert result["subtitles"][0]["start_time"] >= "00:00:40.000"  # no cue over the music


@pytest.mark.parametrize("name", ["noise.mp4", "melody.mp4", "silence.mp4"])
def test_noise_music_and_silence_produce_no_cues(user: object, media_server: object, name: str) -> None:
    result = run(user, media_server.url(name))
    assert result["speech_detected"] is False
    assert result["subtitles"] == [] and result["concatenated_text"] == ""


def test_an_installed_text_model_translates_whispers_english(user: object, media_server: object, settings) -> None:
    settings.AITASKS_TRANSLATION_BACKEND = "tests.fakes.FakeTranslator"
    settings.AITASKS_TRANSLATION_MODELS = "eng>fre=/srv/models/opus-mt-en-fr"
    plugins.forget()
    try:
        result = run(user, media_server.url("spanish.mp4"), audio_language="spa", subtitles_language="fre")
        calls = translation.installed()[("eng", "fre")].calls
    finally:
        plugins.forget()
    assert result["languages"] == ["spa", "fre"]
    assert result["concatenated_text"].startswith("[fre] Good morning")  # Whisper's English, then the model
    assert {cue["language"] for cue in result["subtitles"]} == {"fre"}
    assert calls and "good morning" in " ".join(calls[0]).lower()
