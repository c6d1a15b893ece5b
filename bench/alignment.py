"""Word timing references for the quality bench (issue 23): forced alignment, token matching, onsets.

- `force_align`: pocketsphinx 5's forced alignment of a known English transcript (its bundled
  en-us model), word start and end times in ms. Optional: `pip install -e '.[bench]'`.
- `match`: an edit-distance alignment of two token lists (bench/textnorm.normalize), the pairs
  of positions whose tokens are equal.
- `frame_levels` / `speech_onset`: 10 ms frame energies in dB and the first sustained frame above
  a threshold set from the file's own speech level (no model: the reference must not share
  the pipeline's VAD).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

RATE = 16_000
FRAME = RATE // 100  # 10 ms
# A frame is speech when it is within SPEECH_RANGE_DB of the file's speech level (its 95th
# percentile frame) and at least FLOOR_MARGIN_DB above its noise floor (10th percentile).
SPEECH_RANGE_DB = 30.0
FLOOR_MARGIN_DB = 6.0
SUSTAIN_FRAMES = 3  # an onset is 30 ms above the threshold, not a click


@dataclass(frozen=True)
class Word:
    start_ms: int
    end_ms: int
    text: str
    scored: bool = True  # False where the aligner guessed the pronunciation (not in its dictionary)


# --- forced alignment (pocketsphinx) --------------------------------------------------------

# A crude spelling → ARPABET guess for words the dictionary lacks: enough for the aligner to
# give the word some time; such words are aligned but not scored.
_LETTERS = {
    "a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH", "i": "IH",
    "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P", "q": "K", "r": "R",
    "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S", "y": "Y", "z": "Z",
}  # fmt: skip


@functools.cache
def _decoder() -> object:
    from pocketsphinx import Decoder, get_model_path

    return Decoder(
        hmm=get_model_path("en-us/en-us"),
        dict=get_model_path("en-us/cmudict-en-us.dict"),
        lm=None,
        samprate=RATE,
        loglevel="FATAL",
    )


def aligner_available() -> bool:
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return False
    return True


def force_align(samples: np.ndarray, tokens: list[str], offset_ms: int = 0) -> list[Word]:
    """Word times of `tokens` (normalised English words) spoken in `samples`, by pocketsphinx's
    forced alignment; [] when it finds no alignment. Times from `offset_ms`."""
    decoder = _decoder()
    guessed = set()
    spoken = []
    after_dropped = set()  # positions in `spoken` right after a token left out ("1"): its start may hold it
    for token in tokens:
        word = re.sub(r"[^a-z']", "", token)
        if not word:
            after_dropped.add(len(spoken))
            continue
        if decoder.lookup_word(word) is None:
            phones = " ".join(_LETTERS[char] for char in word if char in _LETTERS)
            if not phones:
                continue
            decoder.add_word(word, phones, True)
            guessed.add(word)
        spoken.append(word)
    if not spoken:
        return []
    decoder.set_align_text(" ".join(spoken))
    decoder.start_utt()
    decoder.process_raw((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    frame_ms = 10  # pocketsphinx's default 100 frames a second
    words = []
    # No alignment at all (the audio does not fit the text: whispered speech, "uh" runs): no
    # reference words for this utterance.
    for segment in decoder.seg() or ():
        text = re.sub(r"\(\d+\)$", "", segment.word)  # "and(2)": an alternative pronunciation
        if text.startswith(("<", "[")):  # <sil>, <s>, [NOISE]
            continue
        words.append(
            Word(
                offset_ms + segment.start_frame * frame_ms,
                offset_ms + (segment.end_frame + 1) * frame_ms,
                text,
                scored=text not in guessed and len(words) not in after_dropped,
            )
        )
    return words


# --- matching words by their text -----------------------------------------------------------


def match(reference: list[str], hypothesis: list[str]) -> list[tuple[int, int]]:
    """(i, j) for each reference token i aligned to an equal hypothesis token j, by the
    Levenshtein alignment (substitutions, deletions, insertions cost 1; ties prefer a match)."""
    n, m = len(reference), len(hypothesis)
    if not n or not m:
        return []
    # Backtrace: 0 diagonal, 1 up (deletion), 2 left (insertion).
    moves = np.zeros((n + 1, m + 1), dtype=np.uint8)
    moves[0, 1:] = 2
    moves[1:, 0] = 1
    previous = list(range(m + 1))
    for i in range(1, n + 1):
        token = reference[i - 1]
        current = [i] + [0] * m
        row = moves[i]
        for j in range(1, m + 1):
            diagonal = previous[j - 1] + (token != hypothesis[j - 1])
            up = previous[j] + 1
            left = current[j - 1] + 1
            if diagonal <= up and diagonal <= left:
                current[j] = diagonal
            elif up <= left:
                current[j] = up
                row[j] = 1
            else:
                current[j] = left
                row[j] = 2
        previous = current
    pairs = []
    i, j = n, m
    while i and j:
        move = moves[i, j]
        if move == 0:
            if reference[i - 1] == hypothesis[j - 1]:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif move == 1:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def tokens_of(words: list[tuple[int, str]], language: str) -> tuple[list[str], list[int], list[int], list[bool]]:
    """Normalised tokens of timed words ((start_ms, text) each): the tokens, each token's start
    (its word's), its word's index, and whether it is its word's first token (only a first
    token has a start of its own)."""
    from textnorm import normalize

    tokens, starts, indexes, first = [], [], [], []
    for word_index, (start_ms, text) in enumerate(words):
        for index, token in enumerate(normalize(text, language)):
            tokens.append(token)
            starts.append(start_ms)
            indexes.append(word_index)
            first.append(index == 0)
    return tokens, starts, indexes, first


# --- energy ---------------------------------------------------------------------------------


def frame_levels(samples: np.ndarray) -> np.ndarray:
    """dB of each 10 ms frame (mean square; -100 for digital silence)."""
    count = len(samples) // FRAME
    frames = samples[: count * FRAME].astype(np.float64).reshape(count, FRAME)
    return 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)


def speech_threshold(levels: np.ndarray) -> float:
    if not len(levels):
        return 0.0
    level, floor = np.percentile(levels, 95), np.percentile(levels, 10)
    return float(max(level - SPEECH_RANGE_DB, floor + FLOOR_MARGIN_DB))


def speech_onset(levels: np.ndarray, threshold: float, start_ms: int, end_ms: int) -> int | None:
    """The first ms in [start_ms, end_ms) where SUSTAIN_FRAMES frames in a row are above
    `threshold`, or None."""
    first, last = max(0, start_ms // 10), min(len(levels), end_ms // 10)
    loud = levels[first:last] > threshold
    run = 0
    for index, above in enumerate(loud):
        run = run + 1 if above else 0
        if run == SUSTAIN_FRAMES:
            return (first + index - SUSTAIN_FRAMES + 1) * 10
    return None


def cue_first_words(cues: list, words: list) -> list[int | None]:
    """For each cue, the index in `words` (spoken ones, i.e. with text) of its first word, found
    by counting characters as bench/quality.cue_sync does (the cues hold every word, in order)."""
    firsts: list[int | None] = []
    index = 0
    for cue in cues:
        wanted, first = len("".join(cue.text.split())), index
        count = 0
        while index < len(words) and count < wanted:
            count += len("".join(words[index].text.split()))
            index += 1
        firsts.append(first if index > first else None)
    return firsts


def percentile(values: list[float], share: float) -> float | None:
    return float(np.percentile(values, share)) if values else None
