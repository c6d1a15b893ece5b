"""Whisper's known failure modes, recognised on its own output, and the policy that acts on them.

Batched decoding (one pass over many windows) skips the checks that Whisper's sequential
decoder makes on every window: a window whose text compresses too well (a repetition loop) or
whose tokens are improbable is decoded again at higher temperatures, and a window that is
probably not speech is dropped. This module holds those checks, on plain values, so that tests
can run them on recorded model outputs:

- `judge`: keep a window, drop it as non-speech, or decode it again;
- loops (aitasks/engines/repetitions.py): a phrase of 1-3 words written 4+ times in a row
  faster than anyone speaks, or over audio that does not carry it, is decoded again, and cut
  to one copy as the last resort when even the fallback loops; a repetition that was spoken
  stays;
- `is_phantom`: the phrases Whisper writes on silence, music and noise ("Thanks for watching",
  subtitle credits), in many languages; dropped only when the audio under them does not sound
  like speech (`sounds_unlike_speech`).

It also holds the policy, written once over the two operations any engine offers
(`WindowDecoder`: decode a batch of windows, decode one window alone), so that every engine
applies the same safeguards: `decode_with_safeguards`.
"""

from __future__ import annotations

import enum
import logging
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .base import SAMPLE_RATE, Segment, Word
from .repetitions import Heard, collapse_repeats, has_loop, loud_spans, runs_in
from .repetitions import repeated_runs as repeated_runs  # where callers (bench/) have always found it

logger = logging.getLogger(__name__)

# Whisper's own thresholds (openai/whisper transcribe.py, faster-whisper's defaults).
COMPRESSION_RATIO_THRESHOLD = 2.4
LOG_PROB_THRESHOLD = -1.0
NO_SPEECH_THRESHOLD = 0.6
# Below this mean word probability, or above this no-speech probability, Whisper is not
# hearing words: a phantom phrase there is dropped.
PHANTOM_WORD_PROBABILITY = 0.6
# Whisper sometimes stops after the first of several utterances in a window, or skips one in the
# middle (batched or not). The pipeline hands the engine speech with the pauses left out, so this
# much of a window without a word is speech never heard: it is decoded on its own, in at most
# UNHEARD_ROUNDS rounds per window.
UNHEARD_S = 2.5
UNHEARD_ROUNDS = 2
PHANTOM_NO_SPEECH = 0.2
# Below this mean word probability the words of a text Whisper found improbable are guesses.
GUESSED_WORD_PROBABILITY = 0.4
# Text the fallback only found by sampling (temperature > 0) over audio Whisper takes for
# non-speech at least this probably (its own cut is 0.6) must be sure of itself: applause gave
# fluent sentences at -0.9 now and then, a different one on each run.
SAMPLED_NO_SPEECH = 0.5
SAMPLED_LOG_PROB = -0.5


class Verdict(enum.Enum):
    KEEP = "keep"
    NOT_SPEECH = "not speech"  # Whisper's own rule: no-speech probable and the text improbable
    DECODE_AGAIN = "decode again"  # repetitive or improbable: fall back to the careful decoder


def compression_ratio(text: str) -> float:
    """How well the text compresses (zlib), as Whisper measures it: loops compress very well."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def unheard(clip: tuple[float, float], words: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Stretches of `clip` (seconds) longer than UNHEARD_S where none of `words` (start, end) is."""
    gaps = []
    position = clip[0]
    for start, end in sorted(words):
        if start - position > UNHEARD_S:
            gaps.append((position, start))
        position = max(position, end)
    if clip[1] - position > UNHEARD_S:
        gaps.append((position, clip[1]))
    return gaps


def judge(
    text: str, words: Sequence[str], avg_logprob: float, no_speech_prob: float, heard: Sequence[Heard] | None = None
) -> Verdict:
    """What to do with one decoded window, by Whisper's own signals; a repeated phrase is a loop
    unless `heard` (how each of `words` was heard) shows it spoken."""
    if no_speech_prob > NO_SPEECH_THRESHOLD and avg_logprob < LOG_PROB_THRESHOLD:
        return Verdict.NOT_SPEECH
    if not text.strip():
        return Verdict.KEEP
    if compression_ratio(text) > COMPRESSION_RATIO_THRESHOLD or avg_logprob < LOG_PROB_THRESHOLD:
        return Verdict.DECODE_AGAIN
    if has_loop(words, heard):
        return Verdict.DECODE_AGAIN
    return Verdict.KEEP


