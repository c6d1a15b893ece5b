"""Stage 2: decode the first audio track of a media file to 16 kHz mono float32.

Memory: the decoded audio is one float32 array, 4 bytes × 16,000 samples per second (64 KB
per second, 921.6 MB for the default 4-hour AITASKS_MAX_DURATION_S), plus one decoded frame
while decoding. The limit counts decoded samples, so a small file that declares a long
duration at a tiny sample rate stops at the limit, not at the end of the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engines.base import SAMPLE_RATE
from . import media
from .errors import PipelineError

# Telephone audio (8 kHz) is the least that carries intelligible speech. A lower rate is a
# file made to blow up: 112 KB at 8 Hz declare 3.9 hours, 900 MB once resampled.
MIN_SAMPLE_RATE = 8_000


def decode_first_audio_track(path: Path, max_duration_s: float) -> np.ndarray:
    """The first audio track as 16 kHz mono samples in [-1, 1].

    The container's declared duration is checked before decoding, and the decoded length
    again while decoding (a container can lie about its duration).
    """
    import av  # heavy: loaded in the worker only

    with media.open_container(path) as container:
        stream = media.first_audio_track(container)
        _check_sample_rate(stream.codec_context.sample_rate)
        declared_s = media.declared_duration(container, stream)
        if declared_s is not None and declared_s > max_duration_s:
            raise PipelineError(media.too_long(declared_s, max_duration_s))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        max_samples = int(max_duration_s * SAMPLE_RATE)
        expected_s = declared_s if declared_s is not None else 60.0
        audio = Samples(min(int((expected_s + 1) * SAMPLE_RATE), max_samples), max_samples)
        try:
            for frame in container.decode(stream):
                _check_sample_rate(frame.sample_rate)  # a stream may change its rate mid-way
                frame.pts = None  # let the resampler keep its own clock across damaged timestamps
                for resampled in resampler.resample(frame):
                    audio.append(resampled.to_ndarray().reshape(-1))
                    if audio.length > max_samples:
                        raise PipelineError(media.too_long(audio.length / SAMPLE_RATE, max_duration_s))
            for resampled in resampler.resample(None):
                audio.append(resampled.to_ndarray().reshape(-1))
        except av.error.FFmpegError:
            if not audio.length:
                raise PipelineError("the audio track cannot be decoded (damaged file?)") from None
            # A truncated file: keep what decoded cleanly, as players do.
    if not audio.length:
        raise PipelineError("the audio track is empty")
    return audio.finish()


class Samples:
    """A float32 buffer filled piece by piece, grown and trimmed in place (realloc, which
    moves pages rather than copying them), so that the audio never exists twice."""

    def __init__(self, capacity: int, limit: int) -> None:
        self._buffer = np.empty(max(capacity, 1), dtype=np.float32)
        self._limit = limit  # past it the caller stops: never grow much beyond
        self.length = 0

    def append(self, piece: np.ndarray) -> None:
        end = self.length + piece.shape[0]
        if end > self._buffer.shape[0]:
            self._buffer.resize(max(end, min(self._buffer.shape[0] * 3 // 2, self._limit)), refcheck=False)
        self._buffer[self.length : end] = piece
        self.length = end

    def finish(self) -> np.ndarray:
        self._buffer.resize(self.length, refcheck=False)
        return self._buffer


def _check_sample_rate(rate: int | None) -> None:
    if rate is not None and 0 < rate < MIN_SAMPLE_RATE:
        raise PipelineError(
            f"the audio's sample rate ({rate} Hz) is too low for speech (at least {MIN_SAMPLE_RATE} Hz)"
        )


def duration_ms(samples: np.ndarray) -> int:
    return int(samples.shape[0] * 1000 / SAMPLE_RATE)
