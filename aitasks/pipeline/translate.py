"""Stage 6: subtitles in another language than the one spoken.

To English, Whisper translates while it decodes (task="translate"), with the shipped model.
No other pair is offered: a task that asks for one fails with a reason naming the pair, and
`/streaming/ai/info` answers `supported: false` for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import languages
from .errors import PipelineError

WHISPER_TRANSLATION_TARGET = "eng"


class UnsupportedTranslation(PipelineError):
    pass


@dataclass(frozen=True)
class Plan:
    """How to produce text in the wanted language from speech in `source`."""

    source: str  # ISO-639-2/B
    target: str  # ISO-639-2/B
    whisper_task: str  # "transcribe" or "translate"


def plan(source: str, target: str | None) -> Plan:
    if not target or target == source:
        return Plan(source, source, "transcribe")
    if target == WHISPER_TRANSLATION_TARGET:
        return Plan(source, target, "translate")
    raise UnsupportedTranslation(f"translation {source} => {target} is not supported by this installation")


def is_supported(audio_language: str | None, subtitles_language: str | None) -> bool:
    """True if this installation transcribes `audio_language` (and translates it if asked)."""
    try:
        source = languages.normalize(audio_language) if audio_language else None
        target = languages.normalize(subtitles_language) if subtitles_language else None
    except languages.UnknownLanguage:
        return False
    if source is None:
        # Any spoken language, auto-detected: supported when the target can be reached from any.
        return target is None or target == WHISPER_TRANSLATION_TARGET
    try:
        plan(source, target)
    except UnsupportedTranslation:
        return False
    return True
