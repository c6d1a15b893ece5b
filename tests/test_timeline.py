"""The model hears speech with the pauses left out; word times come back on the file's clock."""

from __future__ import annotations

import numpy as np

from aitasks.engines.base import Segment, Word
from aitasks.pipeline.speech import Span
from aitasks.pipeline.transcribe import Timeline, transcribe

RATE = 16_000


def span(start_s: float, end_s: float) -> Span:
    return Span(int(start_s * RATE), int(end_s * RATE))


def test_pauses_inside_a_window_are_left_out_and_times_map_back() -> None:
    windows = [span(1.0, 9.0), span(20.0, 22.0)]
    regions = [span(1.0, 3.0), span(7.0, 9.0), span(20.0, 22.0)]
    timeline = Timeline.of(windows, regions)  # the 4 s pause is heard as 0.5 s
    assert timeline.clips() == [(0.0, 4.5), (4.5, 6.5)]
    assert timeline.audio(np.arange(30 * RATE, dtype=np.float32)).shape == (int(6.5 * RATE),)
    assert timeline.original_ms(500) == 1500
    assert timeline.original_ms(3000) == 7500  # in the second region: after the pause
    assert timeline.original_ms(2500, end=True) == 3500  # an end at the junction stays in its piece
    assert timeline.original_ms(2500) == 7000
    assert timeline.original_ms(5500) == 21000


def test_without_regions_each_window_is_heard_whole() -> None:
    timeline = Timeline.of([span(1.0, 9.0)], None)
    assert timeline.clips() == [(0.0, 8.0)]
    assert timeline.original_ms(6000) == 7000


class RecordingEngine:
    """Answers each clip with one word spanning it, and records what it was given."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[tuple[float, float]]]] = []

    def transcribe(
        self, samples: np.ndarray, clips: list[tuple[float, float]], language: str, task: str, **hints: object
    ) -> object:
        self.calls.append((len(samples), clips))
        for start, end in clips:
            word = Word(int(start * 1000), int(end * 1000), " word")
            yield Segment(word.start_ms, word.end_ms, word.text, (word,))


def test_words_of_the_joined_audio_land_at_their_time_in_the_file() -> None:
    engine = RecordingEngine()
    windows = [span(1.0, 9.0), span(20.0, 22.0)]
    regions = [span(1.0, 3.0), span(7.0, 9.0), span(20.0, 22.0)]
    words = transcribe(engine, np.zeros(30 * RATE, np.float32), windows, "eng", "eng", regions=regions)
    assert engine.calls == [(int(6.5 * RATE), [(0.0, 4.5), (4.5, 6.5)])]
    assert [(word.start_ms, word.end_ms) for word in words] == [(1000, 9000), (20000, 22000)]
