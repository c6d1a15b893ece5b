"""Subtitle files that users upload: WebVTT or SRT, validated and stored as WebVTT."""

from __future__ import annotations

import re

from .pipeline.subtitles import Cue, render_vtt

MAX_BYTES = 5 * 1024 * 1024  # Gcore's limit
# Hours have at most 6 digits (114 years): int() never meets a number of thousands of digits.
_TIMING = re.compile(
    r"^(?P<start>(?:\d{1,6}:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+(?P<end>(?:\d{1,6}:)?\d{1,2}:\d{2}[.,]\d{1,3})(?:\s+.*)?$"
)


class InvalidSubtitles(ValueError):
    pass


def to_vtt(text: str) -> str:
    """WebVTT for an uploaded WebVTT or SRT text; InvalidSubtitles says what is wrong."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidSubtitles("subtitles larger than 5 MB")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.lstrip()
    if stripped.startswith("WEBVTT"):
        first_line = stripped.split("\n", 1)[0]
        if first_line not in ("WEBVTT",) and not first_line.startswith(("WEBVTT ", "WEBVTT\t")):
            raise InvalidSubtitles("a WebVTT file starts with the line WEBVTT")
        cues = parse_cues(stripped.split("\n", 1)[1] if "\n" in stripped else "", allow_headers=True)
        if not cues:
            raise InvalidSubtitles("the WebVTT file has no cues")
        return stripped if stripped.endswith("\n") else stripped + "\n"
    if stripped[:1].isdigit():
        cues = parse_cues(stripped, allow_headers=False)
        if not cues:
            raise InvalidSubtitles("the SRT file has no cues")
        return render_vtt(cues)
    raise InvalidSubtitles("subtitles must be WebVTT (starting with WEBVTT) or SRT (starting with a cue number)")


def parse_cues(body: str, allow_headers: bool) -> list[Cue]:
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if allow_headers and lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_index = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_index is None:
            raise InvalidSubtitles(f"cue {len(cues) + 1}: no 'start --> end' line")
        match = _TIMING.match(lines[timing_index].strip())
        if not match:
            raise InvalidSubtitles(f"cue {len(cues) + 1}: bad timing line {lines[timing_index].strip()!r}")
        start, end = _ms(match["start"]), _ms(match["end"])
        if end < start:
            raise InvalidSubtitles(f"cue {len(cues) + 1}: ends before it starts")
        cues.append(Cue(start, end, tuple(lines[timing_index + 1 :]) or ("",), ""))
    return cues


def _ms(value: str) -> int:
    value = value.replace(",", ".")
    parts = value.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return int(round((hours * 3600 + minutes * 60 + seconds) * 1000))
