"""What a test may assert about real model output: enough of the key words, not one exact word.

Whisper's wording of the same audio varies with the machine (CPU kernels, thread counts, int8
rounding): Spanish "tiempo" comes out as "weather" on one machine and "time" on another. A
test asserts that most of the words that carry the meaning were heard, which holds everywhere.
"""

from __future__ import annotations

import re
import unicodedata


def words_of(text: str) -> set[str]:
    folded = unicodedata.normalize("NFC", text).casefold()
    return set(re.findall(r"\w+", folded))


def share_heard(text: str, key_words: str) -> float:
    """The share of `key_words` (space separated) that occur as whole words in `text`."""
    wanted = words_of(key_words)
    return len(wanted & words_of(text)) / len(wanted)


def assert_heard(text: str, key_words: str, share: float = 0.6) -> None:
    heard = share_heard(text, key_words)
    missing = sorted(words_of(key_words) - words_of(text))
    assert heard >= share, f"heard {heard:.0%} of the key words (missing {missing}) in: {text!r}"
