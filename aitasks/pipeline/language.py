"""Stage 4: which language is spoken where.

Language ID looks at the whole file, not only the first 30 s (music intros and short openings
fool Whisper): first on up to MAX_WINDOWS samples spread over the file, each up to 30 s of
speech with the pauses between regions left out (Whisper identifies a language best from a full
window of speech; a short stretch padded to 30 s with silence fools it, and one such window
once turned a Spanish file into Hindi). A sample is, wherever it holds nearly as much speech,
one of the windows transcription decodes (the engine keeps its encoding: that audio is encoded
once for both), else the speech packed without pauses. When they all
agree with confidence, the file is in one language. Otherwise every stretch of speech gets its
own language ID (code-switching: English → German → English), and a stretch the model is
unsure of — short, or below MIN_CONFIDENCE — takes the language of its neighbours rather than
flipping the subtitles into a language that is not there.

Languages are ISO-639-2/B codes throughout, as the engine gives them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..engines.base import SpeechEngine
from ..results import LanguageShare
from .audio import SAMPLE_RATE
from .speech import WINDOW_LIMIT_S, Span, group_into_windows, with_context
from .transcribe import heard_audio

# Each sample costs a full encoder pass (Whisper pads every clip to 30 s), the same as
# transcribing it: 12 windows made language ID 31 % of the pipeline's time on 231 s of English
# (9 windows); 4 spread over the file still look past a music intro or a short opening.
MAX_WINDOWS = 4
# A transcription window stands for a sample of packed speech when it holds at least this share
# of the sample's speech, or this much speech (plenty to tell a language: the failures come from
# stretches of a few seconds padded to 30 s): its encoding then serves both stages.
WINDOW_SPEECH_SHARE = 0.75
WINDOW_SPEECH_S = 15.0
# A file is in one language when every sampled window names it with at least this confidence.
# Whisper names a window's language mostly from its start: an English window holding a German
# sentence of 5 s (of 17 s) still came out English at 0.83; real single-language samples of the
# dev set stay at 0.94 and above but one (0.855). Below this, every stretch is identified apart.
MONOLINGUAL_CONFIDENCE = 0.9
# A stretch of speech keeps its own language only when the model is this sure of it...
MIN_CONFIDENCE = 0.5
MIN_SECONDS = 1.0
# A stretch shorter than this is padded to 30 s of near silence: Whisper's guess on it is weak
# (espeak's "Guten Morgen." before German heard as English at 0.51). It keeps its own language
# only at NEW_LANGUAGE_CONFIDENCE, and between two languages it joins the one it runs into.
SURE_SECONDS = 2.0
CLEARLY_CLOSER = 0.5  # one pause less than half the other
# ...and when that language covers enough of the file (a stray 2 s of "Dutch" is a mistake)...
MIN_LANGUAGE_SECONDS = 3.0
MIN_LANGUAGE_SHARE = 0.05
# ...and the model is clearly sure of it somewhere: a language only ever half-heard (espeak's
# German heard as Yiddish at 0.5 beside confident German) is a confusion, not a new language.
NEW_LANGUAGE_CONFIDENCE = 0.7
T = TypeVar("T")


@dataclass(frozen=True)
class Guess:
    span: Span
    scores: dict[str, float]  # language code → probability, only our 99 languages
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
    """The language (ISO-639-2/B) of every speech region, and the ranking behind it."""

    regions: list[tuple[Span, str]]
    ranking: list[tuple[str, float]]  # language code, speech seconds × confidence; largest first
    per_region: bool  # True when each stretch was identified on its own (code-switching)

    def windows(self, total: int | None = None) -> list[tuple[Span, str]]:
        """Decoding windows (≤ 30 s), never mixing two languages; with the audio around them
        (speech.with_context) where the file's length `total`, in samples, is given."""
        windows: list[tuple[Span, str]] = []
        run: list[Span] = []
        for index, (span, code) in enumerate(self.regions):
            run.append(span)
            if index + 1 == len(self.regions) or self.regions[index + 1][1] != code:
                windows.extend((window, code) for window in group_into_windows(run))
                run = []
        if total is None:
            return windows
        widened = with_context([window for window, _code in windows], [span for span, _code in self.regions], total)
        return [(window, code) for window, (_window, code) in zip(widened, windows, strict=True)]

    def spoken(self) -> list[str]:
        """Language codes by speech time, largest first."""
        seconds: dict[str, float] = defaultdict(float)
        for span, code in self.regions:
            seconds[code] += span.seconds
        return sorted(seconds, key=lambda code: seconds[code], reverse=True)

    def report(self) -> list[LanguageShare]:
        """What was detected, for the task result: language, speech seconds, confidence."""
        seconds: dict[str, float] = defaultdict(float)
        for span, code in self.regions:
            seconds[code] += span.seconds
        weight = dict(self.ranking)
        return [
            LanguageShare(
                language=code,
                speech_seconds=round(seconds[code], 1),
                confidence=round(min(1.0, weight.get(code, 0.0) / seconds[code]), 3) if seconds[code] else 0.0,
            )
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
    """A guess per stretch of speech, each heard alone."""
    detected = engine.detect_languages(samples, [(span.start_s, span.end_s) for span in spans])
    return [Guess(span, scores) for span, scores in zip(spans, detected, strict=True)]


def sample(regions: list[Span], total: int | None = None) -> list[tuple[Span, list[Span]]]:
    """The stretches language ID first looks at: (the stretch, the regions heard in it).

    Up to MAX_WINDOWS samples of packed speech spread over the file; each is replaced by the
    transcription window that overlaps it with the most speech, when that window holds at
    least WINDOW_SPEECH_SHARE of the sample's speech or WINDOW_SPEECH_S of speech (a window's
    pauses are kept short, so it sounds nearly the same).
    """
    windows = [(window, _inside(window, regions)) for window in decoding_windows(regions, total)]
    samples = []
    for group in spread(speech_samples(regions)):
        stretch = Span(group[0].start, group[-1].end)
        overlapping = [(window, inside) for window, inside in windows if _overlap(window, stretch)]
        best = max(overlapping, key=lambda pair: _speech_s(pair[1]), default=None)
        wanted = min(WINDOW_SPEECH_SHARE * _speech_s(group), WINDOW_SPEECH_S)
        samples.append(best if best is not None and _speech_s(best[1]) >= wanted else (stretch, group))
    unique = {stretch: inside for stretch, inside in samples}  # two samples may pick the same window
    return list(unique.items())


def identify_samples(engine: SpeechEngine, samples: np.ndarray, regions: list[Span]) -> list[Guess]:
    """A guess per sample (see `sample`), its regions heard together as transcription hears a window."""
    chosen = sample(regions, len(samples))
    windows = set(decoding_windows(regions, len(samples)))
    pieces = [
        heard_audio(samples, [stretch], regions)[0]
        if stretch in windows
        else np.concatenate([samples[r.start : r.end] for r in inside])
        for stretch, inside in chosen
    ]
    ends = np.cumsum([len(piece) for piece in pieces])
    clips = [((end - len(piece)) / SAMPLE_RATE, end / SAMPLE_RATE) for piece, end in zip(pieces, ends, strict=True)]
    detected = engine.detect_languages(np.concatenate(pieces), clips)
    guesses = []
    for (stretch, inside), scores in zip(chosen, detected, strict=True):
        guesses.append(Guess(stretch, scores, min(_speech_s(inside), stretch.seconds)))
    return guesses


def decoding_windows(regions: list[Span], total: int | None = None) -> list[Span]:
    """The windows transcription decodes for a file in one language (with the audio around
    them, speech.with_context, where the file's length `total` is known)."""
    windows = group_into_windows(regions)
    return windows if total is None else with_context(windows, regions, total)


def _inside(window: Span, regions: list[Span]) -> list[Span]:
    return [region for region in regions if region.start >= window.start and region.end <= window.end] or [window]


def _overlap(first: Span, second: Span) -> bool:
    return first.start < second.end and second.start < first.end


def _speech_s(regions: list[Span]) -> float:
    return sum(region.seconds for region in regions)


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
        if _is_sure(guess):
            sure_seconds[code] += guess.span.seconds
            clearest[code] = max(clearest[code], probability)
    present = {
        code for code, seconds in sure_seconds.items()
        if (seconds >= MIN_LANGUAGE_SECONDS or seconds / total >= MIN_LANGUAGE_SHARE)
        and clearest[code] >= NEW_LANGUAGE_CONFIDENCE
    }  # fmt: skip
    sure: list[str | None] = []
    for guess in guesses:
        code, _probability = guess.best
        sure.append(code if code in present and _is_sure(guess) else None)
    fallback = next((code for code, _weight in ranking if code in present), ranking[0][0] if ranking else "eng")
    assigned: list[str] = []
    for index, code in enumerate(sure):
        assigned.append(code or _borrow(guesses, sure, assigned, index) or fallback)
    return assigned


def _is_sure(guess: Guess) -> bool:
    """Whether a stretch's own guess is trusted (see MIN_CONFIDENCE, SURE_SECONDS)."""
    _code, probability = guess.best
    if guess.span.seconds < MIN_SECONDS:
        return False
    return probability >= (NEW_LANGUAGE_CONFIDENCE if guess.span.seconds < SURE_SECONDS else MIN_CONFIDENCE)


def _borrow(guesses: list[Guess], sure: list[str | None], assigned: list[str], index: int) -> str | None:
    """The language an unsure stretch takes from its neighbours. Between two languages: a
    short stretch joins the one it runs into, clearly closer in time (a speaker changes language
    at a pause: "Guten Morgen." right before German is German, not the English a second
    earlier); otherwise the one its own scores favour, else the closer one."""
    previous = assigned[-1] if assigned else None
    after = next((later for later in range(index + 1, len(sure)) if sure[later] is not None), None)
    following = sure[after] if after is not None else None
    if previous is None or following is None or previous == following:
        return previous or following
    scores, span = guesses[index].scores, guesses[index].span
    gap_before = span.start - guesses[index - 1].span.end
    gap_after = guesses[after].span.start - span.end  # type: ignore[index]
    if span.seconds < SURE_SECONDS and min(gap_before, gap_after) < CLEARLY_CLOSER * max(gap_before, gap_after):
        return previous if gap_before < gap_after else following
    if scores.get(previous, 0.0) != scores.get(following, 0.0):
        return max((previous, following), key=lambda code: scores.get(code, 0.0))
    return previous if gap_before <= gap_after else following


def plan(engine: SpeechEngine, samples: np.ndarray, regions: list[Span]) -> LanguagePlan:
    """Identify the language(s) of `regions` (speech found by the VAD)."""
    sampled = identify_samples(engine, samples, regions)
    if is_monolingual(sampled):
        code = sampled[0].best[0]
        return LanguagePlan([(span, code) for span in regions], rank(sampled), per_region=False)
    # Each identification is a full 30 s encoder pass, however short the stretch: identify only
    # the stretches long enough to be trusted; the others take their neighbours' language.
    long_enough = [span for span in regions if span.seconds >= MIN_SECONDS]
    heard = dict(zip(long_enough, identify(engine, samples, long_enough), strict=True))
    guesses = [heard.get(span) or Guess(span, {}) for span in regions]
    sampled_ranking = rank(sampled)
    if sampled_ranking and not any(_is_sure(guess) for guess in guesses):
        # No stretch heard alone is sure of its language (short, noisy, a telephone line): the
        # samples, which heard more speech at once, decide. A telephone-band German clip sampled
        # as German at 0.86 was otherwise subtitled in the English one 1.8 s stretch half-heard.
        code = sampled_ranking[0][0]
        return LanguagePlan([(span, code) for span in regions], sampled_ranking, per_region=False)
    return LanguagePlan(list(zip(regions, assign(guesses), strict=True)), rank(guesses), per_region=True)


def fixed(regions: list[Span], code: str) -> LanguagePlan:
    """All speech in the language the client named (no detection)."""
    seconds = sum(span.seconds for span in regions)
    return LanguagePlan([(span, code) for span in regions], [(code, seconds)], per_region=False)
