"""Stage 6: subtitles in another language than the one spoken.

- To English: Whisper translates while it decodes (task="translate"), with the shipped model.
- Other pairs: a text translation model the operator installed (aitasks/engines/translation.py)
  translates Whisper's text sentence by sentence, directly (`ger>fre`) or through English
  (`eng>fre`: Whisper translates German speech to English first).
- Anything else fails with a reason naming the pair, and `/streaming/ai/info` says
  `supported: false` for it. No made-up translations, no online services.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import languages
from ..engines.translation import TextTranslator, installed
from ..languages import UNSPACED_LANGUAGES
from .errors import PipelineError
from .subtitles import SENTENCE_ENDS, join_words
from .transcribe import TimedWord

ENGLISH = "eng"


class UnsupportedTranslation(PipelineError):
    pass


@dataclass(frozen=True)
class Plan:
    """How to get text in `target` from speech in `source`."""

    source: str  # ISO-639-2/B
    target: str
    whisper_task: str = "transcribe"  # or "translate": Whisper writes English
    text_translator: TextTranslator | None = None  # then applied to Whisper's text

    @property
    def whisper_output(self) -> str:
        """The language of the text Whisper writes."""
        return ENGLISH if self.whisper_task == "translate" else self.source


def plan(source: str, target: str | None) -> Plan:
    if not target or target == source:
        return Plan(source, source)
    translators = installed()
    if (source, target) in translators:
        return Plan(source, target, text_translator=translators[(source, target)])
    if target == ENGLISH:
        return Plan(source, target, whisper_task="translate")
    if (ENGLISH, target) in translators:
        task = "transcribe" if source == ENGLISH else "translate"
        return Plan(source, target, whisper_task=task, text_translator=translators[(ENGLISH, target)])
    raise UnsupportedTranslation(f"translation {source} => {target} is not supported by this installation")


def is_supported(audio_language: str | None, subtitles_language: str | None) -> bool:
    """True if this installation transcribes `audio_language` (and translates it if asked)."""
    try:
        source = languages.normalize(audio_language) if audio_language else None
        target = languages.normalize(subtitles_language) if subtitles_language else None
    except languages.UnknownLanguage:
        return False
    if source is None:
        # Spoken language detected: every source must reach the target (through English).
        return target is None or target == ENGLISH or (ENGLISH, target) in installed()
    try:
        plan(source, target)
    except UnsupportedTranslation:
        return False
    return True


def targets() -> list[str]:
    """The languages this installation can translate subtitles into: English (Whisper itself)
    and the target of every installed model, by name."""
    codes = {ENGLISH} | {target for _source, target in installed()}
    return sorted(codes, key=lambda code: languages.get(code).name)


def refusal(audio_language: str | None, subtitles_language: str | None) -> str | None:
    """Why this installation cannot write `subtitles_language` from `audio_language` speech
    (None when it can), in words for people rather than the API's pair notation."""
    if is_supported(audio_language, subtitles_language):
        return None
    target = languages.get(subtitles_language or "").name if subtitles_language else "that language"
    offered = ", ".join(languages.get(code).name for code in targets())
    sources = sorted(source for source, pair_target in installed() if pair_target == subtitles_language)
    if not sources:
        return f"This installation cannot translate into {target}; it translates into {offered}."
    names = " or ".join(languages.get(code).name for code in sources)
    if not audio_language:
        return f"Translation into {target} works from {names} speech only: choose the audio language."
    return f"This installation cannot translate {languages.get(audio_language).name} into {target}, only {names}."


def sentences(words: list[TimedWord]) -> list[list[TimedWord]]:
    """Words grouped into sentences (translation models work sentence by sentence)."""
    groups: list[list[TimedWord]] = [[]]
    for word in words:
        groups[-1].append(word)
        if word.text.strip().endswith(SENTENCE_ENDS):
            groups.append([])
    return [group for group in groups if group]


def translate_words(words: list[TimedWord], translator: TextTranslator) -> list[TimedWord]:
    """The translation of `words`, each sentence spread over the time its original took.

    Word times inside a translated sentence are estimated by character share: subtitles are
    cut from them, and a translation has no word-for-word timing.
    """
    groups = sentences(words)
    translated = translator.translate([join_words(group) for group in groups])
    result: list[TimedWord] = []
    for group, text in zip(groups, translated, strict=True):
        result.extend(_spread(text, group[0].start_ms, group[-1].end_ms, translator.target))
    return result


def _spread(text: str, start_ms: int, end_ms: int, language: str) -> list[TimedWord]:
    unspaced = language in UNSPACED_LANGUAGES
    tokens = list(text.replace(" ", "")) if unspaced else text.split()
    total = sum(len(token) for token in tokens) or 1
    words, position = [], 0
    for token in tokens:
        begin = start_ms + (end_ms - start_ms) * position // total
        position += len(token)
        spelled = token if unspaced else " " + token  # as Whisper writes words: its own leading space
        words.append(TimedWord(begin, start_ms + (end_ms - start_ms) * position // total, spelled, language))
    return words
