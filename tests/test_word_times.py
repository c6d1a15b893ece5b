"""Word starts checked against the audio's own sound (pipeline/word_times.py)."""

from __future__ import annotations

import numpy as np

from aitasks.pipeline import word_times
from aitasks.pipeline.transcribe import TimedWord

RATE = 16_000


def audio(*parts: tuple[float, float]) -> np.ndarray:
    """Seconds of (duration, level): level 0 is silence (a faint hiss), else a tone at it."""
    rng = np.random.default_rng(0)
    pieces = []
    for seconds, level in parts:
        count = int(seconds * RATE)
        hiss = 1e-4 * rng.standard_normal(count)
        tone = level * np.sin(2 * np.pi * 220 * np.arange(count) / RATE)
        pieces.append((hiss + tone).astype(np.float32))
    return np.concatenate(pieces)


def word(start_ms: int, end_ms: int, text: str = " word") -> TimedWord:
    return TimedWord(start_ms, end_ms, text, "eng")


def test_a_word_stretched_back_over_silence_starts_where_its_sound_begins() -> None:
    samples = audio((1.0, 0.3), (0.8, 0.0), (1.0, 0.3))  # sound, a 0.8 s pause, sound at 1.8 s
    settled = word_times.settle([word(0, 900), word(1100, 2300)], samples)
    assert abs(settled[1].start_ms - 1800) <= 20
    assert settled[1].end_ms == 2300


def test_a_start_in_sound_moves_by_the_models_measured_lead_never_past_the_next_word() -> None:
    samples = audio((3.0, 0.3))
    settled = word_times.settle([word(1000, 1400), word(1400, 1420), word(1430, 2000)], samples)
    assert settled[0].start_ms == 1000 + word_times.LATE_BIAS_MS
    assert settled[1].start_ms == 1400  # too short to move: it keeps MIN_WORD_MS
    assert settled[2].start_ms == 1430 + word_times.LATE_BIAS_MS


def test_a_quiet_speaker_beside_a_loud_one_is_still_heard_as_sound() -> None:
    samples = audio((6.0, 0.5), (6.0, 0.0), (0.3, 0.0), (3.0, 0.005))  # a speaker 40 dB quieter later
    settled = word_times.settle([word(12_000, 12_800), word(12_800, 13_500)], samples)
    assert abs(settled[0].start_ms - 12_300) <= 20  # not left in the silence, not pushed past the word


def test_a_word_over_silence_only_is_left_where_the_model_put_it() -> None:
    samples = audio((1.0, 0.3), (2.0, 0.0))
    assert word_times.settle([word(1500, 2500)], samples) == [word(1500, 2500)]
