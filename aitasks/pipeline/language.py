"""Stage 4: which language is spoken where.

Language ID looks at the whole file, not only the first 30 s (music intros and short openings
fool Whisper): first on up to MAX_WINDOWS samples spread over the file, each up to 30 s of
speech with the pauses between regions left out (Whisper identifies a language best from a full
window of speech; a short stretch padded to 30 s with silence fools it, and one such window
once turned a Spanish file into Hindi). When they all
agree with confidence, the file is in one language. Otherwise every stretch of speech gets its
own language ID (code-switching: English → German → English), and a stretch the model is
unsure of — short, or below MIN_CONFIDENCE — takes the language of its neighbours rather than
flipping the subtitles into a language that is not there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .. import languages
from ..engines.base import SpeechEngine
from .speech import WINDOW_LIMIT_S, Span, group_into_windows

# Each sampled window costs a full encoder pass (Whisper pads every clip to 30 s), the same as
# transcribing it: 12 windows made language ID 31 % of the pipeline's time on 231 s of English
# (9 windows); 4 spread over the file still look past a music intro or a short opening.
MAX_WINDOWS = 4
# A file is in one language when every sampled window names it with at least this confidence.
MONOLINGUAL_CONFIDENCE = 0.8
# A stretch of speech keeps its own language only when the model is this sure of it...
MIN_CONFIDENCE = 0.5
MIN_SECONDS = 1.0
# ...and when that language covers enough of the file (a stray 2 s of "Dutch" is a mistake)...
MIN_LANGUAGE_SECONDS = 3.0
MIN_LANGUAGE_SHARE = 0.05
# ...and the model is clearly sure of it somewhere: a language only ever half-heard (espeak's
# German heard as Yiddish at 0.5 beside confident German) is a confusion, not a new language.
NEW_LANGUAGE_CONFIDENCE = 0.7
T = TypeVar("T")
# Whisper codes outside our 99 that belong to one of them.
_WHISPER_ALIASES = {"yue": "zh"}


@dataclass(frozen=True)
class Guess:
    span: Span
    scores: dict[str, float]  # Whisper code → probability, only our 99 languages
    speech_s: float | None = None  # the speech heard, when less than the span (pauses left out)

    @property
    def seconds(self) -> float:
        return self.span.seconds if self.speech_s is None else self.speech_s

    @property
    def best(self) -> tuple[str, float]:
        """The likeliest language; no confidence at all for a stretch that was not identified."""
        return max(self.scores.items(), key=lambda item: item[1]) if self.scores else ("", 0.0)


@dataclass(frozen=True)
class LanguagePlan:
    """The language (Whisper code) of every speech region, and the ranking behind it."""

    regions: list[tuple[Span, str]]
    ranking: list[tuple[str, float]]  # Whisper code, speech seconds × confidence; largest first
    per_region: bool  # True when each stretch was identified on its own (code-switching)

    def windows(self) -> list[tuple[Span, str]]:
        """Decoding windows (≤ 30 s), never mixing two languages."""
        windows: list[tuple[Span, str]] = []
        run: list[Span] = []
        for index, (span, code) in enumerate(self.regions):
            run.append(span)
            if index + 1 == len(self.regions) or self.regions[index + 1][1] != code:
                windows.extend((window, code) for window in group_into_windows(run))
                run = []
        return windows

    def spoken(self) -> list[str]:
        """Whisper codes by speech time, largest first."""
        seconds: dict[str, float] = defaultdict(float)
        for span, code in self.regions:
            seconds[code] += span.seconds
        return sorted(seconds, key=lambda code: seconds[code], reverse=True)

    def report(self) -> list[dict[str, object]]:
        """What was detected, for the task result: language, speech seconds, confidence."""
        seconds: dict[str, float] = defaultdict(float)
        for span, code in self.regions:
            seconds[code] += span.seconds
        weight = dict(self.ranking)
        return [
            {
                "language": languages.from_whisper(code).code,  # type: ignore[union-attr]
                "speech_seconds": round(seconds[code], 1),
                "confidence": round(min(1.0, weight.get(code, 0.0) / seconds[code]), 3) if seconds[code] else 0.0,
            }
            for code in self.spoken()
        ]


def spread(windows: list[T], count: int = MAX_WINDOWS) -> list[T]:
    """At most `count` windows, evenly spread over the file."""
    if len(windows) <= count:
        return list(windows)
    step = len(windows) / count
    return [windows[int(index * step)] for index in range(count)]


def speech_samples(regions: list[Span], limit_s: float = WINDOW_LIMIT_S) -> list[list[Span]]:
    """Consecutive speech regions packed into groups of at most `limit_s` seconds of speech."""
    groups: list[list[Span]] = []
    heard = 0.0
    for region in regions:
        if groups and heard + region.seconds <= limit_s:
            groups[-1].append(region)
            heard += region.seconds
        else:
            groups.append([region])
            heard = region.seconds
    return groups


def identify(engine: SpeechEngine, samples: np.ndarray, spans: list[Span]) -> list[Guess]:
    return identify_groups(engine, samples, [[span] for span in spans])


def identify_groups(engine: SpeechEngine, samples: np.ndarray, groups: list[list[Span]]) -> list[Guess]:
    """A guess per group of regions, heard together without the pauses between them."""
    clips = [np.concatenate([samples[span.start : span.end] for span in group]) for group in groups]
    guesses = []
    for group, detected in zip(groups, engine.detect_languages(clips), strict=True):
        scores: dict[str, float] = defaultdict(float)
        for code, probability in detected.items():
            code = _WHISPER_ALIASES.get(code, code)
            if languages.from_whisper(code) is not None:
                scores[code] += probability
        span = Span(group[0].start, group[-1].end)
        speech_s = sum(region.seconds for region in group)
        guesses.append(Guess(span, dict(scores), None if len(group) == 1 else min(speech_s, span.seconds)))
    return guesses


def rank(guesses: list[Guess]) -> list[tuple[str, float]]:
    """Whisper codes with their confidence-weighted speech seconds, largest first."""
    weight: dict[str, float] = defaultdict(float)
    for guess in guesses:
        code, probability = guess.best
        if code:
            weight[code] += guess.seconds * probability
    return sorted(weight.items(), key=lambda item: item[1], reverse=True)


def is_monolingual(guesses: list[Guess]) -> bool:
    codes = {guess.best[0] for guess in guesses}
    return len(codes) == 1 and all(guess.best[1] >= MONOLINGUAL_CONFIDENCE for guess in guesses)


def assign(guesses: list[Guess]) -> list[str]:
    """A language per guess; unsure ones take a neighbour's (see `_borrow`)."""
    ranking = rank(guesses)
    total = sum(guess.span.seconds for guess in guesses) or 1.0
    sure_seconds: dict[str, float] = defaultdict(float)
    clearest: dict[str, float] = defaultdict(float)
    for guess in guesses:
        code, probability = guess.best
        if probability >= MIN_CONFIDENCE and guess.span.seconds >= MIN_SECONDS:
            sure_seconds[code] += guess.span.seconds
            clearest[code] = max(clearest[code], probability)
    present = {
        code for code, seconds in sure_seconds.items()
        if (seconds >= MIN_LANGUAGE_SECONDS or seconds / total >= MIN_LANGUAGE_SHARE)
        and clearest[code] >= NEW_LANGUAGE_CONFIDENCE
    }  # fmt: skip
    sure: list[str | None] = []
    for guess in guesses:
        code, probability = guess.best
        keep = code in present and probability >= MIN_CONFIDENCE and guess.span.seconds >= MIN_SECONDS
        sure.append(code if keep else None)
    fallback = next((code for code, _weight in ranking if code in present), ranking[0][0] if ranking else "en")
    assigned: list[str] = []
    for index, code in enumerate(sure):
        assigned.append(code or _borrow(guesses, sure, assigned, index) or fallback)
    return assigned


