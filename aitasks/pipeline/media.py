"""Media files read with PyAV: opening one, what its header declares, and the checks every
reader makes, so that each says the same thing about the same file.

Used by the stages that decode (audio.py, frames.py) and, through `probe`, by the paths that
check a file before keeping it (hosted videos, files sent to the speech-to-text APIs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .errors import PipelineError


class MediaInfo(NamedTuple):
    duration_ms: int | None  # None when the container does not say
    width: int | None  # of the first video track; None without one
    height: int | None


def open_container(source: Path | BinaryIO) -> Any:
    """The file (a path, or a file object open for binary reading) opened for reading (use it
    in a `with`); PipelineError when it is no media."""
    import av  # heavy: loaded where a file is read, never at import time (the worker forks)

    try:
        return av.open(str(source) if isinstance(source, Path) else source, metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError):
        raise PipelineError("file is not a media file") from None


def first_audio_track(container: Any) -> Any:
    if not container.streams.audio:
        raise PipelineError("no audio track")
    return container.streams.audio[0]


def declared_duration(container: Any, stream: Any) -> float | None:
    """Seconds, as the stream's header declares them, else the container's; None when neither
    does. A header can lie: decoders count what they decode as well."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def too_long(duration_s: float, max_duration_s: float) -> str:
    return f"media longer than the limit ({duration_s / 60:.0f} min > {max_duration_s / 60:.0f} min)"


def probe(source: Path | BinaryIO, max_duration_s: float) -> MediaInfo:
    """Duration and picture size from the container's header, without decoding when the header
    declares a duration; PipelineError when the file (a path, or a file object) is not media
    with sound, or lasts more than `max_duration_s`."""
    with open_container(source) as container:
        stream = first_audio_track(container)
        if container.duration:
            duration_ms = int(container.duration / 1000)
        else:
            duration_ms = decoded_duration_ms(container, stream, max_duration_s)
        video = container.streams.video[0] if container.streams.video else None
        width = video.codec_context.width if video else None
        height = video.codec_context.height if video else None
    if duration_ms and duration_ms > max_duration_s * 1000:
        raise PipelineError(too_long(duration_ms / 1000, max_duration_s))
    return MediaInfo(duration_ms, width or None, height or None)


def decoded_duration_ms(container: Any, stream: Any, max_duration_s: float) -> int | None:
    """How long the track lasts, counted in the samples it decodes to, for a file whose header
    declares nothing (a live stream's WebM, which a browser's MediaRecorder writes); decoding
    stops once past `max_duration_s`. None when nothing decodes."""
    import av

    seconds = 0.0
    try:
        for frame in container.decode(stream):
            if frame.sample_rate:
                seconds += frame.samples / frame.sample_rate
            if seconds > max_duration_s:
                break
    except av.error.FFmpegError:
        pass  # a truncated file: what decoded cleanly is what it holds, as the audio stage keeps
    return int(seconds * 1000) or None
