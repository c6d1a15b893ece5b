"""A fast stand-in for the speech engine, for tests of everything around the model.

It "hears" a fixed sentence per clip, with evenly spread word times, so the stages after the
model (cues, results, progress, failures) can be tested in milliseconds. It lives in tests/
only; the real engine runs end to end in test_worker.py and test_service.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from aitasks.engines.base import Segment, Word

SENTENCE = "Hello from the fake engine, which hears the same words every time."


class FakeEngine:
    name = "fake"
    loads = 0

    @classmethod
    def from_settings(cls) -> FakeEngine:
        return cls()

    def load(self) -> None:
        FakeEngine.loads += 1

    def detect_languages(self, clips: list[np.ndarray]) -> list[dict[str, float]]:
        return [{"en": 0.9, "de": 0.1} for _clip in clips]

    def transcribe(
        self, samples: np.ndarray, clips: list[tuple[float, float]], language: str, task: str
    ) -> Iterator[Segment]:
        for start, end in clips:
            words = SENTENCE.split()
            step = (end - start) * 1000 / len(words)
            timed = tuple(
                Word(int(start * 1000 + i * step), int(start * 1000 + (i + 1) * step), " " + word)
                for i, word in enumerate(words)
            )
            yield Segment(timed[0].start_ms, timed[-1].end_ms, SENTENCE, timed)


class FakeTranslator:
    """Stands in for an operator's translation model (none can be installed here): it marks
    each sentence with the target language, so tests see which text went through it."""

    calls: list[list[str]] = []

    def __init__(self, source: str, target: str, directory: object) -> None:
        self.source, self.target = source, target

    def translate(self, sentences: list[str]) -> list[str]:
        FakeTranslator.calls.append(list(sentences))
        return [f"[{self.target}] {sentence}" for sentence in sentences]
