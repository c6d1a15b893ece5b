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
    """Answers each clip with a word in its first and in its last half second, and records what
    it was given."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[tuple[float, float]]]] = []

    def transcribe(
        self, samples: np.ndarray, clips: list[tuple[float, float]], language: str, task: str, **hints: object
    ) -> object:
        self.calls.append((len(samples), clips))
        for start, end in clips:
            first = Word(int(start * 1000), int(start * 1000) + 500, " first")
            last = Word(int(end * 1000) - 500, int(end * 1000), " last")
            yield Segment(first.start_ms, last.end_ms, first.text + last.text, (first, last))


def test_words_of_the_joined_audio_land_at_their_time_in_the_file() -> None:
    engine = RecordingEngine()
    windows = [span(1.0, 9.0), span(20.0, 22.0)]
    regions = [span(1.0, 3.0), span(7.0, 9.0), span(20.0, 22.0)]
    words = transcribe(engine, np.zeros(30 * RATE, np.float32), windows, "eng", "eng", regions=regions)
    assert engine.calls == [(int(6.5 * RATE), [(0.0, 4.5), (4.5, 6.5)])]
    assert [(word.start_ms, word.end_ms) for word in words] == [
        (1000, 1500),
        (8500, 9000),
        (20000, 20500),
        (21500, 22000),
    ]


def test_a_word_lands_in_the_region_that_holds_most_of_it_never_over_the_pause_between() -> None:
    # Two windows 7 s apart, heard back to back: the second window's first word, timed by the
    # model 12 ms before its window (20 ms steps), belongs to the second region, not to the end
    # of the first one with the whole pause under it.
    timeline = Timeline.of([span(4.0, 14.0), span(21.0, 24.0)], [span(4.0, 14.0), span(21.0, 24.0)])
    assert timeline.original_span(9988, 10250) == (21000, 21250)
    # Within a window: a word from the heard part of the pause (0.5 s of it) into the next region.
    timeline = Timeline.of([span(1.0, 9.0)], [span(1.0, 3.0), span(7.0, 9.0)])
    assert timeline.original_span(2200, 2900) == (7000, 7700)
    # A word mostly in the first region keeps its place and ends where that region's speech ends.
    assert timeline.original_span(1500, 2600) == (2500, 3000)
    # Within one region the times map as they are.
    assert timeline.original_span(3000, 3400) == (7500, 7900)


def test_a_word_that_opens_a_sentence_and_reaches_into_the_pause_is_spoken_after_it() -> None:
    # "...feathers. The hospital": the model stretched "The" back before the 2 s pause (heard as
    # 0.5 s) after "feathers."; it is the first word after the pause.
    timeline = Timeline.of([span(40.0, 50.0)], [span(40.0, 44.5), span(46.5, 50.0)])
    assert timeline.original_span(3700, 4700, after_a_stop=True) == (46500, 46700)
    # The same times, mid-sentence: the word keeps its place before the pause.
    assert timeline.original_span(3700, 4700) == (43700, 44500)


def test_a_window_is_heard_with_the_audio_around_it() -> None:
    from aitasks.pipeline.speech import with_context

    regions = [span(5.0, 8.0), span(9.0, 12.0), span(13.5, 20.0)]
    windows = [span(5.0, 12.0), span(13.5, 20.0)]
    widened = with_context(windows, regions, total=21 * RATE, context_s=1.0)
    # 1 s before the first; only half the 1.5 s to the next speech between them; the file ends 1 s on.
    assert widened == [span(4.0, 12.75), span(12.75, 21.0)]
    assert with_context([span(0.3, 4.0)], [span(0.3, 4.0)], int(4.2 * RATE), context_s=1.0) == [span(0.0, 4.2)]
    # Never past 30 s in all.
    long_window = with_context([span(10.0, 39.5)], [span(10.0, 39.5)], total=60 * RATE, context_s=1.0)[0]
    assert long_window.seconds <= 30.0 and long_window.start < span(10.0, 10.0).start
    # The model hears the context: the first region from the window's start, the last to its end.
    timeline = Timeline.of(widened, regions)
    assert timeline.clips()[0] == (0.0, 8.75 - 0.5)  # 1 + 3 + 0.5 (pause heard) + 3 + 0.75
    assert timeline.original_span(0, 500) == (4000, 4500)
