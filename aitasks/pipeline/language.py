"""Stage 4: which language(s) are spoken.

Whisper's language ID is run on several speech windows spread over the whole file, not only
the first 30 s (music intros and short openings fool it), and the languages are ranked by the
speech time they cover, weighted by the model's confidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .. import languages
from ..engines.base import SpeechEngine
from .speech import Span

MAX_WINDOWS = 12
# Whisper codes outside our 99 that belong to one of them.
_WHISPER_ALIASES = {"yue": "zh"}


@dataclass(frozen=True)
class WindowLanguage:
    window: Span
    scores: dict[str, float]  # Whisper code → probability, only our 99 languages

    @property
    def best(self) -> tuple[str, float]:
        return max(self.scores.items(), key=lambda item: item[1]) if self.scores else ("en", 0.0)


def spread(windows: list[Span], count: int = MAX_WINDOWS) -> list[Span]:
    """At most `count` windows, evenly spread over the file."""
    if len(windows) <= count:
        return list(windows)
    step = len(windows) / count
    return [windows[int(index * step)] for index in range(count)]


def identify(engine: SpeechEngine, samples: np.ndarray, windows: list[Span]) -> list[WindowLanguage]:
    guesses = []
    for window in windows:
        scores: dict[str, float] = defaultdict(float)
        for code, probability in engine.detect_language(samples[window.start : window.end]).items():
            code = _WHISPER_ALIASES.get(code, code)
            if languages.from_whisper(code) is not None:
                scores[code] += probability
        guesses.append(WindowLanguage(window, dict(scores)))
    return guesses


def rank(guesses: list[WindowLanguage]) -> list[tuple[str, float]]:
    """Whisper codes with their confidence-weighted speech seconds, largest first."""
    weight: dict[str, float] = defaultdict(float)
    for guess in guesses:
        code, probability = guess.best
        weight[code] += guess.window.seconds * probability
    return sorted(weight.items(), key=lambda item: item[1], reverse=True)


def dominant(guesses: list[WindowLanguage]) -> str:
    ranking = rank(guesses)
    return ranking[0][0] if ranking else "en"
