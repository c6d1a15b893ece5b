"""Stage 5: speech to words, with word timestamps, window by window."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..engines.base import SpeechEngine
from ..languages import UNSPACED_LANGUAGES
from .audio import SAMPLE_RATE
from .speech import Span

# Of each pause between speech regions in a window, the model hears this much.
KEEP_PAUSE_S = 0.5
# Punctuation after which a speaker pauses: the next word starts after the pause.
PHRASE_ENDS = tuple(".!?…。！？,;:，、；：")


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
            after_a_stop = index == 0 or segment.words[index - 1].text.rstrip().endswith(PHRASE_ENDS)
            start_ms, end_ms = timeline.original_span(word.start_ms, word.end_ms, after_a_stop)
            words.append(TimedWord(start_ms, end_ms, text, text_language))
        if on_progress:
            on_progress(min(1.0, segment.end_ms / total_ms))
    words.sort(key=lambda word: word.start_ms)
    return words


@dataclass(frozen=True)
class Timeline:
    """Speech pieces of the file laid end to end: (joined start, original start, length) in
    samples, and the windows as ranges of pieces. Each piece is a speech region followed by the
    part of the pause after it that the model hears (`speech` holds each piece's region length)."""

    pieces: list[tuple[int, int, int]]
    windows: list[tuple[int, int]]  # first piece, piece after the last
    starts: list[int]  # each piece's joined start, for bisection
    speech: list[int] = field(default_factory=list)  # each piece's speech length (its region), in samples

    @classmethod
    def of(cls, windows: list[Span], regions: list[Span] | None) -> Timeline:
        pieces: list[tuple[int, int, int]] = []
        speech: list[int] = []
        ranges: list[tuple[int, int]] = []
        position = 0
        for window in windows:
            inside = [r for r in regions or () if r.start >= window.start and r.end <= window.end] or [window]
            # The window's edges hold the audio around its speech (speech.with_context): the first
            # region is heard from the window's start, the last one to the window's end.
            inside[0] = Span(window.start, inside[0].end)
            inside[-1] = Span(inside[-1].start, window.end)
            first = len(pieces)
            for index, region in enumerate(inside):
                # Up to KEEP_PAUSE_S of the pause after a region stays: a sentence end still sounds
                # like one ("dog. Subtitles" ran together into "dog, Some titles" without it).
                end = region.end
                if index + 1 < len(inside):
                    end = min(inside[index + 1].start, region.end + int(KEEP_PAUSE_S * SAMPLE_RATE))
                pieces.append((position, region.start, end - region.start))
                speech.append(region.end - region.start)
                position += end - region.start
            ranges.append((first, len(pieces)))
        return cls(pieces, ranges, [joined for joined, _start, _length in pieces], speech)

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

    def original_span(self, start_ms: int, end_ms: int, after_a_stop: bool = False) -> tuple[int, int]:
        """A word's start and end in the joined audio as times in the file, both within one
        piece's speech (pieces are separated by pauses the VAD heard, which no word spans).

        The model's word times are only roughly aligned (20 ms steps; a window's first word
        often starts a little before its window; a word after a pause is often stretched back
        over it): a word at the start of a window, placed by its start alone, fell in the piece
        before and stayed on screen over the whole pause. A word that reaches into a later piece
        belongs to the piece holding most of its speech, or, `after_a_stop` (the word before it
        ended a sentence or clause, or it starts a segment), to the last piece it reaches: the
        speaker paused before it. A word that starts in the heard part of a pause, or that opens a
        sentence or clause and reaches into it, is spoken after it."""
        first_sample, last_sample = (ms * SAMPLE_RATE // 1000 for ms in (start_ms, max(start_ms, end_ms)))
        first = max(0, bisect.bisect_right(self.starts, first_sample) - 1)
        last = max(first, bisect.bisect_right(self.starts, max(first_sample, last_sample - 1)) - 1)
        joined, _start, length = self.pieces[first]
        speech_end = joined + (self.speech[first] if self.speech else length)
        # Only a piece followed by another in its window has a heard pause after its speech.
        before_a_pause = first + 1 < len(self.pieces) and speech_end < joined + length
        if before_a_pause and (first_sample >= speech_end or (after_a_stop and last_sample > speech_end)):
            # It starts in the heard pause, or opens a sentence or clause and reaches into it:
            # the word is spoken after the pause, for as long as it lasts past the speech before.
            home = max(last, first + 1)
            heard_after = last_sample - max(first_sample, speech_end)
            first_sample = self.pieces[home][0]
            last_sample = first_sample + heard_after
        elif after_a_stop:
            home = last
        else:
            home = max(range(first, last + 1), key=lambda index: self._speech_overlap(index, first_sample, last_sample))
        joined, start, _length = self.pieces[home]
        speech = self.speech[home] if self.speech else _length
        begin = start + min(max(0, first_sample - joined), speech)
        finish = start + min(max(0, last_sample - joined), speech)
        return begin * 1000 // SAMPLE_RATE, max(begin, finish) * 1000 // SAMPLE_RATE

    def _speech_overlap(self, index: int, first_sample: int, last_sample: int) -> tuple[int, int, int]:
        """How much of [first_sample, last_sample] lies in piece `index`'s speech (then in the
        piece at all, to settle a word that lies in pauses only); the earlier piece wins a tie."""
        joined, _start, length = self.pieces[index]
        speech = self.speech[index] if self.speech else length
        in_speech = max(0, min(last_sample, joined + speech) - max(first_sample, joined))
        in_piece = max(0, min(last_sample, joined + length) - max(first_sample, joined))
        return in_speech, in_piece, -index

    def original_ms(self, joined_ms: int, end: bool = False) -> int:
        """A time in the joined audio as a time in the file (an end stays in its piece)."""
        position = joined_ms * SAMPLE_RATE // 1000
        index = max(0, bisect.bisect_right(self.starts, position - (1 if end else 0)) - 1)
        joined, start, length = self.pieces[index]
        return (start + min(max(0, position - joined), length)) * 1000 // SAMPLE_RATE
