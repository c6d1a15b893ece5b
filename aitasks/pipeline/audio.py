"""Stage 2: decode the first audio track of a media file to 16 kHz mono float32."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import PipelineError

SAMPLE_RATE = 16_000


def decode_first_audio_track(path: Path, max_duration_s: float) -> np.ndarray:
    """The first audio track as 16 kHz mono samples in [-1, 1].

    The container's declared duration is checked before decoding, and the decoded length
    again while decoding (a container can lie about its duration).
    """
    import av  # heavy: loaded in the worker only

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError):
        raise PipelineError("file is not a media file") from None
    with container:
        if not container.streams.audio:
            raise PipelineError("no audio track")
        stream = container.streams.audio[0]
        declared_s = _declared_duration(container, stream)
        if declared_s is not None and declared_s > max_duration_s:
            raise PipelineError(_too_long(declared_s, max_duration_s))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        max_samples = int(max_duration_s * SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        decoded = 0
        try:
            for frame in container.decode(stream):
                frame.pts = None  # let the resampler keep its own clock across damaged timestamps
                for resampled in resampler.resample(frame):
                    decoded += _append(chunks, resampled)
                if decoded > max_samples:
                    raise PipelineError(_too_long(decoded / SAMPLE_RATE, max_duration_s))
            for resampled in resampler.resample(None):
                decoded += _append(chunks, resampled)
        except av.error.FFmpegError:
            if not chunks:
                raise PipelineError("the audio track cannot be decoded (damaged file?)") from None
            # A truncated file: keep what decoded cleanly, as players do.
    if not chunks:
        raise PipelineError("the audio track is empty")
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _append(chunks: list[np.ndarray], frame: object) -> int:
    samples = frame.to_ndarray().reshape(-1)  # type: ignore[attr-defined]
    chunks.append(samples)
    return samples.shape[0]


def _declared_duration(container: object, stream: object) -> float | None:
    if stream.duration is not None and stream.time_base is not None:  # type: ignore[attr-defined]
        return float(stream.duration * stream.time_base)  # type: ignore[attr-defined]
    if container.duration is not None:  # type: ignore[attr-defined]
        return container.duration / 1_000_000  # type: ignore[attr-defined]
    return None


def _too_long(duration_s: float, max_duration_s: float) -> str:
    return f"media longer than the limit ({duration_s / 60:.0f} min > {max_duration_s / 60:.0f} min)"


def duration_ms(samples: np.ndarray) -> int:
    return int(samples.shape[0] * 1000 / SAMPLE_RATE)
