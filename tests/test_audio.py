"""Stage 2, audio: real MP4 files decoded with PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from aitasks.pipeline.audio import SAMPLE_RATE, decode_first_audio_track, duration_ms
from aitasks.pipeline.errors import PipelineError
from tests import media

HOUR = 3600


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


@pytest.fixture(scope="module")
def two_tracks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tracks")
    return {
        "tone-first": media.write_mp4(root / "tone-first.mp4", [media.tone(2), media.silence(2)]),
        "silence-first": media.write_mp4(root / "silence-first.mp4", [media.silence(2), media.tone(2)]),
    }


def test_it_decodes_speech_to_16_khz_mono_float32_of_the_right_length(media_dir: Path) -> None:
    samples = decode_first_audio_track(media_dir / "english.mp4", max_duration_s=HOUR)
    with av.open(str(media_dir / "english.mp4")) as container:
        stream = container.streams.audio[0]
        declared_s = float(stream.duration * stream.time_base)
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert abs(len(samples) / SAMPLE_RATE - declared_s) < 0.1
    assert np.abs(samples).max() <= 1.0
    assert rms(samples) > 0.01  # speech, not silence
    assert duration_ms(samples) == len(samples) * 1000 // SAMPLE_RATE


def test_it_keeps_the_timing_of_the_speech(media_dir: Path) -> None:
    # english.mp4 opens with 0.8 s of silence, then speaks.
    samples = decode_first_audio_track(media_dir / "english.mp4", max_duration_s=HOUR)
    assert rms(samples[: int(0.6 * SAMPLE_RATE)]) < 0.005
    assert rms(samples[int(1.0 * SAMPLE_RATE) : int(2.0 * SAMPLE_RATE)]) > 0.01


def test_it_decodes_the_first_audio_track_when_it_is_the_loud_one(two_tracks: dict[str, Path]) -> None:
    samples = decode_first_audio_track(two_tracks["tone-first"], max_duration_s=HOUR)
    assert rms(samples) > 0.1  # a 0.3-level sine has an RMS of about 0.21


def test_it_decodes_the_first_audio_track_when_it_is_the_silent_one(two_tracks: dict[str, Path]) -> None:
    samples = decode_first_audio_track(two_tracks["silence-first"], max_duration_s=HOUR)
    assert rms(samples) < 0.01


def test_it_decodes_a_file_without_a_video_track(tmp_path: Path) -> None:
    path = media.write_mp4(tmp_path / "audio-only.mp4", [media.tone(1.5)], video=False)
    samples = decode_first_audio_track(path, max_duration_s=HOUR)
    assert abs(len(samples) / SAMPLE_RATE - 1.5) < 0.1


def test_it_says_no_audio_track_for_a_video_only_file(media_dir: Path) -> None:
    with pytest.raises(PipelineError, match="^no audio track$"):
        decode_first_audio_track(media_dir / "video-only.mp4", max_duration_s=HOUR)


def test_it_says_an_html_page_is_not_a_media_file(media_dir: Path) -> None:
    with pytest.raises(PipelineError, match="^file is not a media file$"):
        decode_first_audio_track(media_dir / "page.html", max_duration_s=HOUR)


def test_it_says_an_empty_file_is_not_a_media_file(media_dir: Path) -> None:
    with pytest.raises(PipelineError, match="^file is not a media file$"):
        decode_first_audio_track(media_dir / "empty.mp4", max_duration_s=HOUR)


def test_it_says_random_bytes_are_not_a_media_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    with pytest.raises(PipelineError, match="^file is not a media file$"):
        decode_first_audio_track(path, max_duration_s=HOUR)


def test_it_refuses_a_truncated_mp4_with_a_readable_message(media_dir: Path) -> None:
    # PyAV writes the MP4 index (moov) at the end, so the first third has no index at all:
    # nothing can be decoded, and FFmpeg cannot tell it from a file that never was a video.
    with pytest.raises(PipelineError, match="^file is not a media file$") as caught:
        decode_first_audio_track(media_dir / "truncated.mp4", max_duration_s=HOUR)
    assert caught.value.permanent


def write_aac(
    path: Path, pcm: np.ndarray, rate: int = SAMPLE_RATE, format: str = "mp4", options: dict | None = None
) -> None:
    """16-bit samples (frames × channels) as AAC, frame by frame, in a container the media
    fixtures do not make."""
    layout = "mono" if pcm.shape[1] == 1 else "stereo"
    with av.open(str(path), "w", format=format, options=options or {}) as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = layout
        for start in range(0, len(pcm), 1024):
            chunk = pcm[start : start + 1024].reshape(1, -1)  # packed s16: interleaved channels
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def tone_pcm(seconds: float) -> np.ndarray:
    return (media.tone(seconds) * 32767).astype(np.int16).reshape(-1, 1)


def test_it_keeps_what_decodes_from_a_file_cut_short_after_its_index(tmp_path: Path) -> None:
    # A streaming-friendly MP4 (index first) cut in half: players play the first half.
    whole = tmp_path / "faststart.mp4"
    write_aac(whole, tone_pcm(6), options={"movflags": "faststart"})
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    samples = decode_first_audio_track(cut, max_duration_s=HOUR)
    assert 1 < len(samples) / SAMPLE_RATE < 5
    assert rms(samples) > 0.1


def test_it_refuses_a_file_longer_than_the_limit(media_dir: Path) -> None:
    with pytest.raises(PipelineError, match=r"^media longer than the limit \(0 min > 0 min\)$"):
        decode_first_audio_track(media_dir / "english.mp4", max_duration_s=2)


def test_it_states_the_limit_in_minutes(tmp_path: Path) -> None:
    path = media.write_mp4(tmp_path / "long.mp4", [media.silence(150)], video=False)
    with pytest.raises(PipelineError, match=r"^media longer than the limit \(2 min > 1 min\)$"):
        decode_first_audio_track(path, max_duration_s=60)


def test_it_accepts_a_file_just_within_the_limit(media_dir: Path) -> None:
    samples = decode_first_audio_track(media_dir / "silence.mp4", max_duration_s=4.5)
    assert abs(len(samples) / SAMPLE_RATE - 4) < 0.1


def test_it_counts_decoded_samples_when_the_container_declares_no_duration(tmp_path: Path) -> None:
    # ADTS AAC has no duration in its header: only counting what decodes can stop it.
    path = tmp_path / "stream.aac"
    write_aac(path, tone_pcm(5), format="adts")
    assert abs(len(decode_first_audio_track(path, max_duration_s=HOUR)) / SAMPLE_RATE - 5) < 0.2
    with pytest.raises(PipelineError, match="media longer than the limit"):
        decode_first_audio_track(path, max_duration_s=2)


def test_it_resamples_other_rates_and_mixes_stereo_to_mono(tmp_path: Path) -> None:
    path = tmp_path / "stereo-44k.mp4"
    rate = 44_100
    seconds = 2
    times = np.arange(seconds * rate) / rate
    left = (0.3 * np.sin(2 * np.pi * 440 * times) * 32767).astype(np.int16)
    write_aac(path, np.stack([left, left]).T.copy(), rate=rate)
    samples = decode_first_audio_track(path, max_duration_s=HOUR)
    assert abs(len(samples) / SAMPLE_RATE - seconds) < 0.1
    assert 0.1 < rms(samples) < 0.4


def write_wav(path: Path, rate: int, samples: np.ndarray) -> Path:
    """An 8-bit mono WAV: the smallest honest file for a given length."""
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(rate)
        wav.writeframes(samples.astype(np.uint8).tobytes())
    return path


def test_a_tiny_wav_at_8_hz_is_refused_before_it_decodes_to_gigabytes(tmp_path: Path) -> None:
    # 112 KB declaring 3.9 h at 8 Hz: 225 M samples (900 MB of float32) once resampled.
    hours = 3.9
    path = write_wav(tmp_path / "tiny.wav", 8, np.full(int(hours * 3600 * 8), 128))
    assert path.stat().st_size < 120_000
    with pytest.raises(
        PipelineError, match=r"^the audio's sample rate \(8 Hz\) is too low for speech \(at least 8000 Hz\)$"
    ):
        decode_first_audio_track(path, max_duration_s=4 * HOUR)


def test_decoding_holds_one_copy_of_the_audio_and_little_more(tmp_path: Path) -> None:
    import tracemalloc

    # 3 minutes of telephone audio: 2.88 M samples, 11.5 MB as 16 kHz float32.
    seconds = 180
    tone = (128 + 60 * np.sin(2 * np.pi * 300 * np.arange(seconds * 8000) / 8000)).astype(np.uint8)
    path = write_wav(tmp_path / "phone.wav", 8000, tone)
    tracemalloc.start()
    try:
        samples = decode_first_audio_track(path, max_duration_s=HOUR)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert samples.dtype == np.float32
    assert abs(samples.shape[0] / SAMPLE_RATE - seconds) < 0.1
    assert peak < 1.25 * samples.nbytes, (peak, samples.nbytes)
