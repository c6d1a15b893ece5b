"""The faster-whisper engine itself, with the packaged model."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from django.conf import settings

from aitasks.engines import get_engine
from aitasks.engines.kept_encodings import KeptEncodings
from aitasks.engines.safeguards import has_loop
from aitasks.engines.whisper import resolve_device
from aitasks.pipeline import speech
from tests import media
from tests.conftest import ENGLISH_TEXT, SPANISH_TEXT


def test_auto_picks_a_gpu_with_float16_where_there_is_one_else_the_cpu_with_int8() -> None:
    import ctranslate2

    has_gpu = ctranslate2.get_cuda_device_count() > 0
    assert resolve_device("auto", "auto") == (("cuda", "float16") if has_gpu else ("cpu", "int8"))


def test_auto_picks_float16_on_cuda_and_leaves_explicit_choices_alone() -> None:
    assert resolve_device("cuda", "auto") == ("cuda", "float16")
    assert resolve_device("cpu", "float32") == ("cpu", "float32")


@pytest.fixture(scope="module")
def engine() -> object:
    return get_engine()


def test_the_engine_is_built_once_per_process_on_the_device_the_settings_choose(engine: object) -> None:
    assert get_engine() is engine
    chosen = resolve_device(settings.AITASKS_WHISPER_DEVICE, settings.AITASKS_WHISPER_COMPUTE_TYPE)
    assert (engine.device, engine.compute_type) == chosen


def test_language_id_encodings_serve_the_transcription_of_the_same_clips(engine: object) -> None:
    kept = engine._whisper.model
    if not isinstance(kept, KeptEncodings):
        pytest.skip("encodings are kept on the CPU only (a GPU encodes again, cheaply)")
    speech = np.concatenate([media.silence(1.0), media.speak(ENGLISH_TEXT), media.silence(1.0)])
    clips = [(0.6, len(speech) / media.RATE - 0.6)]
    reused = kept.reused
    [scores] = engine.detect_languages(speech, clips)
    assert max(scores, key=scores.get) == "eng"
    segments = list(engine.transcribe(speech, clips, "eng", "transcribe"))
    assert kept.reused == reused + 1  # the window was encoded once, for both
    assert "fox" in " ".join(segment.text for segment in segments).lower()


def test_language_id_runs_on_a_batch_of_clips_and_answers_in_our_codes(engine: object) -> None:
    english, spanish = media.speak(ENGLISH_TEXT), media.speak(SPANISH_TEXT, voice="es", speed=140)
    seconds = len(english) / media.RATE
    clips = [(0.0, seconds), (seconds, seconds + len(spanish) / media.RATE)]
    first, second = engine.detect_languages(np.concatenate([english, spanish]), clips)
    assert max(first, key=first.get) == "eng" and first["eng"] > 0.8
    assert max(second, key=second.get) == "spa" and second["spa"] > 0.8


def test_words_carry_times_within_their_clip(engine: object) -> None:
    speech = np.concatenate([media.silence(2.0), media.speak(ENGLISH_TEXT)])
    segments = list(engine.transcribe(speech, [(1.5, len(speech) / media.RATE)], "eng", "transcribe"))
    words = [word for segment in segments for word in segment.words]
    assert words and words[0].start_ms >= 1500
    assert all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:], strict=False))
    assert "fox" in " ".join(word.text for word in words).lower()


@pytest.mark.slow
def test_a_window_whose_batched_output_loops_is_decoded_again_without_a_loop(
    engine: object, caplog: pytest.LogCaptureFixture
) -> None:
    # Six slow "uh"s, a second apart: the batched decoder writes a run of "Uh..." (a loop by
    # Whisper's signals); Whisper's sequential decoder with its fallback decodes the window again.
    clip = np.concatenate([part for _ in range(6) for part in (media.speak("uh", speed=80), media.silence(0.9))])
    with caplog.at_level(logging.INFO, logger="aitasks.engines.safeguards"):
        segments = list(engine.transcribe(clip, [(0.0, len(clip) / media.RATE)], "eng", "transcribe"))
    assert any("decoded again" in record.getMessage() for record in caplog.records)
    words = [word.text for segment in segments for word in segment.words]
    assert not has_loop(words), words
    assert all(0 <= word.start_ms <= word.end_ms <= len(clip) * 1000 / media.RATE for s in segments for word in s.words)


@pytest.mark.parametrize("sound", ["laughter", "applause"])
def test_laughter_and_applause_give_no_words(engine: object, sound: str) -> None:
    clip = media.laughter(12, seed=3) if sound == "laughter" else media.applause(8, seed=3)
    regions = speech.find_speech(clip)
    windows = [(window.start_s, window.end_s) for window in speech.group_into_windows(regions)]
    assert [segment.text for segment in engine.transcribe(clip, windows, "eng", "transcribe")] == []


@pytest.mark.slow
def test_applause_given_to_the_model_whole_gives_no_words(engine: object) -> None:
    # Past the speech detector: the model itself hears 8 s of claps (once "I'm not sure if I'll be
    # able to do that." from the batched decoder); its improbable text is decoded again and dropped.
    clip = media.applause(8, seed=3)
    assert [segment.text for segment in engine.transcribe(clip, [(0.0, 8.0)], "eng", "transcribe")] == []
