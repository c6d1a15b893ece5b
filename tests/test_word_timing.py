"""Words where they are spoken, on real speech the project makes: cues never sit over a pause
before their first word, and they break between phrases."""

from __future__ import annotations

import numpy as np
import pytest

from aitasks.engines import get_engine
from aitasks.pipeline import speech, subtitles, transcribe

from . import media

RATE = 16_000


def words_and_cues(samples: np.ndarray, language: str = "eng") -> tuple[list, list]:
    regions = speech.find_speech(samples)
    windows = speech.group_into_windows(regions)
    words = transcribe.transcribe(get_engine(), samples, windows, language, language, regions=regions)
    return words, subtitles.build_cues(words)


def onset_s(samples: np.ndarray, after_s: float) -> float:
    """Where sound starts again after `after_s` (10 ms frames above -40 dB of the peak)."""
    frame = RATE // 100
    level = np.sqrt(np.mean(samples[: len(samples) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud = np.flatnonzero(level > level.max() * 0.01)
    return float(loud[loud >= int(after_s * 100)][0]) / 100


@pytest.mark.parametrize("pause_s", [4.0, 7.0])
def test_the_first_word_after_a_long_pause_is_shown_when_it_is_spoken_not_before_the_pause(pause_s: float) -> None:
    first = media.speak("The river rose slowly through the night.")
    second = media.speak("Then we walked home along the water.")
    samples = np.concatenate([media.silence(0.5), first, media.silence(pause_s), second, media.silence(0.5)])
    resumes = onset_s(samples, 0.5 + len(first) / RATE + 0.2)
    words, cues = words_and_cues(samples)
    assert any("walked" in word.text.lower() for word in words)
    lead_in = subtitles.CueRules().lead_in_ms / 1000
    for cue in cues:
        start, end = cue.start_ms / 1000, cue.end_ms / 1000
        # No cue is on screen over the pause beyond the lead-in the cue rules allow.
        assert not (start < resumes - lead_in - 0.05 and end > resumes), (cue, resumes)
    # The second sentence's first word (whatever the model hears it as) starts where it is spoken.
    opening = next(word for word in words if word.start_ms / 1000 > resumes - pause_s / 2)
    assert abs(opening.start_ms / 1000 - resumes) < 0.35, (opening, resumes)
