"""Stage 5: speech to words, with word timestamps, window by window."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engines.base import SpeechEngine
from ..languages import UNSPACED_LANGUAGES
from .audio import SAMPLE_RATE
from .speech import Span

# Of each pause between speech regions in a window, the model hears this much.
KEEP_PAUSE_S = 0.5


@dataclass(frozen=True)
class TimedWord:
    start_ms: int
    end_ms: int
    text: str
    language: str  # ISO-639-2/B of the text as written (the target language when translated)


def heard_audio(samples: np.ndarray, windows: list[Span], regions: list[Span] | None) -> list[np.ndarray]:
    """Each window's audio as `transcribe` gives it to the engine (language ID hears the same,
    so that the engine can reuse its encoding)."""
    timeline = Timeline.of(windows, regions)
    return [
        np.concatenate([samples[start : start + length] for _joined, start, length in timeline.pieces[first:after]])
        for first, after in timeline.windows
    ]


def transcribe(
    engine: SpeechEngine,
    samples: np.ndarray,
    windows: list[Span],
    language: str,
    text_language: str,
    task: str = "transcribe",
    on_progress: Callable[[float], None] | None = None,
    regions: list[Span] | None = None,
    prompt: str = "",
    temperature: float = 0.0,
) -> list[TimedWord]:
    """All words spoken in `windows` in `language` (ISO-639-2/B; the text is in `text_language`);
    `on_progress` gets the fraction of speech time done.

    With the speech `regions` inside the windows, the model hears each window's speech without
    the pauses between regions (as faster-whisper's own VAD mode does): a window of several
    utterances with pauses between them made Whisper stop after the first one. Word times are
    mapped back to the file.
    """
    if not windows:
        return []
    timeline = Timeline.of(windows, regions)
    joined = timeline.audio(samples)
    clips = timeline.clips()
    total_ms = max(1.0, clips[-1][1] * 1000)
    words: list[TimedWord] = []
    spaced = text_language not in UNSPACED_LANGUAGES
    for segment in engine.transcribe(joined, clips, language, task, prompt=prompt, temperature=temperature):
        for index, word in enumerate(segment.words):
            text = word.text
            if index == 0 and spaced and not text[:1].isspace():
                text = " " + text  # a segment starts a new word, even where the model left out the space
            start_ms = timeline.original_ms(word.start_ms)
            end_ms = max(start_ms, timeline.original_ms(word.end_ms, end=True))
            words.append(TimedWord(start_ms, end_ms, text, text_language))
        if on_progress:
            on_progress(min(1.0, segment.end_ms / total_ms))
    words.sort(key=lambda word: word.start_ms)
    return words


@dataclass(frozen=True)
class Timeline:
    """Speech pieces of the file laid end to end: (joined start, original start, length) in
    samples, and the windows as ranges of pieces."""

    pieces: list[tuple[int, int, int]]
    windows: list[tuple[int, int]]  # first piece, piece after the last
    starts: list[int]  # each piece's joined start, for bisection

    @classmethod
    def of(cls, windows: list[Span], regions: list[Span] | None) -> Timeline:
        pieces: list[tuple[int, int, int]] = []
        ranges: list[tuple[int, int]] = []
        position = 0
        for window in windows:
            inside = [r for r in regions or () if r.start >= window.start and r.end <= window.end] or [window]
            first = len(pieces)
            for index, region in enumerate(inside):
                # Up to KEEP_PAUSE_S of the pause after a region stays: a sentence end still sounds
                # like one ("dog. Subtitles" ran together into "dog, Some titles" without it).
                end = region.end
                if index + 1 < len(inside):
                    end = min(inside[index + 1].start, region.end + int(KEEP_PAUSE_S * SAMPLE_RATE))
                pieces.append((position, region.start, end - region.start))
                position += end - region.start
            ranges.append((first, len(pieces)))
        return cls(pieces, ranges, [joined for joined, _start, _length in pieces])

    def audio(self, samples: np.ndarray) -> np.ndarray:
        return np.concatenate([samples[start : start + length] for _joined, start, length in self.pieces])

    def clips(self) -> list[tuple[float, float]]:
        """Each window's start and end in the joined audio, in seconds."""
        clips = []
        for first, after in self.windows:
            start = self.pieces[first][0]
            end = self.pieces[after - 1][0] + self.pieces[after - 1][2]
            clips.append((start / SAMPLE_RATE, end / SAMPLE_RATE))
        return clips

    def original_ms(self, joined_ms: int, end: bool = False) -> int:
        """A time in the joined audio as a time in the file (an end stays in its piece)."""
        position = joined_ms * SAMPLE_RATE // 1000
        index = max(0, bisect.bisect_right(self.starts, position - (1 if end else 0)) - 1)
        joined, start, length = self.pieces[index]
        return (start + min(max(0, position - joined), length)) * 1000 // SAMPLE_RATE
