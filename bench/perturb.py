"""Issue 23: language identification on perturbed copies of the dev clips, ours against plain.

Each perturbation is deterministic (noise seeded from the file's name), applied to the samples
decoded from the original file; the copy is then muxed into an MP4 like every other clip, the
pipeline runs on it with `Job(detect_only=True)` (it stops after language identification) and
plain faster-whisper's `detect_language` hears the very samples the pipeline decodes from it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
from alignment import frame_levels, speech_threshold

RATE = 16_000


def leading_silence(seconds: float) -> Callable[[np.ndarray, str], np.ndarray]:
    def perturb(samples: np.ndarray, name: str) -> np.ndarray:
        return np.concatenate([np.zeros(int(seconds * RATE), dtype=np.float32), samples])

    return perturb


def quieter(samples: np.ndarray, name: str, db: float = 20.0) -> np.ndarray:
    return (samples * 10 ** (-db / 20)).astype(np.float32)


def pink_noise(length: int, seed: int) -> np.ndarray:
    """Noise with power falling 3 dB an octave (1/f), unit RMS."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(length))
    frequencies = np.fft.rfftfreq(length, 1 / RATE)
    spectrum[1:] /= np.sqrt(frequencies[1:])
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, length)
    return noise / (np.sqrt(np.mean(noise**2)) or 1.0)


def noisy(samples: np.ndarray, name: str, snr_db: float = 10.0) -> np.ndarray:
    """Pink noise `snr_db` below the speech: the speech's power measured over its loud frames
    (the file's own speech level, so that pauses do not lower it)."""
    levels = frame_levels(samples)
    loud = levels > speech_threshold(levels)
    frames = samples[: len(levels) * 160].reshape(len(levels), 160)
    power = float(np.mean(frames[loud] ** 2)) if loud.any() else float(np.mean(samples**2))
    noise = pink_noise(len(samples), zlib.crc32(name.encode())) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(samples + noise, -1, 1).astype(np.float32)


def telephone(samples: np.ndarray, name: str) -> np.ndarray:
    """300-3400 Hz, sampled at 8 kHz and back to 16 kHz (FFT brick walls: no aliasing either way)."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    frequencies = np.fft.rfftfreq(len(samples), 1 / RATE)
    spectrum[(frequencies < 300) | (frequencies > 3400)] = 0
    narrow = np.fft.irfft(spectrum, len(samples))[::2]  # 8 kHz: nothing above 3.4 kHz to alias
    wide = np.fft.irfft(np.fft.rfft(narrow), 2 * len(narrow)) * 2  # back to 16 kHz, zeros above 4 kHz
    return np.clip(wide, -1, 1).astype(np.float32)


PERTURBATIONS: dict[str, Callable[[np.ndarray, str], np.ndarray]] = {
    "+0.5 s silence": leading_silence(0.5),
    "+1 s silence": leading_silence(1.0),
    "+2 s silence": leading_silence(2.0),
    "-20 dB": quieter,
    "pink noise 10 dB SNR": noisy,
    "telephone 8 kHz": telephone,
}


def run_section(
    clips: list[tuple[str, str, np.ndarray]],
    detect_ours: Callable[[str, np.ndarray], tuple[list[str], np.ndarray]],
    detect_plain: Callable[[np.ndarray], str],
    b_code: Callable[[str], str],
) -> None:
    """`clips`: (name, expected ISO-639-2/B, original samples). `detect_ours(name, samples)`: the
    pipeline's languages and the samples it decoded; `detect_plain(samples)`: a Whisper code."""
    import time

    started = time.perf_counter()
    cells: dict[str, dict[str, tuple[list[str], str]]] = {name: {} for name, _e, _s in clips}
    for label, perturb in PERTURBATIONS.items():
        for name, _expected, samples in clips:
            ours, heard = detect_ours(f"{name} {label}", perturb(samples, name))
            cells[name][label] = (ours, b_code(detect_plain(heard)))
        print(f"  perturbation {label}: {len(clips)} clips done ({time.perf_counter() - started:.0f} s)", flush=True)

    print(
        "\nlanguage under perturbation (issue 23): ours/plain where either is wrong, ! = ours wrong where plain is right"
    )
    labels = list(PERTURBATIONS)
    width = max([len(name) for name, _e, _s in clips] + [4])
    header = f"{'file':<{width}} {'exp':<4} " + " ".join(f"{label:>20}" for label in labels)
    print(header)
    print("-" * len(header))
    for name, expected, _samples in clips:
        row = []
        for label in labels:
            ours, plain = cells[name][label]
            if ours[:1] == [expected] and plain == expected:
                row.append("ok")
            else:
                mark = "!" if ours[:1] != [expected] and plain == expected else ""
                row.append(f"{mark}{','.join(ours) or '-'}/{plain or '-'}")
        print(f"{name:<{width}} {expected:<4} " + " ".join(f"{cell:>20}" for cell in row))
    print(f"\n  {'perturbation':<22} {'ours right':>10} {'plain right':>11} {'wrong where plain right':>24}")
    for label in labels:
        ours_right = sum(cells[name][label][0][:1] == [expected] for name, expected, _s in clips)
        plain_right = sum(cells[name][label][1] == expected for name, expected, _s in clips)
        lost = sum(
            cells[name][label][0][:1] != [expected] and cells[name][label][1] == expected
            for name, expected, _s in clips
        )
        verdict = "met" if not lost else "MISSED"
        print(
            f"  {label:<22} {ours_right:>5}/{len(clips):<4} {plain_right:>6}/{len(clips):<4} "
            f"{lost:>18} (target 0: {verdict})"
        )
    print(f"  perturbation section: {time.perf_counter() - started:.0f} s")
