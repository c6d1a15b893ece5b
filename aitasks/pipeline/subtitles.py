"""Stage 7: words → subtitle cues → WebVTT.

Cues are rebuilt from word timestamps by broadcast rules, all in this module:

- at most 2 lines of at most 42 characters (16 for Chinese and Korean, 13 for Japanese);
- a cue lasts between 5/6 s and 7 s, and is read at no more than 20 characters per second:
  it is held after its last word until read, and one still too short for its text appears up
  to 0.5 s before its first word, or takes up to 0.25 s from a neighbour that can spare it
  (CueRules' sync bounds: a cue is never shown long before or after its words);
- cues are cut where it costs least (`_cue_cost`): at a sentence end first, then at a pause,
  then after a comma or before a new clause, never inside a word, and not after a word that
  needs the next one (an article, a preposition: phrases.py), each with the time to be read; a
  long pause or a change of language always ends a cue; lines break by the same preferences;
- consecutive cues are at least 2 frames (80 ms) apart.

Times are integer milliseconds; the cues' text formats (WebVTT, SRT) are in aitasks/cues.py.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .. import languages
from ..cues import Cue
from ..languages import UNSPACED_LANGUAGES
from . import phrases
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
    # How far a cue's times may stray from its words' to give it the time to be read: it may
    # appear up to lead_in_ms before its first word (in the pause before it, or taking time from
    # the cue before), start up to lag_ms after its first word when the cue before needs that
    # time, and end up to cut_ms before its last word ends when the cue after needs it.
    lead_in_ms: int = 500
    lag_ms: int = 250
    cut_ms: int = 250
    language: str = ""  # ISO-639-2/B: whose phrase rules apply (phrases.py)

    @property
    def max_chars(self) -> int:
        return self.max_line_chars * self.max_lines

    def reading_ms(self, text: str) -> int:
        """How long `text` must stay on screen: its reading time, within the duration limits."""
        reading = int(len(text) * 1000 / self.max_chars_per_second)
        return min(max(self.min_duration_ms, reading), self.max_duration_ms)


SENTENCE_ENDS = tuple(".!?…。！？")
CLAUSE_ENDS = tuple(",;:，、；：—")


def rules_for(language: str) -> CueRules:
    return CueRules(
        max_line_chars=languages.max_line_chars(language, default=CueRules.max_line_chars), language=language
    )


# --- building cues -------------------------------------------------------------------------


def join_words(words: list[TimedWord]) -> str:
    """The words as Whisper spells them: each carries its own leading space where one belongs
    ("all" "-in" "-half" → "all-in-half", " 3" ".5" → "3.5", CJK without spaces)."""
    return "".join(word.text for word in words).strip()


# Symbols that open what follows them: written alone, they belong to the next word.
OPENING_SYMBOLS = tuple("«„“‘¿¡([{「『（【\"'")


def continues(words: list[TimedWord], index: int) -> bool:
    """True when words[index + 1] is the rest of words[index]'s word ("-in" after "all", ".5"
    after "3"), or a symbol that goes with it (French and German write "12 %", "3,5 €", "Quoi ?"
    and "« oui »" with spaces): no cue and no line may break between them."""
    if index + 1 >= len(words):
        return False
    text, following = words[index].text, words[index + 1].text
    if not following:
        return False
    if _symbols_only(following) and not following.lstrip().startswith(OPENING_SYMBOLS):
        return True
    if _symbols_only(text) and text.strip().endswith(OPENING_SYMBOLS):
        return True
    if words[index].language in UNSPACED_LANGUAGES:
        # Words are written without spaces: only what is not written in wide characters ("12%",
        # "3.5", "C++") runs on from one word to the next.
        return bool(text) and not _is_wide(text[-1]) and not _is_wide(following[0]) and not following[0].isspace()
    return not following[0].isspace()


def _symbols_only(text: str) -> bool:
    return bool(text.strip()) and not any(char.isalnum() for char in text)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def build_cues(words: list[TimedWord]) -> list[Cue]:
    spoken: list[Cue] = []  # each cue first spans its words' times exactly
    blocks = _blocks(words)
    for index, block in enumerate(blocks):
        rules = rules_for(block[0].language)
        # The pauses around the block: a cue at its edge may use part of them.
        before_ms = block[0].start_ms - (blocks[index - 1][-1].end_ms if index else 0)
        after_ms = blocks[index + 1][0].start_ms - block[-1].end_ms if index + 1 < len(blocks) else None
        for group in _split_block(block, rules, before_ms, after_ms):
            spoken.append(Cue(group[0].start_ms, group[-1].end_ms, _wrap_words(group, rules), group[0].language))
    return _retime(spoken)


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
    """How good a place it is to end a cue after words[index] (higher is better, at most 3.5):
    a sentence end, a pause, a comma; not after a word that needs the next one ("und zum",
    "of the": phrases.py), even where the speaker paused after it; better before a new clause."""
    text = words[index].text.strip()
    following = words[index + 1].text if index + 1 < len(words) else ""
    pause = words[index + 1].start_ms - words[index].end_ms if index + 1 < len(words) else 10_000
    score = 0.0
    if _ends_sentence(words[index]):
        score = 3.0
    elif phrases.binds_forward(text, rules.language):
        score = -BINDING_BREAK_COST  # even before a pause: a speaker's hesitation, not a phrase end
    elif pause >= rules.pause_break_ms:
        score = 2.0
    elif text.endswith(CLAUSE_ENDS):
        score = 1.0
    elif following and phrases.opens_clause(following, rules.language):
        score = CLAUSE_START_BONUS
    return score + min(pause, 2000) / 4000  # among equals, the longer pause wins


def _ends_sentence(word: TimedWord) -> bool:
    return word.text.strip().endswith(SENTENCE_ENDS)


BEST_BREAK = 3.5  # _break_score's highest
BINDING_BREAK_COST = 1.5  # ending a cue on "the" or "zum": worse than any other break but inside a word
CLAUSE_START_BONUS = 0.5  # a break before "and", "dass", "which": the next best thing to a comma
CUE_COST = 1.0  # each cue costs this much: fewer, fuller cues are easier to follow
LOOSE_START_COST = 1.0  # a cue ends with the start of a new sentence
RULE_COST = 10.0  # a cue that cannot be read in its time, or flashes by, costs more than any break
INSIDE_WORD_COST = 1000.0  # only when a word is too long to end anywhere else


def _split_block(
    block: list[TimedWord], rules: CueRules, before_ms: int = 0, after_ms: int | None = None
) -> list[list[TimedWord]]:
    """The cheapest way to cut `block` into cues that fit, by `_cue_cost` (dynamic programming
    over where each cue ends): few cues, ending at sentence ends, pauses or commas, each with the
    time to be read. `before_ms` and `after_ms` are the pauses around the block (None: no end)."""
    costs = [0.0] + [float("inf")] * len(block)  # costs[end]: the cheapest cues for block[:end]
    starts = [0] * (len(block) + 1)  # where the last of those cues starts
    for start in range(len(block)):
        for end in range(start + 1, len(block) + 1):
            # One word always makes a cue, even one too long for a line (it breaks the rule whole).
            if end > start + 1 and not _fits(block[start:end], rules):
                break
            cost = costs[start] + _cue_cost(block, start, end, rules, before_ms, after_ms)
            if cost < costs[end]:
                costs[end], starts[end] = cost, start
    groups: list[list[TimedWord]] = []
    end = len(block)
    while end:
        groups.append(block[starts[end] : end])
        end = starts[end]
    return groups[::-1]


def _cue_cost(
    block: list[TimedWord], start: int, end: int, rules: CueRules, before_ms: int, after_ms: int | None
) -> float:
    """What a cue of block[start:end] costs: the cue itself, where it ends, and how fast it must
    be read in the time it can expect (`_retime` gives the final times)."""
    cost = CUE_COST
    if end < len(block):
        cost += BEST_BREAK - _break_score(block, end - 1, rules)
        if continues(block, end - 1):
            cost += INSIDE_WORD_COST
    if not _ends_sentence(block[end - 1]) and any(_ends_sentence(word) for word in block[start : end - 1]):
        cost += LOOSE_START_COST
    # The time the cue can be shown: from a lead-in into the pause before its first word to the
    # next cue's lead-in, within the duration limits.
    pause_before = block[start].start_ms - block[start - 1].end_ms if start else before_ms
    first = block[start].start_ms - _lead_in(pause_before, rules)
    if end < len(block):
        pause_after = block[end].start_ms - block[end - 1].end_ms
    else:
        pause_after = rules.max_duration_ms if after_ms is None else after_ms
    last = block[end - 1].end_ms + pause_after - _lead_in(pause_after, rules) - rules.min_gap_ms
    shown_ms = min(max(1, last - first), rules.max_duration_ms)
    text = join_words(block[start:end])
    speed = len(text) * 1000 / shown_ms / rules.max_chars_per_second  # 1.0: as fast as the rules allow
    if shown_ms < rules.reading_ms(text):
        return cost + RULE_COST + speed
    return cost + speed**2  # among cues that can be read, even speeds are easiest


def _lead_in(pause_ms: int, rules: CueRules) -> int:
    """The lead-in a cue after a pause of `pause_ms` can expect: half the pause (the cue before
    may hold into the other half), at most `lead_in_ms`."""
    return max(0, min(rules.lead_in_ms, (pause_ms - rules.min_gap_ms) // 2))


BINDING_LINE_COST = 12  # characters of imbalance worth keeping "the" with its noun


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
        elif phrases.binds_forward(first.rsplit(maxsplit=1)[-1] if " " in first else first, rules.language):
            cost += BINDING_LINE_COST
        elif second and phrases.opens_clause(second.split(maxsplit=1)[0], rules.language):
            cost -= 4
        if best is None or cost < best[0]:
            best = (cost, position)
    if best is None:
        return (text,)
    # A text longer than two lines can hold (one enormous word) keeps its words and breaks the rule.
    return (text[: best[1]].strip(), text[best[1] :].strip())


def _retime(spoken: list[Cue]) -> list[Cue]:
    """Times for cues that span their words' times (`spoken`): each is held long enough to be
    read and keeps its gap to the next; one that is still too short for its text borrows time
    within the sync bounds of CueRules, never from a cue that would then be too short itself."""
    timeline = _Timeline(spoken)
    for _ in range(2):  # a cue helped late in the first round can help its neighbour in the second
        for index in range(len(spoken)):
            if timeline.deficit(index) > 0:
                timeline.lead_in(index)
            if timeline.deficit(index) > 0:
                timeline.take_from_previous(index, cut_ms=0)
            if timeline.deficit(index) > 0:
                timeline.take_from_next(index)
            if timeline.deficit(index) > 0:
                timeline.take_from_previous(index, cut_ms=timeline.rules[index - 1].cut_ms if index else 0)
    return [
        Cue(start, end, cue.lines, cue.language)
        for cue, start, end in zip(spoken, timeline.starts, timeline.ends, strict=True)
    ]


class _Timeline:
    """Cue times being balanced: starts[i] and ends[i] of spoken[i]."""

    def __init__(self, spoken: list[Cue]) -> None:
        self.spoken = spoken
        self.rules = [rules_for(cue.language) for cue in spoken]
        self.need = [rules.reading_ms(cue.text) for cue, rules in zip(spoken, self.rules, strict=True)]
        self.starts: list[int] = []
        self.ends: list[int] = []
        for index, cue in enumerate(spoken):
            rules = self.rules[index]
            start = cue.start_ms
            if index:  # words with overlapping times (or a language change at one instant) must not overlap on screen
                start = max(start, self.ends[-1] + self.gap(index - 1))
            # Held after the last word until read, into the pause before the next cue.
            end = min(max(cue.end_ms, start + self.need[index]), start + rules.max_duration_ms)
            if index + 1 < len(spoken):
                end = min(end, spoken[index + 1].start_ms - self.gap(index))
            self.starts.append(start)
            self.ends.append(max(end, start + 1))

    def gap(self, index: int) -> int:
        """The gap after cue `index`."""
        return self.rules[index].min_gap_ms

    def deficit(self, index: int) -> int:
        return self.need[index] - (self.ends[index] - self.starts[index])

    def earliest_start(self, index: int) -> int:
        """As early as cue `index` may start without touching the cue before: in its lead-in."""
        earliest = max(0, self.spoken[index].start_ms - self.rules[index].lead_in_ms)
        return max(earliest, self.ends[index - 1] + self.gap(index - 1)) if index else earliest

    def lead_in(self, index: int) -> None:
        """Start earlier, into the free time before the first word, only as much as needed."""
        wanted = self.ends[index] - self.need[index]
        self.starts[index] = min(self.starts[index], max(self.earliest_start(index), wanted))

    def take_from_previous(self, index: int, cut_ms: int) -> None:
        """End the cue before earlier (it leads in itself if it can), at most `cut_ms` before its
        last word ends, while it keeps its reading time; then lead this cue in."""
        if not index:
            return
        before = index - 1
        earliest_end = max(
            self.spoken[before].end_ms - cut_ms,
            self.earliest_start(before) + self.need[before],
            # This cue cannot use more than its own lead-in.
            self.spoken[index].start_ms - self.rules[index].lead_in_ms - self.gap(before),
        )
        end = max(earliest_end, self.ends[index] - self.need[index] - self.gap(before))
        if end < self.ends[before]:
            self.ends[before] = end
            self.starts[before] = min(self.starts[before], max(self.earliest_start(before), end - self.need[before]))
            self.lead_in(index)

    def take_from_next(self, index: int) -> None:
        """Start the next cue later, at most `lag_ms` after its first word, while it keeps its
        reading time (it holds longer into the time after it if it can); end this one later."""
        after = index + 1
        if after == len(self.spoken):
            return
        latest = self.spoken[after].start_ms + self.rules[after].lag_ms
        if after + 1 < len(self.spoken):
            latest = min(latest, self.starts[after + 1] - self.gap(after) - self.need[after])
        start = min(latest, self.starts[index] + self.need[index] + self.gap(index))
        if start > self.starts[after]:
            self.starts[after] = start
            self.ends[after] = max(self.ends[after], start + self.need[after])
            self.ends[index] = start - self.gap(index)


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
