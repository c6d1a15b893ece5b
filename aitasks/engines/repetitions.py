"""Repeated words in Whisper's output: a decoding loop, or a repetition that was spoken.

Both look the same on the text alone: a phrase of 1-3 words written 4+ times in a row
(`repeated_runs`). Whisper loops ("uh" forty times for twelve, a sentence again and again over
music); speakers repeat too ("words, words, words, words"; "no, no, no, no"). What tells them
apart is how each word was heard (`Heard`: its times, its probability, the sound under it). A
run is spoken (`is_spoken`) when:

- its words take the time words take: the median repeat lasts between MIN_WORD_S (0.1 s) and
  MAX_WORD_S (1.5 s) per word of the phrase. Recorded loops squeezed their words together
  (forty "uh"s, most of them 0-20 ms wide) or stretched six over 10 s out of step with the
  audio (2.4 s per "uh"); repeated words spoken by espeak-ng took 0.3-0.9 s each, and a word
  of fast speech about 0.1 s;
- nearly every repeat (HEARD_SHARE, 90%: all of 4 to 9) is heard: it lasts at least
  MIN_REPEAT_S (40 ms, two of Whisper's timestamp steps) and at least SQUEEZED_SHARE (a third)
  of the median repeat, and has sound under it: its loudest 20 ms within QUIET_DB (30 dB) of
  the window's loud level (`loud_spans`). A loop's extra copies are squeezed in where the audio
  holds none (six "words" spoken, 0.4-0.9 s each, were written seven times, the seventh in
  0.16 s) or fall on the silence between the words that were said;
- the model is fairly sure of its words: their median probability is at least MIN_PROBABILITY
  (0.5). The first of a spoken run is often unsure (0.13-0.4 recorded), the others 0.8-0.99;
  Whisper's words over noise are guesses.

A run that keeps the pace and the probabilities of speech but has a few copies too many (at
least MOSTLY_HEARD, 75 %, of its copies heard: seven "words" written for six spoken) is not a
loop either: the window is kept, and only the copies that were not heard are left out, rather
than decoding the window again (the sequential decoder then often wrote the phrase once:
"ja, ja, ja, ja, das stimmt" → "Ja, das stimmt.").

Without that evidence (a text alone) a run counts as a loop, as Whisper's own compression
check would take it.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

# A loop: a phrase of up to MAX_PHRASE_WORDS words repeated MIN_REPEATS times or more in a row.
MAX_PHRASE_WORDS = 3
MIN_REPEATS = 4
# What a spoken repetition shows (see the module's docstring for why these values).
MIN_WORD_S = 0.1
MAX_WORD_S = 1.5
MIN_REPEAT_S = 0.04
SQUEEZED_SHARE = 1 / 3
HEARD_SHARE = 0.9
MOSTLY_HEARD = 0.75  # fewer heard copies than this: a loop; between this and all, the extra copies go
MIN_PROBABILITY = 0.5
QUIET_DB = 30.0
SILENCE_RMS = 1e-3  # -60 dBFS: below it nothing is heard, whatever the window's level
FRAME_S = 0.02
LOUD_PERCENTILE = 95  # the window's loud level: the frame level its loudest 5% reach

T = TypeVar("T")


@dataclass(frozen=True)
class Heard:
    """How one word was heard: its times (seconds), the model's probability, and whether the
    audio under it carries sound."""

    start: float
    end: float
    probability: float
    loud: bool


@dataclass(frozen=True)
class Run:
    """A phrase of `size` words repeated in a row: `words` are the indices of all its words in
    the list it was found in (words of punctuation alone left out), copy after copy."""

    words: tuple[int, ...]
    size: int


def normalized_tokens(words: Sequence[str]) -> list[str]:
    """Words compared for repetition: lower case, punctuation and spaces removed."""
    return [token for token in (_token(word) for word in words) if token]


def _token(word: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKC", word).lower() if char.isalnum())


def repeated_runs(
    tokens: Sequence[str], max_phrase: int = MAX_PHRASE_WORDS, min_repeats: int = MIN_REPEATS
) -> list[tuple[int, int, int]]:
    """Runs of a phrase repeated `min_repeats`+ times in a row: (start, phrase length, repeats).

    The shortest phrase wins ("or, or, or" is one word repeated, not "or or" twice); runs do
    not overlap.
    """
    runs: list[tuple[int, int, int]] = []
    index = 0
    while index < len(tokens):
        found = None
        for size in range(1, max_phrase + 1):
            phrase = tokens[index : index + size]
            if len(phrase) < size:
                break
            repeats = 1
            while tokens[index + repeats * size : index + (repeats + 1) * size] == phrase:
                repeats += 1
            if repeats >= min_repeats:
                found = (index, size, repeats)
                break
        if found:
            runs.append(found)
            index += found[1] * found[2]
        else:
            index += 1
    return runs


def runs_in(words: Sequence[str]) -> list[Run]:
    """The repeated runs of `words`, by the indices of their words in `words`."""
    positions = [index for index, word in enumerate(words) if _token(word)]
    tokens = [_token(words[index]) for index in positions]
    return [
        Run(tuple(positions[start : start + size * repeats]), size) for start, size, repeats in repeated_runs(tokens)
    ]


def is_spoken(run: Run, heard: Sequence[Heard]) -> bool:
    """Whether `run` (of words whose evidence is `heard`, by index) is a repetition a speaker
    made rather than a loop of the decoder, by the criterion of the module's docstring."""
    copies = heard_copies(run, heard)
    return copies is not None and len(copies) >= HEARD_SHARE * len(run.words) / run.size


