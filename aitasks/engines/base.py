from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

# What every engine hears: mono samples at 16 kHz (the pipeline's audio stage decodes to it).
SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Word:
    start_ms: int
    end_ms: int
    text: str  # as the model wrote it, with its leading space where the language uses spaces
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]


class EngineError(Exception):
    """The engine cannot run (bad model files, wrong settings): an operator must act."""


class SpeechEngine(Protocol):
    name: str

    @classmethod
    def from_settings(cls) -> SpeechEngine: ...

    def load(self) -> None: ...

    def detect_languages(self, samples: np.ndarray, clips: list[tuple[float, float]]) -> list[dict[str, float]]:
        """For each clip (start, end in seconds, at most 30 s) of `samples` (16 kHz): language
        code (ISO-639-2/B, only the languages of `aitasks.languages`) → probability.

        An engine may keep what it computed for these clips (the encoder's output) for a later
        `transcribe` of the same clips of the same samples, so that no window is encoded twice.
        """
        ...

    def transcribe(
        self,
        samples: np.ndarray,
        clips: list[tuple[float, float]],
        language: str,
        task: str,
        prompt: str = "",
        temperature: float = 0.0,
    ) -> Iterator[Segment]:
        """Decode each clip (start, end in seconds, at most 30 s) of `samples` in `language`.

        `language` is an ISO-639-2/B code: each engine maps it to its model's own codes.
        `task` is "transcribe" or "translate" (to English). `prompt` is text the model reads
        before each window (names and spellings to expect, as OpenAI's `prompt`); `temperature`
        the sampling temperature decoding starts from (0: the most likely words, higher only
        where a window fails Whisper's checks). Segments come in time order, with word
        timestamps relative to the whole audio.
        """
        ...
