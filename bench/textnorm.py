"""Text normalisation and word (or character) error rate, for the speech benches.

Both sides go through `normalize` before `error_rate`: lower case, punctuation removed, British
spellings mapped to American for English (faster-whisper's own benchmark map), and Chinese,
Japanese and Korean split into characters, so their rate is a character error rate.
Numbers are left as they are ("1455" and "fourteen fifty-five" count as different words).
"""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
SPELLING_MAP = next(
    (
        path
        for path in (
            _ROOT.parent / "shared/speech/faster-whisper/benchmark_normalizer.json",
            _ROOT.parent.parent / "shared/speech/faster-whisper/benchmark_normalizer.json",
        )
        if path.exists()
    ),
    _ROOT.parent / "shared/speech/faster-whisper/benchmark_normalizer.json",
)
# ISO 639-1, 639-2/B and Whisper codes alike: scored by characters, not words.
CHARACTER_LANGUAGES = frozenset({"zh", "ja", "ko", "chi", "jpn", "kor", "yue"})
ENGLISH = frozenset({"en", "eng"})
# Apostrophes join ("don't" → "dont"); all other punctuation separates words.
_JOINING = frozenset("'’ʼ`")


@functools.cache
def spelling_map() -> dict[str, str]:
    """British → American spellings; absent map → no mapping (the bench still runs)."""
    if not SPELLING_MAP.exists():
        return {}
    pairs = json.loads(SPELLING_MAP.read_text(encoding="utf-8"))
    return {british: american for british, american in pairs.items() if " " not in british}


def normalize(text: str, language: str = "") -> list[str]:
    """The tokens to compare: words, or characters for Chinese, Japanese and Korean."""
    text = unicodedata.normalize("NFKC", text).lower()
    kept = []
    for char in text:
        if char in _JOINING:
            continue
        category = unicodedata.category(char)
        kept.append(" " if category[0] in "PSZC" else char)
    words = "".join(kept).split()
    if language in CHARACTER_LANGUAGES:
        return [char for word in words for char in word]
    if language in ENGLISH:
        mapping = spelling_map()
        words = [mapping.get(word, word) for word in words]
    return words


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance over tokens (substitutions, deletions, insertions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_token in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_token in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_token != hyp_token))
        previous = current
    return previous[-1]


def error_rate(reference: str, hypothesis: str, language: str = "") -> float:
    """WER (CER for zh/ja/ko) of `hypothesis` against `reference`, both normalised here."""
    ref = normalize(reference, language)
    hyp = normalize(hypothesis, language)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def is_character_language(language: str) -> bool:
    return language in CHARACTER_LANGUAGES