# --- phantom phrases ---------------------------------------------------------------------

# Whole texts Whisper is known to write where nobody speaks (YouTube outros and subtitle credits
# from its training data), normalised as `_normalize_phrase` does.
PHANTOM_PHRASES = frozenset(
    {
        # English
        "you", "thank you", "thank you very much", "thank you so much", "thanks", "thanks for watching",
        "thank you for watching", "thank you so much for watching", "thanks for watching and see you next time",
        "please subscribe", "please subscribe to my channel", "like and subscribe", "subscribe",
        "see you next time", "see you in the next video", "bye", "bye bye", "the end",
        "ha", "ha ha", "ha ha ha", "haha", "hahaha", "music", "applause", "laughter", "silence",
        "i'm sorry", "i don't know", "i don't know what that is",
        # German
        "vielen dank", "danke", "danke schön", "vielen dank fürs zuschauen", "danke fürs zuschauen",
        "bis zum nächsten mal", "tschüss", "untertitel im auftrag des zdf für funk 2017",
        "untertitel im auftrag des zdf 2017", "untertitel im auftrag des zdf 2018", "untertitel im auftrag des zdf 2020",
        "untertitel im auftrag des zdf 2021", "untertitelung des zdf 2020", "swr 2020", "swr 2021",
        # French
        "merci", "merci beaucoup", "merci d'avoir regardé", "merci d'avoir regardé cette vidéo", "sous-titrage st' 501",
        "sous-titrage société radio-canada", "à bientôt",
        # Spanish
        "gracias", "muchas gracias", "gracias por ver", "gracias por ver el video", "suscríbete",
        "subtítulos por la comunidad de amara.org", "hasta la próxima",
        # Italian
        "grazie", "grazie mille", "grazie per la visione", "sottotitoli e revisione a cura di qtss",
        # Portuguese
        "obrigado", "obrigada", "obrigado por assistir", "legendas pela comunidade amara.org",
        # Dutch
        "dank je wel", "bedankt voor het kijken", "ondertiteld door de amara.org gemeenschap",
        # Polish, Russian, Ukrainian
        "dziękuję", "dziękuję za uwagę", "спасибо", "спасибо за просмотр", "продолжение следует",
        "дякую", "дякую за перегляд",
        # Chinese, Japanese, Korean
        "谢谢", "谢谢观看", "謝謝觀看", "感谢观看", "感謝觀看", "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
        "請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目", "字幕由amara.org社区提供", "ご視聴ありがとうございました",
        "ありがとうございました", "チャンネル登録お願いします", "시청해주셔서 감사합니다", "감사합니다",
        "구독과 좋아요 부탁드립니다",
    }
)  # fmt: skip
# Parts that mark a text as a subtitle credit wherever they appear in it.
PHANTOM_MARKERS = (
    "amara.org", "amara org", "dimatorzok", "castingwords", "subtitles by", "untertitel im auftrag",
    "untertitel von", "untertitelung", "sous-titres réalisés", "sous-titrage", "subtítulos realizados",
    "sottotitoli creati", "legendas pela", "napisy stworzone", "субтитры", "редактор субтитров",
    "字幕由", "字幕志愿者", "明镜与点点", "明鏡與點點", "ご視聴", "시청해주셔서",
)  # fmt: skip