def _borrow(guesses: list[Guess], sure: list[str | None], assigned: list[str], index: int) -> str | None:
    """The language an unsure stretch takes from its neighbours. Between two languages: the
    one its own scores favour, else the one spoken closer in time (a short "Guten Abend" right
    before German is German, not the English a second earlier)."""
    previous = assigned[-1] if assigned else None
    after = next((later for later in range(index + 1, len(sure)) if sure[later] is not None), None)
    following = sure[after] if after is not None else None
    if previous is None or following is None or previous == following:
        return previous or following
    scores, span = guesses[index].scores, guesses[index].span
    if scores.get(previous, 0.0) != scores.get(following, 0.0):
        return max((previous, following), key=lambda code: scores.get(code, 0.0))
    gap_before = span.start - guesses[index - 1].span.end
    gap_after = guesses[after].span.start - span.end  # type: ignore[index]
    return previous if gap_before <= gap_after else following


def plan(engine: SpeechEngine, samples: np.ndarray, regions: list[Span]) -> LanguagePlan:
    """Identify the language(s) of `regions` (speech found by the VAD)."""
    sampled = identify_groups(engine, samples, spread(speech_samples(regions)))
    if is_monolingual(sampled):
        code = sampled[0].best[0]
        return LanguagePlan([(span, code) for span in regions], rank(sampled), per_region=False)
    # Each identification is a full 30 s encoder pass, however short the stretch: identify only
    # the stretches long enough to be trusted; the others take their neighbours' language.
    long_enough = [span for span in regions if span.seconds >= MIN_SECONDS]
    heard = dict(zip(long_enough, identify(engine, samples, long_enough), strict=True))
    guesses = [heard.get(span) or Guess(span, {}) for span in regions]
    return LanguagePlan(list(zip(regions, assign(guesses), strict=True)), rank(guesses), per_region=True)


def fixed(regions: list[Span], whisper_code: str) -> LanguagePlan:
    """All speech in the language the client named (no detection)."""
    seconds = sum(span.seconds for span in regions)
    return LanguagePlan([(span, whisper_code) for span in regions], [(whisper_code, seconds)], per_region=False)
