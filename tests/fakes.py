"""What cannot exist on this machine, for the tests: a translation model.

No CTranslate2 translation model (OPUS-MT, NLLB) can be installed here (nothing outside the
package registries is reachable), so the translation-engine interface is exercised with a
stand-in that marks each sentence. Speech recognition always uses the real engine.
"""

from __future__ import annotations


class FakeTranslator:
    """Stands in for an operator's translation model (none can be installed here): it marks
    each sentence with the target language, so tests see which text went through it. Each
    instance keeps the sentences it was given (`calls`): a test reads them from the instance
    the installation made (aitasks.engines.translation.installed()), never from the class."""

    def __init__(self, source: str, target: str, directory: object) -> None:
        self.source, self.target = source, target
        self.calls: list[list[str]] = []

    def translate(self, sentences: list[str]) -> list[str]:
        self.calls.append(list(sentences))
        return [f"[{self.target}] {sentence}" for sentence in sentences]
