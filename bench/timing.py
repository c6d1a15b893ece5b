"""Issue 23: word start times against a reference, ours and plain faster-whisper's; cues over pauses.

References (bench/alignment.py), on the very samples both systems heard:
- English: pocketsphinx's forced alignment of the reference transcript (per utterance where the
  file is a derived concatenation, else the whole file); every aligned word whose pronunciation
  the aligner knows is a reference word.
- Other languages: the utterances of a derived concatenation (`derived/*.segments.json`), or a
  short clip as one utterance: the first word of each should start at the utterance's speech
  onset (first 30 ms above an energy threshold within the utterance: leading silence allowed).
Ours (Outcome.words) and plain's (`transcribe(audio, word_timestamps=True)`) words are matched to
the reference words by an edit-distance alignment of normalised tokens; the error of a matched
word is |its start - the reference start|.

Cue checks (ours): a cue whose first speech (energy, threshold from the speech level of its
utterance in a concatenation, else of the 20 s around it: speakers within one file differ by up
to 40 dB) comes more than the lead-in the cue rules allow (CueRules.lead_in_ms) after it appears
is shown over a pause; a cue that starts after its first word's reference start (English) is late (the
rules allow CueRules.lag_ms when the cue before needs the time); in a concatenation, a cue that
starts in the gap between two utterances more than the lead-in before the next one's speech.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from alignment import (
    cue_first_words,
    force_align,
    frame_levels,
    match,
    percentile,
    speech_onset,
    speech_threshold,
    tokens_of,
)

RATE = 16_000
TARGET_MEDIAN_MS = 80
TARGET_P90_MS = 250
TARGET_RATIO = 0.8
WORST_SHOWN = 2
LOCAL_S = 20  # seconds of audio around a cue that set its speech threshold


@dataclass
class FileTiming:
    name: str
    kind: str  # "words" (forced alignment) or "onsets" (each utterance's first word)
    references: int = 0
    ours: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    cues: int = 0
    # cue start, lead ms (None: no speech under the cue), text
    over_pause: list[tuple[int, int | None, str]] = field(default_factory=list)
    late: list[tuple[int, int, str]] = field(default_factory=list)  # beyond lag_ms
    late_any: int = 0
    in_gap: list[tuple[int, int, str]] = field(default_factory=list)
    seconds: float = 0.0


def utterances_of(speech_dir: Path, name: str) -> list[tuple[int, int, str]] | None:
    """(start ms, end ms, reference) per utterance of a derived concatenation, or None."""
    path = speech_dir / Path(name).with_suffix(".segments.json")
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    segments = data["segments"] if isinstance(data, dict) else data
    return [
        (round(s["start"] * 1000), round(s["end"] * 1000), s.get("reference") or s.get("text", "")) for s in segments
    ]


def time_file(
    name: str,
    language: str,
    reference: str,
    utterances: list[tuple[int, int, str]] | None,
    heard: np.ndarray,
    our_words: list,
    plain_words: list[tuple[int, int, str]],
    cues: list,
) -> FileTiming:
    """`language`: ISO 639-1 as in the manifest; `plain_words`: (start ms, end ms, text)."""
    from textnorm import normalize

    from aitasks.pipeline import subtitles

    started = time.perf_counter()
    spoken = [word for word in our_words if word.text.strip()]
    ours = tokens_of([(word.start_ms, word.text) for word in spoken], language)
    plain = tokens_of([(start, text) for start, _end, text in plain_words], language)
    levels = frame_levels(heard)
    duration_ms = len(heard) * 1000 // RATE
    parts = utterances or [(0, duration_ms, reference)]
    english = language == "en"
    result = FileTiming(name, "words" if english else "onsets")

    # Reference tokens with their start (ms) and whether they are scored.
    ref_tokens: list[str] = []
    ref_starts: list[int] = []
    ref_scored: list[bool] = []
    onsets = []  # each utterance's speech onset, on its own threshold
    thresholds = [speech_threshold(levels[start // 10 : end // 10]) for start, end, _text in parts]
    for (start, end, _text), threshold in zip(parts, thresholds, strict=True):
        onset = speech_onset(levels, threshold, start, end)
        onsets.append(onset if onset is not None else start)
    for (start, end, text), onset in zip(parts, onsets, strict=True):
        tokens = normalize(text, language)
        if english:
            aligned = force_align(heard[start * RATE // 1000 : end * RATE // 1000], tokens, offset_ms=start)
            ref_tokens += [word.text for word in aligned]
            ref_starts += [word.start_ms for word in aligned]
            ref_scored += [word.scored for word in aligned]
        else:
            ref_tokens += tokens
            ref_starts += [onset] * len(tokens)
            ref_scored += [True] + [False] * (len(tokens) - 1)

    matched_ours: dict[int, int] = {}  # our token -> reference start
    for side, (tokens, starts, _words, firsts) in (("ours", ours), ("plain", plain)):
        errors = result.ours if side == "ours" else result.plain
        for i, j in match(ref_tokens, tokens):
            if ref_scored[i] and firsts[j]:
                errors.append(abs(starts[j] - ref_starts[i]))
                if side == "ours":
                    matched_ours[j] = ref_starts[i]
    result.references = sum(ref_scored)

    # Cues shown over a pause, late cues, cues in the gap between utterances.
    first_token_of_word = {}
    for index, word_index in enumerate(ours[2]):
        first_token_of_word.setdefault(word_index, index)
    result.cues = len(cues)
    for cue, first in zip(cues, cue_first_words(cues, spoken), strict=True):
        rules = subtitles.rules_for(cue.language)
        if utterances:  # the threshold of the utterance the cue starts in (or before)
            part = next((i for i, (_s, end, _t) in enumerate(parts) if cue.start_ms < end), len(parts) - 1)
            threshold = thresholds[part]
        else:
            threshold = local_threshold(levels, cue.start_ms)
        onset = speech_onset(levels, threshold, cue.start_ms, cue.end_ms)
        lead = None if onset is None else onset - cue.start_ms
        if lead is None or lead > rules.lead_in_ms:
            result.over_pause.append((cue.start_ms, lead, cue.text))
        token = first_token_of_word.get(first) if first is not None else None
        if english and token is not None and token in matched_ours:
            late = cue.start_ms - matched_ours[token]
            result.late_any += late > 0
            if late > rules.lag_ms:
                result.late.append((cue.start_ms, late, cue.text))
        if utterances:
            for (_start, gap_start, _text), next_onset in zip(parts, onsets[1:], strict=False):
                if gap_start <= cue.start_ms < next_onset - rules.lead_in_ms:
                    result.in_gap.append((cue.start_ms, next_onset - cue.start_ms, cue.text))
    result.seconds = time.perf_counter() - started
    return result


def local_threshold(levels: np.ndarray, at_ms: int) -> float:
    """The speech threshold of the LOCAL_S around `at_ms`: speakers' levels differ by up to 40 dB
    within one file (FLEURS en's utterances), so a file-wide threshold hears no quiet speaker."""
    half = LOCAL_S * 100 // 2  # frames
    frame = at_ms // 10
    return speech_threshold(levels[max(0, frame - half) : frame + half])


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def ratio(ours: float | None, plain: float | None) -> str:
    return "-" if ours is None or not plain else f"{ours / plain:.2f}"


def print_section(results: list[FileTiming]) -> None:
    from aitasks.cues import format_timestamp

    if not results:
        return
    print(
        "\nword timing (issue 23): |start error| ms against the reference (en: pocketsphinx forced alignment; "
        "others: each utterance's speech onset vs its first word)"
    )
    width = max(len(r.name) for r in results)
    header = (
        f"{'file':<{width}} {'ref':<6} {'words':>5} {'matched o/p':>11} {'median o/p':>11} {'p90 o/p':>11} "
        f"{'ratio med/p90':>13} {'cues':>4} {'pause':>5} {'late':>9} {'gap':>3}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        om, pm = percentile(r.ours, 50), percentile(r.plain, 50)
        o9, p9 = percentile(r.ours, 90), percentile(r.plain, 90)
        late = f"{len(r.late)}({r.late_any})" if r.kind == "words" else "-"
        gap = str(len(r.in_gap)) if r.in_gap or r.name.startswith("derived/") else "-"
        print(
            f"{r.name:<{width}} {r.kind:<6} {r.references:>5} {len(r.ours):>5}/{len(r.plain):<5} "
            f"{ms(om):>5}/{ms(pm):<5} {ms(o9):>5}/{ms(p9):<5} {ratio(om, pm):>6}/{ratio(o9, p9):<6} "
            f"{r.cues:>4} {len(r.over_pause):>5} {late:>9} {gap:>3}"
        )
    print(
        "  pause: cues whose first speech comes more than the lead-in (CueRules.lead_in_ms) after they appear; "
        "late: cues starting more than CueRules.lag_ms after their first word's reference start (in brackets: after it at all); "
        "gap: cues starting in a pause between utterances more than the lead-in before the next one's speech"
    )
    for kind, label in (
        ("words", "words vs forced alignment (en)"),
        ("onsets", "utterance onsets (other languages)"),
        (None, "all"),
    ):
        chosen = [r for r in results if kind is None or r.kind == kind]
        ours = [e for r in chosen for e in r.ours]
        plain = [e for r in chosen for e in r.plain]
        if not ours:
            continue
        om, o9, pm, p9 = percentile(ours, 50), percentile(ours, 90), percentile(plain, 50), percentile(plain, 90)
        omean = statistics.fmean(ours)
        pmean = statistics.fmean(plain) if plain else None
        line = (
            f"  {label}: ours {len(ours)} words, median {ms(om)} ms, p90 {ms(o9)} ms, mean {ms(omean)} ms; "
            f"plain {len(plain)} words, median {ms(pm)}, p90 {ms(p9)}, mean {ms(pmean)}; "
            f"ratio median {ratio(om, pm)}, p90 {ratio(o9, p9)}, mean {ratio(omean, pmean)}"
        )
        print(line)
        if kind is None:

            def verdict(met: bool) -> str:
                return "met" if met else "MISSED"

            med_ratio = om / pm if pm else float("inf")
            p90_ratio = o9 / p9 if p9 else float("inf")
            print(
                f"  targets: median ≤ {TARGET_MEDIAN_MS} ms: {verdict(om <= TARGET_MEDIAN_MS)}; "
                f"p90 ≤ {TARGET_P90_MS} ms: {verdict(o9 <= TARGET_P90_MS)}; "
                f"ours ≤ {TARGET_RATIO} × plain (median): {verdict(med_ratio <= TARGET_RATIO)}, "
                f"(p90): {verdict(p90_ratio <= TARGET_RATIO)}"
            )
    cues = sum(r.cues for r in results)
    pause = sum(len(r.over_pause) for r in results)
    late = sum(len(r.late) for r in results)
    gap = sum(len(r.in_gap) for r in results)
    print(f"  cues over a pause: {pause}/{cues}; late beyond lag: {late}; in a gap: {gap} (targets 0)")
    for r in results:
        worst = sorted(r.over_pause, key=lambda item: -(item[1] if item[1] is not None else 10**9))[:WORST_SHOWN]
        for start, lead, text in worst:
            shown = "no speech under it" if lead is None else f"speech {lead} ms after it appears"
            print(f"    pause {r.name} {format_timestamp(start)}: {shown}: {text[:60]!r}")
        for start, late_ms, text in sorted(r.late, key=lambda item: -item[1])[:WORST_SHOWN]:
            print(f"    late  {r.name} {format_timestamp(start)}: {late_ms} ms after its first word: {text[:60]!r}")
        for start, before, text in sorted(r.in_gap, key=lambda item: -item[1])[:WORST_SHOWN]:
            print(
                f"    gap   {r.name} {format_timestamp(start)}: {before} ms before the next utterance's speech: {text[:60]!r}"
            )
