"""Stage 3: find where people speak (Silero VAD, the ONNX model bundled with faster-whisper).

Speech regions are then grouped into decoding windows of at most 30 s, Whisper's input size;
silence, music and noise away from the regions never reach the model, so they produce no cues.
The model hears a window's regions one after the other, the pauses between them left out
(transcribe.py maps the word times back), with up to CONTEXT_S of the audio around the window
(`with_context`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE

WINDOW_LIMIT_S = 30.0
# Regions closer than this are decoded together: Whisper reads better with context, and a short
# stretch alone in a window padded to 30 s invites hallucinations and loops (a slow speaker's
# long pauses split a talk into such stretches).
JOIN_GAP_S = 3.0


@dataclass(frozen=True)
class Span:
    """A stretch of audio, in samples at 16 kHz."""

    start: int
    end: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        return self.end / SAMPLE_RATE


# Silero's speech probabilities drop with the level: speech recorded 20 dB quieter than usual
# (a distant microphone, a quiet export) was not found at all, though Whisper, which normalises
# every window, transcribes it. A recording whose loud frames sit below QUIET_DB is raised to
# about TYPICAL_DB for the VAD (by at most MAX_GAIN_DB, so that near-silence stays silence).
QUIET_DB = -28.0
TYPICAL_DB = -18.0
MAX_GAIN_DB = 30.0


def loudness_db(samples: np.ndarray) -> float:
    """The level of the loud parts (95th percentile of 10 ms frames' RMS), in dBFS."""
    frame = SAMPLE_RATE // 100
    usable = len(samples) // frame * frame
    if not usable:
        return -120.0
    frames = samples[:usable].reshape(-1, frame)
    # Row by row, without a squared copy of the whole file (4 h of audio is 921 MB as it is).
    rms = np.sqrt(np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / frame)
    return float(20 * np.log10(np.percentile(rms, 95) + 1e-10))


def level_for_vad(samples: np.ndarray) -> np.ndarray:
    """`samples` as the VAD hears them: a quiet recording raised (see QUIET_DB), others as they are."""
    level = loudness_db(samples)
    if level >= QUIET_DB:
        return samples
    gain_db = min(TYPICAL_DB - level, MAX_GAIN_DB)
    return np.clip(samples * np.float32(10 ** (gain_db / 20)), -1.0, 1.0)


# Silero is less sure of speech that has lost its upper band (a telephone line, an 8 kHz
# recording): on telephone-band copies of read speech, half the speech frames it finds at 0.5 sit
# between 0.3 and 0.5, and whole sentences went unheard. Audio with next to nothing above
# NARROW_BAND_HZ (NARROW_BAND_DB below the band under it) is searched at NARROW_THRESHOLD.
THRESHOLD = 0.5
NARROW_THRESHOLD = 0.3
NARROW_BAND_HZ = 3800
NARROW_BAND_DB = -30.0
SPECTRUM_FRAMES = 2000  # frames of 512 samples spread over the file, for its spectrum


def is_narrow_band(samples: np.ndarray) -> bool:
    """Whether the audio carries next to nothing above NARROW_BAND_HZ (telephone, 8 kHz)."""
    size = 512
    count = len(samples) // size
    if count < 4:
        return False
    picked = np.linspace(0, count - 1, min(count, SPECTRUM_FRAMES)).astype(int)
    frames = samples[: count * size].reshape(count, size)[picked].astype(np.float64)
    power = np.mean(np.abs(np.fft.rfft(frames * np.hanning(size), axis=1)) ** 2, axis=0)
    frequencies = np.fft.rfftfreq(size, 1 / SAMPLE_RATE)
    below = power[(frequencies >= 300) & (frequencies < NARROW_BAND_HZ)].sum()
    above = power[frequencies >= NARROW_BAND_HZ + 200].sum()
    if below <= 0:
        return False
    return bool(10 * np.log10(above / below + 1e-12) < NARROW_BAND_DB)


def find_speech(samples: np.ndarray) -> list[Span]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=NARROW_THRESHOLD if is_narrow_band(samples) else THRESHOLD,
        min_speech_duration_ms=250,
        min_silence_duration_ms=300,
        max_speech_duration_s=WINDOW_LIMIT_S - 1,
        speech_pad_ms=200,
    )
    return [Span(chunk["start"], chunk["end"]) for chunk in get_speech_timestamps(level_for_vad(samples), options)]


# Of the audio around a window, the model hears up to this much on each side (never more than half
# the way to the next speech, never past 30 s in all). Cropped to the VAD's regions (padded by
# 200 ms), Whisper misheard word onsets that plain faster-whisper, hearing the whole file, got
# right ("an ill-disposed young man" → "an old supposed young man"); with a second of the audio
# around each window, the mean WER of the dev set's long files went from 16.8 % to 14.7 %
# (plain: 15.5 %; bench/quality.py), the therapy recordings from 35-42 % to 27-31 %.
CONTEXT_S = 1.0


def with_context(windows: list[Span], regions: list[Span], total: int, context_s: float = CONTEXT_S) -> list[Span]:
    """Each window widened by up to `context_s` on each side into the audio around it: at most
    half the way to the nearest speech region outside it, within the file (`total` samples)
    and within WINDOW_LIMIT_S."""
    context = int(context_s * SAMPLE_RATE)
    widened = []
    for window in windows:
        before_speech = max((r.end for r in regions if r.end <= window.start), default=None)
        after_speech = min((r.start for r in regions if r.start >= window.end), default=None)
        before = min(context, window.start if before_speech is None else (window.start - before_speech) // 2)
        after = min(context, (total - window.end) if after_speech is None else (after_speech - window.end) // 2)
        room = int(WINDOW_LIMIT_S * SAMPLE_RATE) - (window.end - window.start)
        if before + after > room:  # share what room there is
            before, after = max(0, min(before, room // 2)), max(0, min(after, room - min(before, room // 2)))
        widened.append(Span(window.start - max(0, before), min(total, window.end + max(0, after))))
    return widened


def group_into_windows(
    regions: list[Span], limit_s: float = WINDOW_LIMIT_S, join_gap_s: float = JOIN_GAP_S
) -> list[Span]:
    """Merge neighbouring speech regions into windows no longer than `limit_s`."""
    windows: list[Span] = []
    for region in regions:
        if windows:
            last = windows[-1]
            gap = (region.start - last.end) / SAMPLE_RATE
            if gap <= join_gap_s and (region.end - last.start) / SAMPLE_RATE <= limit_s:
                windows[-1] = Span(last.start, region.end)
                continue
        windows.append(region)
    return windows
