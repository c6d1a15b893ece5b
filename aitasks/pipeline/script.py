"""Chinese in one script per task (OpenCC, the PyPI package `opencc`).

Whisper writes Chinese in Simplified or Traditional characters from one window to the next, as
its training data did. Every Chinese word of a task is converted to one script: the one the
task asks for (its `chinese_script`), else the operator's AITASKS_CHINESE_SCRIPT (Simplified by
default):

- `simplified` (default): OpenCC `t2s`;
- `traditional`: OpenCC `s2t` (OpenCC's standard Traditional characters);
- `taiwan` / `hongkong`: Traditional with Taiwan's (`s2tw`) or Hong Kong's (`s2hk`) variants.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from .transcribe import TimedWord

CHINESE = "chi"
# Script name → OpenCC configuration. From Traditional the variants start at Simplified, so a
# mixed text lands in one script whatever it was written in.
SCRIPTS = {
    "simplified": ("t2s",),
    "traditional": ("t2s", "s2t"),
    "taiwan": ("t2s", "s2tw"),
    "hongkong": ("t2s", "s2hk"),
}


class UnknownScript(ValueError):
    pass


@functools.cache
def _converters(script: str) -> tuple[object, ...]:
    if script not in SCRIPTS:
        raise UnknownScript(f"unknown Chinese script {script!r}: use one of {', '.join(SCRIPTS)}")
    import opencc

    return tuple(opencc.OpenCC(config) for config in SCRIPTS[script])


def convert(text: str, script: str) -> str:
    for converter in _converters(script):
        text = converter.convert(text)  # type: ignore[attr-defined]
    return text


def one_script(words: list[TimedWord], script: str) -> list[TimedWord]:
    """`words` with every Chinese word written in `script`; other languages untouched."""
    return [replace(word, text=convert(word.text, script)) if word.language == CHINESE else word for word in words]
