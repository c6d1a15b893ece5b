"""Subtitle cues and their text formats: WebVTT and SRT, written and read.

A cue's times are integer milliseconds everywhere in the service; they become text only here
(and in the API's `to_dict()`). Subtitle files that users upload (WebVTT or SRT) are read
here too: validated, and stored as WebVTT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from .languages import UNSPACED_LANGUAGES

MAX_BYTES = 5 * 1024 * 1024  # Gcore's limit on an uploaded subtitle file


class CueDict(TypedDict):
    """A cue as a task's result stores it."""

    start: int
    end: int
    lines: list[str]
    language: str


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    language: str  # ISO-639-2/B; "" when not known (a cue read from a file)

    @property
    def text(self) -> str:
        return " ".join(self.lines) if self.language not in UNSPACED_LANGUAGES else "".join(self.lines)

    def to_dict(self) -> CueDict:
        return {"start": self.start_ms, "end": self.end_ms, "lines": list(self.lines), "language": self.language}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cue:
        # Results stored before cues had a language have none.
        return cls(data["start"], data["end"], tuple(data["lines"]), data.get("language", ""))


def full_text(cues: list[Cue]) -> str:
    return " ".join(cue.text for cue in cues).strip()


# --- timestamps ------------------------------------------------------------------------------


class InvalidSubtitles(ValueError):
    """Subtitle text that cannot be read; the message says what is wrong, for the user."""


# Hours have at most 6 digits (114 years): int() never meets a number of thousands of digits.
_TIME = r"(?:\d{1,6}:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMESTAMP = re.compile(r"^(?:(?P<hours>\d{1,6}):)?(?P<minutes>\d{1,2}):(?P<seconds>\d{2})[.,](?P<millis>\d{1,3})$")
_TIMING = re.compile(rf"^(?P<start>{_TIME})\s+-->\s+(?P<end>{_TIME})(?:\s+.*)?$")


def format_timestamp(ms: int) -> str:
    """`HH:MM:SS.mmm`, as WebVTT writes it (SRT writes a comma for the dot)."""
    hours, rest = divmod(max(0, ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def parse_timestamp(text: str) -> int:
    """Milliseconds for a WebVTT or SRT timestamp: `[hours:]MM:SS.mmm`, or a comma for the dot."""
    match = _TIMESTAMP.match(text.strip())
    if not match:
        raise InvalidSubtitles(f"bad timestamp {text.strip()!r}: expected hours:minutes:seconds.milliseconds")
    hours = int(match["hours"] or 0)
    seconds = (hours * 60 + int(match["minutes"])) * 60 + int(match["seconds"])
    return seconds * 1000 + int(match["millis"].ljust(3, "0"))  # ".5" is 500 ms


# --- writing ---------------------------------------------------------------------------------


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape_vtt(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_vtt(cues: list[Cue]) -> str:
    parts = ["WEBVTT\n\n"]
    for number, cue in enumerate(cues, start=1):
        lines = "\n".join(_escape_vtt(line) for line in cue.lines)
        parts.append(f"{number}\n{format_timestamp(cue.start_ms)} --> {format_timestamp(cue.end_ms)}\n{lines}\n\n")
    return "".join(parts)


def render_srt(cues: list[Cue]) -> str:
    parts = []
    for number, cue in enumerate(cues, start=1):
        start = format_timestamp(cue.start_ms).replace(".", ",")
        end = format_timestamp(cue.end_ms).replace(".", ",")
        parts.append(f"{number}\n{start} --> {end}\n" + "\n".join(cue.lines) + "\n\n")
    return "".join(parts)


# --- reading ---------------------------------------------------------------------------------


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT text, their text as written but for the escapes render_vtt writes
    (`&amp;`, `&lt;`, `&gt;`); markup such as `<v Anna>` is kept. NOTE, STYLE and REGION
    blocks are skipped. InvalidSubtitles says what is wrong."""
    text = _normal_text(text)
    first_line, _, body = text.partition("\n")
    if first_line != "WEBVTT" and not first_line.startswith(("WEBVTT ", "WEBVTT\t")):
        raise InvalidSubtitles("a WebVTT file starts with the line WEBVTT")
    cues = _parse_blocks(body, skip=("NOTE", "STYLE", "REGION"))
    return [Cue(cue.start_ms, cue.end_ms, tuple(_unescape_vtt(line) for line in cue.lines), "") for cue in cues]


def parse_srt(text: str) -> list[Cue]:
    """The cues of an SRT text. InvalidSubtitles says what is wrong."""
    return _parse_blocks(_normal_text(text), skip=())


def to_vtt(text: str) -> str:
    """WebVTT for an uploaded WebVTT or SRT text: a WebVTT text is kept as it is, an SRT one
    converted. InvalidSubtitles says what is wrong."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidSubtitles("subtitles larger than 5 MB")
    text = _normal_text(text)
    if text.startswith("WEBVTT"):
        if not parse_vtt(text):
            raise InvalidSubtitles("the WebVTT file has no cues")
        return text if text.endswith("\n") else text + "\n"
    if text[:1].isdigit():
        cues = parse_srt(text)
        if not cues:
            raise InvalidSubtitles("the SRT file has no cues")
        return render_vtt(cues)
    raise InvalidSubtitles("subtitles must be WebVTT (starting with WEBVTT) or SRT (starting with a cue number)")


def _normal_text(text: str) -> str:
    """Without a byte-order mark or leading blank lines, with \\n line ends."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").lstrip()


def _parse_blocks(body: str, skip: tuple[str, ...]) -> list[Cue]:
    """Cues from blank-line separated blocks: an optional identifier line, a `start --> end`
    line (with optional WebVTT settings after it), then the text lines."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or lines[0].startswith(skip):
            continue
        timing_index = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing_index is None:
            raise InvalidSubtitles(f"cue {len(cues) + 1}: no 'start --> end' line")
        match = _TIMING.match(lines[timing_index].strip())
        if not match:
            raise InvalidSubtitles(f"cue {len(cues) + 1}: bad timing line {lines[timing_index].strip()!r}")
        start, end = parse_timestamp(match["start"]), parse_timestamp(match["end"])
        if end < start:
            raise InvalidSubtitles(f"cue {len(cues) + 1}: ends before it starts")
        cues.append(Cue(start, end, tuple(lines[timing_index + 1 :]) or ("",), ""))
    return cues
