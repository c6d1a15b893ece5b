"""Test media the project makes itself: speech from espeak-ng, muxed into MP4 with PyAV."""

from __future__ import annotations

import functools
import gzip
import subprocess
import wave
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

RATE = 16_000


def speak(text: str, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """espeak-ng's speech for `text` as 16 kHz mono float32."""
    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text], check=True, capture_output=True
    ).stdout
    with wave.open(_BytesReader(raw)) as wav:  # type: ignore[arg-type]
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    return resample(samples, rate, RATE)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples
    positions = np.arange(0, len(samples) * target / rate) * rate / target
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


@functools.cache
def gzip_bomb(inflated_mib: int = 1024) -> bytes:
    """Zeros gzipped twice: about 2 KB that inflate to `inflated_mib` MiB when a client
    decodes `Content-Encoding: gzip, gzip`.

    A full flush resets the compressor, so every MiB of zeros compresses to the same bytes:
    one is compressed and repeated, which takes a fraction of a second instead of seconds.
    """
    zeros = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate, framed below
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(inflated_mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip, deflate, no name, no time
    trailer = crc.to_bytes(4, "little") + ((inflated_mib << 20) & 0xFFFFFFFF).to_bytes(4, "little")
    inner = header + block * inflated_mib + deflate.flush() + trailer
    return gzip.compress(inner, 9)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def tone(seconds: float, frequency: float = 440.0, level: float = 0.3) -> np.ndarray:
    times = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * frequency * times)).astype(np.float32)


def laughter(seconds: float, seed: int = 0) -> np.ndarray:
    """Laughter-like sound: bouts of voiced "ha" bursts (a glottal pulse train through /a/
    formants, breathy noise), 4-5 bursts a second with falling pitch, bouts a second or so apart."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE), dtype=np.float64)
    position = int(0.3 * RATE)
    while position < len(out) - RATE:
        pitch = rng.uniform(220, 320)
        for _burst in range(int(rng.integers(4, 9))):
            length = int(rng.uniform(0.09, 0.15) * RATE)
            times = np.arange(length) / RATE
            phase = np.cumsum(np.full(length, pitch) / RATE)
            pulses = np.sign(np.sin(2 * np.pi * phase)) * 0.5 + rng.standard_normal(length) * 0.35
            voiced = _formants(pulses, (800, 1200, 2500))
            envelope = np.sin(np.pi * times / times[-1]) ** 2
            start = position
            if start + length >= len(out):
                break
            out[start : start + length] += voiced * envelope
            position += length + int(rng.uniform(0.06, 0.12) * RATE)
            pitch *= rng.uniform(0.9, 0.98)
        position += int(rng.uniform(0.6, 1.4) * RATE)
    return _normalise(out, 0.3)


def applause(seconds: float, seed: int = 0) -> np.ndarray:
    """Applause-like sound: many hand claps (short band-passed noise bursts) at random times."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE), dtype=np.float64)
    clap_length = int(0.012 * RATE)
    decay = np.exp(-np.arange(clap_length) / (0.003 * RATE))
    for start in rng.integers(0, len(out) - clap_length, int(seconds * 40)):
        out[start : start + clap_length] += rng.standard_normal(clap_length) * decay * rng.uniform(0.3, 1.0)
    return _normalise(_formants(out, (1000, 2200)), 0.3)


def _formants(signal: np.ndarray, frequencies: tuple[int, ...], bandwidth: float = 120.0) -> np.ndarray:
    """`signal` through two-pole resonators at `frequencies` (a crude vocal tract)."""
    result = np.zeros_like(signal)
    for frequency in frequencies:
        radius = np.exp(-np.pi * bandwidth / RATE)
        a1, a2 = -2 * radius * np.cos(2 * np.pi * frequency / RATE), radius * radius
        filtered = np.zeros_like(signal)
        y1 = y2 = 0.0
        for index, value in enumerate(signal):
            y = value - a1 * y1 - a2 * y2
            filtered[index] = y
            y2, y1 = y1, y
        result += filtered
    return result


def _normalise(signal: np.ndarray, peak: float) -> np.ndarray:
    top = float(np.max(np.abs(signal))) or 1.0
    return (signal * peak / top).astype(np.float32)


def write_mp4(path: Path, audio_tracks: list[np.ndarray], video: bool = True, audio_codec: str = "aac") -> Path:
    """An MP4 with a small video track (unless `video` is False) and the given audio tracks."""
    duration = max((len(track) for track in audio_tracks), default=RATE) / RATE
    with av.open(str(path), "w", format="mp4") as container:
        video_stream = None
        if video:
            video_stream = container.add_stream("libx264", rate=5)
            video_stream.width, video_stream.height, video_stream.pix_fmt = 64, 48, "yuv420p"
        audio_streams = []
        for _track in audio_tracks:
            stream = container.add_stream(audio_codec, rate=RATE)
            stream.layout = "mono"
            audio_streams.append(stream)
        if video_stream is not None:
            for index in range(max(1, int(duration * 5))):
                frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), (index * 7) % 255, np.uint8), format="rgb24")
                frame.pts = index
                for packet in video_stream.encode(frame):
                    container.mux(packet)
            for packet in video_stream.encode():
                container.mux(packet)
        for stream, track in zip(audio_streams, audio_tracks, strict=True):
            _encode_audio(container, stream, track, frame_size=1024)
    return path


def _encode_audio(container: object, stream: object, samples: np.ndarray, frame_size: int) -> None:
    """`samples` (float, RATE) encoded into `stream` of `container`, `frame_size` samples a frame."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    for start in range(0, len(pcm), frame_size):
        frame = av.AudioFrame.from_ndarray(pcm[start : start + frame_size].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = start
        frame.time_base = Fraction(1, RATE)
        for packet in stream.encode(frame):  # type: ignore[attr-defined]
            container.mux(packet)  # type: ignore[attr-defined]
    for packet in stream.encode():  # type: ignore[attr-defined]
        container.mux(packet)  # type: ignore[attr-defined]


class _BytesReader:
    """A file-like view of bytes for `wave.open`."""

    def __init__(self, data: bytes) -> None:
        import io

        self._io = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._io.read(size)

    def seek(self, *args: int) -> int:
        return self._io.seek(*args)

    def tell(self) -> int:
        return self._io.tell()


def write_video(
    path: Path, colours: list[tuple[int, int, int]], fps: int = 25, size: tuple[int, int] = (320, 240)
) -> Path:
    """An MP4 with only a video track: one second of each colour in `colours` (plain frames,
    a gradient band moving across so that no two frames are the same)."""
    width, height = size
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        index = 0
        for colour in colours:
            for _ in range(fps):
                picture = np.empty((height, width, 3), np.uint8)
                picture[:] = colour
                band = (index * 4) % width
                picture[:, band : band + 8] = 255 - np.array(colour, np.uint8)
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                frame.pts = index
                for packet in stream.encode(frame):
                    container.mux(packet)
                index += 1
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_webm(path: Path, samples: np.ndarray, declared_duration: bool = True) -> Path:
    """A WebM with one Opus track. Without `declared_duration`, written as a live stream: no
    duration in its header, as a browser's MediaRecorder writes it."""
    options = {} if declared_duration else {"live": "1"}
    with av.open(str(path), "w", format="webm", options=options) as container:
        stream = container.add_stream("libopus", rate=RATE)
        stream.layout = "mono"
        _encode_audio(container, stream, samples, frame_size=RATE // 50)  # Opus frames of 20 ms
    return path
