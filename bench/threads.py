"""CTranslate2 threading on the CPU: replicas × threads per replica, alternated in one process.

Loads one engine per configuration (e.g. 1x2 = one replica of 2 threads, the setting before
issue 13; 2x1; 2x2) and, round after round, runs each on the same two jobs: the 11 s JFK clip
(one window: language ID + transcription) and the first 4 speech windows of LJ Speech (a batch
cut across the replicas). Alternating call by call in one process is the fairest comparison a
busy shared machine allows. Prints per round the wall seconds, then per job and configuration
the median wall and CPU seconds, the words decoded, and the speed against the first
configuration round by round.

    .venv/bin/python bench/threads.py [--configs 1x2,2x1,2x2] [--rounds 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from service_bench import SPEECH, load_audio


def setup_django() -> None:
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("AITASKS_MODEL_CACHE_DIR", str(root / "var" / "models"))
    os.environ.setdefault("AITASKS_DATA_DIR", tempfile.mkdtemp(prefix="aitasks-bench-"))
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="1x2,2x1,2x2", help="replicas x threads, comma-separated")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings

    from aitasks.engines.whisper import FasterWhisperEngine
    from aitasks.pipeline import speech

    configs = [tuple(int(number) for number in config.split("x")) for config in args.configs.split(",")]
    jobs = {}
    for name, relative, count in (("JFK 11 s", "faster-whisper/jfk.flac", 1), ("LJ 4 windows", None, 4)):
        path = SPEECH / (relative or "derived/ljspeech_LJ001-0001-0032_concat.flac")
        samples = load_audio(path)
        jobs[name] = (samples, speech.group_into_windows(speech.find_speech(samples))[:count])
    engines = {}
    for replicas, threads in configs:
        engine = FasterWhisperEngine(
            "base", settings.AITASKS_MODEL_CACHE_DIR, device="cpu", cpu_workers=replicas, cpu_threads=threads
        )
        engine.load()
        engines[(replicas, threads)] = engine

    def run(engine: FasterWhisperEngine, samples: object, windows: list) -> int:
        clips = [(window.start_s, window.end_s) for window in windows]
        engine.detect_languages(samples, clips)  # its encodings serve the transcription
        return sum(len(segment.words) for segment in engine.transcribe(samples, clips, "eng", "transcribe"))

    results: dict[tuple[int, int], dict[str, list[tuple[float, float, int]]]] = {
        config: {name: [] for name in jobs} for config in configs
    }
    for round_ in range(1, args.rounds + 1):
        for name, (samples, windows) in jobs.items():
            for config in configs:
                wall, cpu = time.perf_counter(), time.process_time()
                words = run(engines[config], samples, windows)
                results[config][name].append((time.perf_counter() - wall, time.process_time() - cpu, words))
        walls = ", ".join(
            f"{r}x{t} " + "/".join(f"{results[(r, t)][name][-1][0]:.1f}" for name in jobs) for r, t in configs
        )
        print(f"round {round_}: load {os.getloadavg()[0]:.1f}; wall s ({' / '.join(jobs)}): {walls}", flush=True)

    first = configs[0]
    print(f"\n{os.cpu_count()} cores, 1-min load average now {os.getloadavg()[0]:.1f}")
    print(f"{'job':<13} {'config':<6} {'wall s':>7} {'CPU s':>6} {'words':>5}  speed against {first[0]}x{first[1]}")
    for name in jobs:
        for config in configs:
            runs = results[config][name]
            ratios = [base[0] / mine[0] for base, mine in zip(results[first][name], runs, strict=True)]
            print(
                f"{name:<13} {config[0]}x{config[1]:<4} {statistics.median(r[0] for r in runs):>7.2f} "
                f"{statistics.median(r[1] for r in runs):>6.2f} {runs[-1][2]:>5}  median {statistics.median(ratios):.2f} "
                f"(rounds: {', '.join(f'{ratio:.2f}' for ratio in ratios)})"
            )


if __name__ == "__main__":
    main()