def _normalize_phrase(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().strip()
    kept = "".join(char if (char.isalnum() or char in "'.-" or char.isspace()) else " " for char in text)
    return " ".join(kept.split()).strip(" .-'")


_PHANTOMS = frozenset(_normalize_phrase(phrase) for phrase in PHANTOM_PHRASES)


def is_phantom(text: str) -> bool:
    """A text Whisper is known to invent on non-speech (the whole text, or a credit anywhere)."""
    phrase = _normalize_phrase(text)
    if not phrase:
        return False
    if phrase in _PHANTOMS or any(marker in phrase for marker in PHANTOM_MARKERS):
        return True
    # The same phantom said several times ("Thank you. Thank you.").
    sentences = [part for part in (_normalize_phrase(piece) for piece in _split_sentences(text)) if part]
    return len(sentences) > 1 and all(sentence in _PHANTOMS for sentence in sentences)


def _split_sentences(text: str) -> list[str]:
    pieces, current = [], []
    for char in text:
        current.append(char)
        if char in ".!?。！？":
            pieces.append("".join(current))
            current = []
    pieces.append("".join(current))
    return pieces


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def sounds_unlike_speech(no_speech_prob: float, word_probabilities: Sequence[float]) -> bool:
    """Whisper's signals that the audio under a text is not speech."""
    return no_speech_prob >= PHANTOM_NO_SPEECH or _mean(word_probabilities) < PHANTOM_WORD_PROBABILITY


def invented_by_the_fallback(
    text: str,
    avg_logprob: float,
    word_probabilities: Sequence[float],
    previous_text: str,
    temperature: float = 0.0,
    no_speech_prob: float = 0.0,
) -> bool:
    """Whether a text the careful decoder wrote, for a window already found improbable and over
    audio that sounds unlike speech, is invented rather than heard: improbable even now, words
    that are mostly guesses, sampled over audio that is probably not speech without being sure,
    or the sentence before it written again word for word (Whisper's sentence loop on claps,
    noise and music)."""
    if avg_logprob < LOG_PROB_THRESHOLD or _mean(word_probabilities) < GUESSED_WORD_PROBABILITY:
        return True
    if temperature > 0 and no_speech_prob >= SAMPLED_NO_SPEECH and avg_logprob < SAMPLED_LOG_PROB:
        return True
    sentence = _normalize_phrase(text)
    return bool(sentence) and sentence == _normalize_phrase(previous_text)


# --- the policy, over any engine's two operations -------------------------------------------


@dataclass(frozen=True)
class DecodedWord:
    start: float  # seconds from the start of the whole audio
    end: float
    text: str  # as the model wrote it, with its leading space where the language uses spaces
    probability: float


@dataclass(frozen=True)
class DecodedSegment:
    """A segment as a decoder wrote it, with the signals the safeguards judge it by."""

    start: float  # seconds from the start of the whole audio
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    temperature: float  # the temperature it was decoded at: above 0, the fallback sampled it
    words: tuple[DecodedWord, ...]


class WindowDecoder(Protocol):
    """What the safeguards need from an engine. `clips` are (start, end) seconds of `samples`
    (16 kHz), at most 30 s each; `options` are the engine's own, passed through untouched."""

    def decode_batch(
        self, samples: np.ndarray, clips: list[tuple[float, float]], options: Mapping[str, Any]
    ) -> Iterable[list[DecodedSegment]]:
        """Each clip's segments, one list per clip in clip order (empty where nothing was
        written), by the fast decoder that skips Whisper's checks. May come lazily, clip by clip."""
        ...

    def decode_alone(
        self, samples: np.ndarray, clip: tuple[float, float], options: Mapping[str, Any]
    ) -> list[DecodedSegment]:
        """One clip by the careful decoder: Whisper's sequential decoding with its temperature
        fallback and compression-ratio, log-probability and no-speech checks."""
        ...


def decode_with_safeguards(
    decoder: WindowDecoder, samples: np.ndarray, clips: list[tuple[float, float]], options: Mapping[str, Any]
) -> Iterator[Segment]:
    """The clips decoded as a batch, then Whisper's safeguards window by window: one that loops
    or is improbable is decoded again alone; one Whisper takes for non-speech is dropped, and so
    are phantom phrases and text the fallback invented where no speech is heard; stretches left
    without words are decoded on their own; a loop that survives is collapsed to one copy."""
    for clip, decoded in zip(clips, decoder.decode_batch(samples, clips, options), strict=True):
        yield from _heard(decoder, samples, clip, decoded, options)


def _heard(
    decoder: WindowDecoder,
    samples: np.ndarray,
    clip: tuple[float, float],
    decoded: list[DecodedSegment],
    options: Mapping[str, Any],
) -> Iterator[Segment]:
    """The window's checked words, and those of the stretches Whisper passed over (it may stop
    after the first of several utterances, or skip one), each decoded on its own."""
    segments = list(_checked(decoder, samples, clip, decoded, options))
    tried: set[tuple[float, float]] = set()
    # A window with no word at all is one Whisper heard no speech in: the same audio again
    # would give the same answer.
    for _round in range(UNHEARD_ROUNDS if segments else 0):
        times = [(word.start_ms / 1000, word.end_ms / 1000) for segment in segments for word in segment.words]
        gaps = [gap for gap in unheard(clip, times) if gap not in tried]
        if not gaps:
            break
        tried.update(gaps)
        logger.info("window %.1f-%.1f s: %d stretches without words decoded on their own", *clip, len(gaps))
        for gap, gap_decoded in zip(gaps, decoder.decode_batch(samples, gaps, options), strict=True):
            segments.extend(_checked(decoder, samples, gap, gap_decoded, options))
        segments.sort(key=lambda segment: segment.start_ms)
    # The last resort, over the whole window: a loop that survived the fallback is cut to one copy.
    words = [word for segment in segments for word in segment.words]
    heard = _heard_as(samples, clip, [(w.text, w.start_ms / 1000, w.end_ms / 1000, w.probability) for w in words])
    kept = {id(word) for word in collapse_repeats(words, _word_text, heard)}
    for segment in segments:
        words = tuple(word for word in segment.words if id(word) in kept)
        if words:
            yield Segment(words[0].start_ms, words[-1].end_ms, "".join(word.text for word in words), words)


def _checked(
    decoder: WindowDecoder,
    samples: np.ndarray,
    clip: tuple[float, float],
    decoded: list[DecodedSegment],
    options: Mapping[str, Any],
) -> Iterator[Segment]:
    """One window's segments, decoded again when they loop or are improbable; phantoms out."""
    decoded_words = [(w.text, w.start, w.end, w.probability) for segment in decoded for w in segment.words]
    text = "".join(segment.text for segment in decoded)
    avg_logprob = min((segment.avg_logprob for segment in decoded), default=0.0)
    no_speech_prob = max((segment.no_speech_prob for segment in decoded), default=0.0)
    words = [word_text for word_text, _start, _end, _probability in decoded_words]
    verdict = judge(text, words, avg_logprob, no_speech_prob, _heard_as(samples, clip, decoded_words))
    if verdict is Verdict.NOT_SPEECH:
        logger.info("window %.1f-%.1f s taken for non-speech: %s", clip[0], clip[1], text[:80])
        return
    if verdict is Verdict.DECODE_AGAIN:
        logger.info(
            "window %.1f-%.1f s decoded again (compression %.2f, log-prob %.2f, no-speech %.2f): %s",
            clip[0],
            clip[1],
            compression_ratio(text),
            avg_logprob,
            no_speech_prob,
            text[:80],
        )
        decoded = decoder.decode_alone(samples, clip, options)
    previous_text = ""
    for segment in decoded:
        kept = [word for word in segment.words if word.text.strip()]
        probabilities = [word.probability for word in kept]
        unlike_speech = sounds_unlike_speech(segment.no_speech_prob, probabilities)
        text, before = segment.text, previous_text
        previous_text = text
        if unlike_speech and is_phantom(text):
            logger.info("phantom text dropped at %.1f s: %r", segment.start, text)
            continue
        if (
            unlike_speech
            and verdict is Verdict.DECODE_AGAIN
            and invented_by_the_fallback(
                text,
                segment.avg_logprob,
                probabilities,
                before,
                temperature=segment.temperature,
                no_speech_prob=segment.no_speech_prob,
            )
        ):
            logger.info("invented text dropped at %.1f s: %r", segment.start, text)
            continue
        if not kept:
            continue
        words_out = tuple(Word(_ms(w.start), _ms(w.end), w.text, w.probability) for w in kept)
        yield Segment(words_out[0].start_ms, words_out[-1].end_ms, "".join(w.text for w in words_out), words_out)


def _heard_as(
    samples: np.ndarray, clip: tuple[float, float], words: Sequence[tuple[str, float, float, float]]
) -> list[Heard] | None:
    """How each of `words` (text, start s, end s, probability) was heard in `clip`, for telling
    a spoken repetition from a loop; None where no phrase repeats (the audio is measured only
    where it matters)."""
    if not runs_in([word_text for word_text, _start, _end, _probability in words]):
        return None
    loud = loud_spans(samples, SAMPLE_RATE, clip, [(start, end) for _text, start, end, _probability in words])
    return [
        Heard(start, end, probability, is_loud)
        for (_text, start, end, probability), is_loud in zip(words, loud, strict=True)
    ]


def _word_text(word: Word) -> str:
    return word.text


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))
