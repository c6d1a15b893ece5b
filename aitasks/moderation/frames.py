"""Content moderation, stage 2: sample frames of the first video track with PyAV.

The rate scales with the duration: one frame a second, and past `max_frames` seconds,
`max_frames` frames evenly spaced over the whole video (a 10-minute video with the default
600: every second; an hour: every 6 s). The container's duration decides the spacing; a
container that declares none is sampled every second up to `max_frames` frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..pipeline import media
from ..pipeline.errors import PipelineError

# Sampled frames are scaled down to fit this box: every model here looks at 320 px or less.
MAX_SIDE = 640


@dataclass(frozen=True)
class SampledFrame:
    frame_number: int  # index of the frame in the video track, from 0
    time_ms: int
    image: Any  # PIL.Image.Image, RGB


def interval_s(duration_s: float | None, max_frames: int) -> float:
    """Seconds between two sampled frames for a video of `duration_s`."""
    if not duration_s or duration_s <= max_frames:
        return 1.0
    return duration_s / max_frames


def sample_frames(path: Path, max_duration_s: float, max_frames: int) -> Iterator[SampledFrame]:
    """Yield frames of the first video track, `interval_s` apart, decoding it once in order.

    PipelineError (the task fails with it) when the file is no media, has no video track,
    is longer than `max_duration_s`, or has no frame that decodes.
    """
    import av  # heavy: loaded in the worker only

    with media.open_container(path) as container:
        stream = _first_video_track(container)
        if stream is None:
            raise PipelineError("no video track: content moderation needs a video")
        duration_s = media.declared_duration(container, stream)
        if duration_s is not None and duration_s > max_duration_s:
            raise PipelineError(media.too_long(duration_s, max_duration_s))
        stream.thread_type = "AUTO"
        step = interval_s(duration_s, max_frames)
        next_time = 0.0
        yielded = 0
        index = -1
        try:
            for frame in container.decode(stream):
                index += 1
                time_s = float(frame.time) if frame.time is not None else index / float(stream.average_rate or 25)
                if time_s > max_duration_s:
                    raise PipelineError(f"media longer than the limit ({max_duration_s / 60:.0f} min)")
                if time_s + 1e-6 < next_time:
                    continue
                yield SampledFrame(index, max(0, round(time_s * 1000)), _to_image(frame))
                yielded += 1
                if yielded >= max_frames:
                    break
                next_time = max(next_time + step, time_s + step / 2)
        except av.error.FFmpegError:
            if not yielded:
                raise PipelineError("the video track cannot be decoded (damaged file?)") from None
            # A truncated file: keep what decoded cleanly, as players do.
    if not yielded:
        raise PipelineError("the video track has no frames")


def video_duration(path: Path) -> float | None:
    """The declared duration of the first video track, None when unknown or unreadable."""
    try:
        with media.open_container(path) as container:
            stream = _first_video_track(container)
            return media.declared_duration(container, stream) if stream is not None else None
    except PipelineError:
        return None  # sample_frames names the problem


def _first_video_track(container: Any) -> Any:
    from av.stream import Disposition

    for stream in container.streams.video:
        # Cover art in an audio file is a one-picture "video" stream: not a video.
        if not stream.disposition & Disposition.attached_pic:
            return stream
    return None


def _to_image(frame: Any) -> Any:
    width, height = frame.width, frame.height
    scale = min(1.0, MAX_SIDE / max(width, height))
    size = (max(2, round(width * scale)), max(2, round(height * scale)))
    return frame.to_image(width=size[0], height=size[1])