def heard_copies(run: Run, heard: Sequence[Heard]) -> list[int] | None:
    """The copies of `run` (by their number in the run) that were heard, where the run is spoken
    with at most a few copies too many written (at least MOSTLY_HEARD of them heard: the batched
    decoder wrote seven "words" for six spoken, the seventh squeezed into 0.16 s); None for a
    loop (the pace or the probabilities are not those of speech, or too few copies were heard)."""
    words = [heard[index] for index in run.words]
    copies = [words[start : start + run.size] for start in range(0, len(words), run.size)]
    lengths = [copy[-1].end - copy[0].start for copy in copies]
    typical = statistics.median(lengths)
    if not MIN_WORD_S <= typical / run.size <= MAX_WORD_S:
        return None
    if statistics.median(word.probability for word in words) < MIN_PROBABILITY:
        return None
    shortest = max(MIN_REPEAT_S, SQUEEZED_SHARE * typical)
    kept = [
        number
        for number, (copy, length) in enumerate(zip(copies, lengths, strict=True))
        if length >= shortest and all(word.loud for word in copy)
    ]
    return kept if len(kept) >= MOSTLY_HEARD * len(copies) else None


def loops(words: Sequence[str], heard: Sequence[Heard] | None = None) -> list[Run]:
    """The runs of `words` that are decoding loops: all of them without `heard` (the evidence
    of each word, in the same order), else those not spoken (`heard_copies`)."""
    return [run for run in runs_in(words) if heard is None or heard_copies(run, heard) is None]


def has_loop(words: Sequence[str], heard: Sequence[Heard] | None = None) -> bool:
    return bool(loops(words, heard))


def collapse_repeats(items: Sequence[T], text: Callable[[T], str], heard: Sequence[Heard] | None = None) -> list[T]:
    """`items` (words) with every loop cut to one copy of its phrase, and the copies of a spoken
    repetition that were not heard (written too many) left out; the spoken copies stay.

    Words of punctuation or symbols alone ("%", "€", " ?") neither break nor count in a run;
    they are dropped only inside the copies cut.
    """
    dropped: set[int] = set()
    for run in runs_in([text(item) for item in items]):
        kept = None if heard is None else heard_copies(run, heard)
        if kept is None:
            dropped.update(range(run.words[run.size - 1] + 1, run.words[-1] + 1))
            continue
        for number in range(len(run.words) // run.size):
            if number not in kept:
                copy = run.words[number * run.size : (number + 1) * run.size]
                dropped.update(range(copy[0], copy[-1] + 1))
    return [item for index, item in enumerate(items) if index not in dropped]


def loud_spans(
    samples: np.ndarray, rate: int, clip: tuple[float, float], spans: Sequence[tuple[float, float]]
) -> list[bool]:
    """For each span (start, end seconds of `samples`), whether its loudest 20 ms frame is within
    QUIET_DB of the loud level of `clip` (and above SILENCE_RMS)."""
    level = np.percentile(_frame_levels(samples, rate, clip), LOUD_PERCENTILE) if clip[1] > clip[0] else 0.0
    threshold = max(SILENCE_RMS, float(level) * 10 ** (-QUIET_DB / 20))
    return [float(np.max(_frame_levels(samples, rate, span), initial=0.0)) >= threshold for span in spans]


def _frame_levels(samples: np.ndarray, rate: int, span: tuple[float, float]) -> np.ndarray:
    """The RMS level of each 20 ms frame of `samples` in `span` (seconds); a last short frame
    counts as a frame."""
    frame = int(FRAME_S * rate)
    first = max(0, int(span[0] * rate) // frame * frame)
    piece = np.asarray(samples[first : max(first, int(np.ceil(span[1] * rate)))], dtype=np.float32)
    if not len(piece):
        return np.zeros(1, dtype=np.float32)
    padded = np.pad(piece, (0, -len(piece) % frame))
    return np.sqrt(np.mean(padded.reshape(-1, frame) ** 2, axis=1))
