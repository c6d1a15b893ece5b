"""The faster-whisper engine itself, with the packaged model."""

from __future__ import annotations

import numpy as np
import pytest

from aitasks.engines import get_engine
from aitasks.engines.whisper import resolve_device
from tests import media
from tests.conftest import ENGLISH_TEXT, SPANISH_TEXT


def test_auto_picks_the_cpu_with_int8_on_a_machine_without_a_gpu() -> None:
    assert resolve_device("auto", "auto") == ("cpu", "int8")


def test_auto_picks_float16_on_cuda_and_leaves_explicit_choices_alone() -> None:
    assert resolve_device("cuda", "auto") == ("cuda", "float16")
    assert resolve_device("cpu", "float32") == ("cpu", "float32")


@pytest.fixture(scope="module")
def engine() -> object:
    return get_engine()


def test_the_engine_is_built_once_per_process(engine: object) -> None:
    assert get_engine() is engine
    assert engine.device == "cpu" and engine.compute_type == "int8"


def test_language_id_runs_on_a_batch_of_clips(engine: object) -> None:
    english, spanish = media.speak(ENGLISH_TEXT), media.speak(SPANISH_TEXT, voice="es", speed=140)
    first, second = engine.detect_languages([english, spanish])
    assert max(first, key=first.get) == "en" and first["en"] > 0.8
    assert max(second, key=second.get) == "es" and second["es"] > 0.8


def test_words_carry_times_within_their_clip(engine: object) -> None:
    speech = np.concatenate([media.silence(2.0), media.speak(ENGLISH_TEXT)])
    segments = list(engine.transcribe(speech, [(1.5, len(speech) / media.RATE)], "en", "transcribe"))
    words = [word for segment in segments for word in segment.words]
    assert words and words[0].start_ms >= 1500
    assert all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:], strict=False))
    assert "fox" in " ".join(word.text for word in words).lower()
