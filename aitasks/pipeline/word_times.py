"""Stage 5b: word start times checked against the audio's own sound.

Whisper's word times come from its cross-attention (dynamic time warping over 20 ms steps), not
from the sound: a word after a short pause is often stretched back over it, and the times shift
with the encoding of the same audio. A word cannot start in silence: where the audio under the
start of a word is silent, its start moves to where its sound begins (within the word's own
span). The level that counts as sound is set by the speech around the word (speakers in one file
differ by tens of dB), never below the noise floor there.

Measured against pocketsphinx's forced alignment of English read speech (bench/quality.py
--sections timing), Whisper's starts were also early overall, by a median of 60-77 ms on four
sources (JFK, LJ Speech, FLEURS, a LibriVox reading; 450 words), and still 42-51 ms after the
sound check: a start that the sound check left in place is moved later by LATE_BIAS_MS, within
the word and never past the next word's start (median error 64-77 → 28-52 ms, 90th percentile
175-234 → 94-174 ms on those sources).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .audio import SAMPLE_RATE
from .transcribe import TimedWord

FRAME_MS = 10
BLOCK_S = 5  # the speech level and noise floor are taken over blocks of this length
SPEECH_RANGE_DB = 30.0  # sound is a frame at most this far below the speech level around it...
ABOVE_FLOOR_DB = 6.0  # ...and this far above the noise floor there...
SILENCE_DB = -65.0  # ...and above this level in any case
ONSET_FRAMES = 3  # this many loud frames in a row: the sound of a word has begun
SEARCH_MS = 1500  # how far into a word its sound is looked for
MIN_WORD_MS = 40  # a word keeps at least this long
LATE_BIAS_MS = 60


def frame_levels(samples: np.ndarray) -> np.ndarray:
    """The level of each 10 ms frame, in dB."""
    frame = SAMPLE_RATE * FRAME_MS // 1000
    usable = len(samples) // frame * frame
    if not usable:
        return np.zeros(0)
    frames = samples[:usable].reshape(-1, frame)
    # Row by row, without a squared copy of the whole file (4 h of audio is 921 MB as it is).
    power = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / frame
    return 10 * np.log10(power + 1e-12)


def thresholds(levels: np.ndarray) -> np.ndarray:
    """The level above which a frame is sound, per frame, from the BLOCK_S block it is in: at
    most SPEECH_RANGE_DB below its speech level (the 95th percentile), ABOVE_FLOOR_DB above its
    noise floor (the 10th) where the two stand apart, and never below SILENCE_DB."""
    block = BLOCK_S * 1000 // FRAME_MS
    count = max(1, -(-len(levels) // block))
    per_block = np.empty(count)
    for index in range(count):
        own = levels[index * block : (index + 1) * block]
        speech, floor = np.percentile(own, 95), np.percentile(own, 10)
        above_floor = floor + ABOVE_FLOOR_DB if speech - floor > 2 * ABOVE_FLOOR_DB else speech - 3.0
        per_block[index] = max(speech - SPEECH_RANGE_DB, above_floor, SILENCE_DB)
    return np.repeat(per_block, block)[: len(levels)]


def settle(words: list[TimedWord], samples: np.ndarray) -> list[TimedWord]:
    """`words` with each start where the word's sound begins (see the module's docstring)."""
    levels = frame_levels(samples)
    if not len(levels) or not words:
        return words
    loud = levels > thresholds(levels)
    # Where a run of ONSET_FRAMES loud frames starts.
    runs = np.convolve(loud.astype(int), np.ones(ONSET_FRAMES, dtype=int), mode="valid") == ONSET_FRAMES
    settled: list[TimedWord] = []
    for word, following in zip(words, _later_starts(words), strict=True):
        latest = word.end_ms - MIN_WORD_MS
        if following is not None:
            latest = min(latest, following)
        if latest <= word.start_ms:
            settled.append(word)
            continue
        first = word.start_ms // FRAME_MS
        if first < len(runs) and runs[first]:
            start = min(word.start_ms + LATE_BIAS_MS, latest)
        else:
            last = min(len(runs), (min(latest, word.start_ms + SEARCH_MS)) // FRAME_MS + 1)
            found = np.flatnonzero(runs[first:last]) if first < last else np.zeros(0, dtype=int)
            start = (first + int(found[0])) * FRAME_MS if len(found) else word.start_ms
            start = min(max(start, word.start_ms), latest)
        settled.append(replace(word, start_ms=start) if start != word.start_ms else word)
    return settled


def _later_starts(words: list[TimedWord]) -> list[int | None]:
    """For each word, the first start after its own among the words that follow it (words are
    in time order; several may share a start)."""
    later: list[int | None] = [None] * len(words)
    following: int | None = None
    for index in range(len(words) - 1, -1, -1):
        later[index] = following
        if index and words[index - 1].start_ms < words[index].start_ms:
            following = words[index].start_ms
    return later
