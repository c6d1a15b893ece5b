"""Stage 3 on real audio the project makes: speech is found whatever its level, silence stays silence."""

from __future__ import annotations

import numpy as np
import pytest

from aitasks.pipeline import speech

from . import media

RATE = 16_000


@pytest.fixture(scope="module")
def sentence() -> np.ndarray:
    spoken = media.speak("The river rose slowly through the night, and by morning the bridge was gone.")
    return np.concatenate([media.silence(1.0), spoken, media.silence(1.0)])


def spoken_seconds(samples: np.ndarray) -> float:
    return sum(region.seconds for region in speech.find_speech(samples))


@pytest.mark.parametrize("level_db", [0, -40, -60])
def test_speech_recorded_quietly_is_found_as_at_a_normal_level(sentence: np.ndarray, level_db: int) -> None:
    normal = spoken_seconds(sentence)
    assert normal > 3.0
    quiet = sentence * np.float32(10 ** (level_db / 20))
    assert spoken_seconds(quiet) == pytest.approx(normal, abs=0.5)


def test_the_level_of_a_normal_recording_is_left_as_it_is(sentence: np.ndarray) -> None:
    assert speech.level_for_vad(sentence) is sentence
    quiet = sentence * np.float32(0.03)
    raised = speech.level_for_vad(quiet)
    assert speech.loudness_db(raised) == pytest.approx(speech.TYPICAL_DB, abs=1.0)


def test_near_silence_is_not_raised_into_speech() -> None:
    hiss = (1e-4 * np.random.default_rng(3).standard_normal(8 * RATE)).astype(np.float32)
    assert speech.find_speech(hiss) == []
    assert speech.find_speech(media.silence(5.0)) == []
    assert speech.find_speech(media.applause(8.0) * np.float32(0.03)) == []


def telephone(samples: np.ndarray) -> np.ndarray:
    """`samples` through a telephone line's band, 300-3400 Hz."""
    spectrum = np.fft.rfft(samples)
    frequencies = np.fft.rfftfreq(len(samples), 1 / RATE)
    spectrum[(frequencies < 300) | (frequencies > 3400)] = 0
    return np.fft.irfft(spectrum, len(samples)).astype(np.float32)


def test_telephone_band_speech_is_searched_with_the_narrow_band_threshold(sentence: np.ndarray) -> None:
    assert not speech.is_narrow_band(sentence)
    assert speech.is_narrow_band(telephone(sentence))
    assert not speech.is_narrow_band(media.silence(3.0))
    assert spoken_seconds(telephone(sentence)) == pytest.approx(spoken_seconds(sentence), abs=0.5)
