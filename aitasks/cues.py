"""Subtitle cues and their text formats: WebVTT and SRT, written and read.

A cue's times are integer milliseconds everywhere in the service; they become text only here
(and in the API's `to_dict()`). Subtitle files that users upload (WebVTT or SRT) are read
here too: validated, and stored as WebVTT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .languages import UNSPACED_LANGUAGES

MAX_BYTES = 5 * 1024 * 1024  # Gcore's limit on an uploaded subtitle file


@dataclass(frozen=True)
class Cue:
    """One subtitle (a task's result stores it through aitasks.results.TaskJSON)."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    language: str  # ISO-639-2/B; "" when not known (a file read without its track's language)
    speaker: str = ""  # who speaks it, where speakers are known
    settings: str = ""  # WebVTT cue settings as written after the times ("line:0 align:start")

    @property
    def text(self) -> str:
        return " ".join(self.lines) if self.language not in UNSPACED_LANGUAGES else "".join(self.lines)


def full_text(cues: list[Cue]) -> str:
    return " ".join(cue.text for cue in cues).strip()


# --- timestamps ------------------------------------------------------------------------------


class InvalidSubtitles(ValueError):
    """Subtitle text that cannot be read; the message says what is wrong, for the user."""


# Hours have at most 6 digits (114 years): int() never meets a number of thousands of digits.
_TIME = r"(?:\d{1,6}:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMESTAMP = re.compile(r"^(?:(?P<hours>\d{1,6}):)?(?P<minutes>\d{1,2}):(?P<seconds>\d{2})[.,](?P<millis>\d{1,3})$")
_TIMING = re.compile(rf"^(?P<start>{_TIME})\s+-->\s+(?P<end>{_TIME})(?:\s+(?P<settings>.*))?$")


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
        settings = f" {cue.settings}" if cue.settings else ""
        timing = f"{format_timestamp(cue.start_ms)} --> {format_timestamp(cue.end_ms)}{settings}"
        parts.append(f"{number}\n{timing}\n{lines}\n\n")
    return "".join(parts)


def render_srt(cues: list[Cue]) -> str:
    parts = []
    for number, cue in enumerate(cues, start=1):
        start = format_timestamp(cue.start_ms).replace(".", ",")
        end = format_timestamp(cue.end_ms).replace(".", ",")
        parts.append(f"{number}\n{start} --> {end}\n" + "\n".join(cue.lines) + "\n\n")
    return "".join(parts)


# --- reading ---------------------------------------------------------------------------------


def parse_vtt(text: str, language: str = "") -> list[Cue]:
    """The cues of a WebVTT text in `language` (the track's, ISO-639-2/B: the cue rules follow
    it), their text as written but for the escapes render_vtt writes (`&amp;`, `&lt;`, `&gt;`),
    with their cue settings (position, line, align...); markup such as `<v Anna>` is kept.
    NOTE, STYLE and REGION blocks are skipped. InvalidSubtitles says what is wrong."""
    text = _normal_text(text)
    first_line, _, body = text.partition("\n")
    if first_line != "WEBVTT" and not first_line.startswith(("WEBVTT ", "WEBVTT\t")):
        raise InvalidSubtitles("a WebVTT file starts with the line WEBVTT")
    cues = _parse_blocks(body, skip=("NOTE", "STYLE", "REGION"), language=language)
    return [replace(cue, lines=tuple(_unescape_vtt(line) for line in cue.lines)) for cue in cues]


def parse_srt(text: str, language: str = "") -> list[Cue]:
    """The cues of an SRT text in `language`. InvalidSubtitles says what is wrong."""
    # What some SRT files write after the times (X1:… Y2:… pixel boxes) is no WebVTT setting.
    return [replace(cue, settings="") for cue in _parse_blocks(_normal_text(text), skip=(), language=language)]


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


def _parse_blocks(body: str, skip: tuple[str, ...], language: str) -> list[Cue]:
    """Cues from blank-line separated blocks: an optional identifier line, a `start --> end`
    line (with optional WebVTT settings after it, kept), then the text lines."""
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
        settings = " ".join((match["settings"] or "").split())
        cues.append(Cue(start, end, tuple(lines[timing_index + 1 :]) or ("",), language, settings=settings))
    return cues
