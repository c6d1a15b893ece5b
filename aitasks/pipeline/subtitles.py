"""Stage 7: words → subtitle cues → WebVTT.

Cues are rebuilt from word timestamps by broadcast rules, all in this module:

- at most 2 lines of at most 42 characters (16 for Chinese and Korean, 13 for Japanese);
- a cue lasts between 5/6 s and 7 s, and is read at no more than 20 characters per second
  (a cue's end is held on screen longer when the next cue leaves room);
- a cue breaks at a sentence end first, then at a pause, then after a comma, never inside a
  word; a long pause or a change of language always ends a cue;
- consecutive cues are at least 2 frames (80 ms) apart.

Times are integer milliseconds; the cues' text formats (WebVTT, SRT) are in aitasks/cues.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import languages
from ..cues import Cue
from ..languages import UNSPACED_LANGUAGES
from .transcribe import TimedWord


@dataclass(frozen=True)
class CueRules:
    max_line_chars: int = 42
    max_lines: int = 2
    min_duration_ms: int = 833
    max_duration_ms: int = 7000
    max_chars_per_second: float = 20.0
    min_gap_ms: int = 80
    pause_break_ms: int = 300  # a pause this long is a good place to break
    hard_break_ms: int = 1500  # a pause this long always ends a cue

    @property
    def max_chars(self) -> int:
        return self.max_line_chars * self.max_lines


SENTENCE_ENDS = tuple(".!?…。！？")
CLAUSE_ENDS = tuple(",;:，、；：—")


def rules_for(language: str) -> CueRules:
    return CueRules(max_line_chars=languages.max_line_chars(language, default=CueRules.max_line_chars))


# --- building cues -------------------------------------------------------------------------


def join_words(words: list[TimedWord]) -> str:
    """The words as Whisper spells them: each carries its own leading space where one belongs
    ("all" "-in" "-half" → "all-in-half", " 3" ".5" → "3.5", CJK without spaces)."""
    return "".join(word.text for word in words).strip()


def continues(words: list[TimedWord], index: int) -> bool:
    """True when words[index + 1] is the rest of words[index]'s word ("-in" after "all"):
    no cue and no line may break between them."""
    if index + 1 >= len(words) or words[index].language in UNSPACED_LANGUAGES:
        return False
    following = words[index + 1].text
    return bool(following) and not following[0].isspace()


def build_cues(words: list[TimedWord]) -> list[Cue]:
    cues: list[Cue] = []
    for block in _blocks(words):
        rules = rules_for(block[0].language)
        for group in _split_block(block, rules):
            cues.append(Cue(group[0].start_ms, group[-1].end_ms, _wrap_words(group, rules), group[0].language))
    return _retime(cues)


def _wrap_words(words: list[TimedWord], rules: CueRules) -> tuple[str, ...]:
    return wrap_lines(join_words(words), rules, _word_ends(words))


def _word_ends(words: list[TimedWord]) -> list[int]:
    """Where a line may break in `join_words(words)`: after each word but the last that is not
    continued by the next. Unspaced languages need this: their text alone does not show where
    words end."""
    lead = len(words[0].text) - len(words[0].text.lstrip()) if words else 0
    ends: list[int] = []
    position = -lead
    for index, word in enumerate(words[:-1]):
        position += len(word.text)
        if not continues(words, index):
            ends.append(len(word.text.rstrip()) - len(word.text) + position)
    return ends


def _blocks(words: list[TimedWord]) -> list[list[TimedWord]]:
    """Runs of words that no cue may span: split at language changes and long pauses."""
    blocks: list[list[TimedWord]] = []
    for word in words:
        if not word.text.strip():
            continue
        if blocks:
            previous = blocks[-1][-1]
            hard_pause = word.start_ms - previous.end_ms >= rules_for(word.language).hard_break_ms
            if word.language == previous.language and not hard_pause:
                blocks[-1].append(word)
                continue
        blocks.append([word])
    return blocks


def _fits(words: list[TimedWord], rules: CueRules) -> bool:
    if words[-1].end_ms - words[0].start_ms > rules.max_duration_ms:
        return False
    if len(join_words(words)) > rules.max_chars:
        return False
    # Short enough overall is not enough: the words must also break into lines that fit.
    return all(len(line) <= rules.max_line_chars for line in _wrap_words(words, rules))


def _break_score(words: list[TimedWord], index: int, rules: CueRules) -> float:
    """How good a place it is to end a cue after words[index] (higher is better)."""
    text = words[index].text.strip()
    pause = words[index + 1].start_ms - words[index].end_ms if index + 1 < len(words) else 10_000
    score = 0.0
    if text.endswith(SENTENCE_ENDS):
        score = 3.0
    elif pause >= rules.pause_break_ms:
        score = 2.0
    elif text.endswith(CLAUSE_ENDS):
        score = 1.0
    return score + min(pause, 2000) / 4000  # among equals, the longer pause wins


def _split_block(block: list[TimedWord], rules: CueRules) -> list[list[TimedWord]]:
    groups: list[list[TimedWord]] = []
    start = 0
    while start < len(block):
        end = start + 1  # words[start:end] fits; grow it as far as the rules allow
        while end < len(block) and _fits(block[start : end + 1], rules):
            end += 1
        if end < len(block):
            end = _best_break(block, start, end, rules)
        while start + 1 < end < len(block) and continues(block, end - 1):
            end -= 1  # never end a cue inside a word
        groups.append(block[start:end])
        start = end
    return groups


def _best_break(block: list[TimedWord], start: int, end: int, rules: CueRules) -> int:
    """Where to end the cue that could hold block[start:end]: returns the new `end`."""
    full = len(join_words(block[start:end]))
    best_end, best_score = end, _break_score(block, end - 1, rules)
    for candidate in range(end - 1, start, -1):
        # Do not leave a stub: a cue keeps at least 40 % of what it could hold.
        if len(join_words(block[start:candidate])) < 0.4 * full:
            break
        score = _break_score(block, candidate - 1, rules)
        if score > best_score + 0.5 and not continues(block, candidate - 1):
            best_end, best_score = candidate, score
    return best_end


def wrap_lines(text: str, rules: CueRules, breaks: Sequence[int] | None = None) -> tuple[str, ...]:
    """One line if it fits, else the most balanced break into two (never inside a word).

    `breaks` are the positions where words end; without them, a text with spaces breaks at a
    space and one without at any character.
    """
    if len(text) <= rules.max_line_chars:
        return (text,)
    if breaks is not None:
        positions: Sequence[int] = [position for position in breaks if 0 < position < len(text)]
    elif " " in text:
        positions = [i for i, char in enumerate(text) if char == " "]
    else:
        positions = range(1, len(text))
    best: tuple[float, int] | None = None
    for position in positions:
        first, second = text[:position].strip(), text[position:].strip()
        overflow = max(0, len(first) - rules.max_line_chars) + max(0, len(second) - rules.max_line_chars)
        cost = overflow * 100 + abs(len(first) - len(second))
        if first.endswith(SENTENCE_ENDS + CLAUSE_ENDS):
            cost -= 8
        if best is None or cost < best[0]:
            best = (cost, position)
    if best is None:
        return (text,)
    # A text longer than two lines can hold (one enormous word) keeps its words and breaks the rule.
    return (text[: best[1]].strip(), text[best[1] :].strip())


def _retime(cues: list[Cue]) -> list[Cue]:
    """Hold cues long enough to read, keep the gap between cues, never overlap."""
    timed: list[Cue] = []
    for index, cue in enumerate(cues):
        rules = rules_for(cue.language)
        start = cue.start_ms
        if timed:  # words with overlapping times (or a language change at one instant) must not overlap on screen
            start = max(start, timed[-1].end_ms + rules_for(timed[-1].language).min_gap_ms)
        reading_ms = max(rules.min_duration_ms, int(len(cue.text) * 1000 / rules.max_chars_per_second))
        end = max(cue.end_ms, start + min(reading_ms, rules.max_duration_ms))
        end = min(end, start + rules.max_duration_ms)  # one word drawn out longer than a cue may last
        if index + 1 < len(cues):
            end = min(end, cues[index + 1].start_ms - rules.min_gap_ms)
        timed.append(Cue(start, max(end, start + 1), cue.lines, cue.language))
    return timed


# --- checking -----------------------------------------------------------------------------


RULES_CHECKED = ("too_long_lines", "too_many_lines", "too_short", "too_long", "too_fast", "too_close")


def rule_breaks(cues: list[Cue], index: int) -> dict[str, bool]:
    """Which rules cues[index] breaks."""
    cue = cues[index]
    rules = rules_for(cue.language)
    duration = cue.end_ms - cue.start_ms
    return {
        "too_long_lines": any(len(line) > rules.max_line_chars for line in cue.lines),
        "too_many_lines": len(cue.lines) > rules.max_lines,
        "too_short": duration < rules.min_duration_ms,
        "too_long": duration > rules.max_duration_ms,
        "too_fast": len(cue.text) > rules.max_chars_per_second * duration / 1000 + 0.5,
        "too_close": index + 1 < len(cues) and cues[index + 1].start_ms - cue.end_ms < rules.min_gap_ms,
    }


def quality_report(cues: list[Cue]) -> dict[str, int]:
    """How many cues break each rule, and how many keep them all."""
    report = {"cues": len(cues), "within_rules": 0} | {rule: 0 for rule in RULES_CHECKED}
    for index in range(len(cues)):
        breaks = rule_breaks(cues, index)
        for rule, broken in breaks.items():
            report[rule] += broken
        report["within_rules"] += not any(breaks.values())
    return report
