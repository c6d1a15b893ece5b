"""Content moderation speed and memory on a 10-minute video (issue 16).

    .venv/bin/python bench/moderation.py [--minutes 10] [--cores 2] [--categories nsfw,hard_nudity,soft_nudity]

Makes a synthetic 640x360 25 fps H.264 video with PyAV (moving gradients and shapes, no
audio), cached in var/bench/, then for each category runs the moderation stage
(aitasks.moderation.pipeline.run_moderation: sample → score → thumbnails) on it in a fresh
process pinned to `--cores` CPUs with that many model threads, and prints: frames sampled
and scored, wall and CPU seconds, frames scored per second, the share spent decoding and
sampling (measured apart, same process), and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT, FPS = 640, 360, 25


def make_video(path: Path, minutes: float) -> Path:
    import av
    import numpy as np

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".part")
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    with av.open(str(scratch), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "g": "50"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index in range(int(minutes * 60 * FPS)):
            phase = index / FPS
            picture = np.empty((HEIGHT, WIDTH, 3), np.uint8)
            picture[..., 0] = (128 + 100 * np.sin(xs / 60 + phase)).astype(np.uint8)
            picture[..., 1] = (128 + 100 * np.sin(ys / 45 - phase * 0.7)).astype(np.uint8)
            picture[..., 2] = (128 + 100 * np.sin((xs + ys) / 80 + phase * 0.3)).astype(np.uint8)
            cx, cy = int((phase * 53) % WIDTH), int((phase * 31) % HEIGHT)
            picture[max(0, cy - 40) : cy + 40, max(0, cx - 60) : cx + 60] = (224, 172, 140)  # a skin-toned box
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    scratch.rename(path)
    return path


def measure(video: Path, category: str, cores: int) -> dict[str, object]:
    """In this (fresh) process: the moderation stage on `video`, timed."""
    import resource

    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
    os.environ["AITASKS_MODERATION_CPU_THREADS"] = str(cores)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from aitasks.moderation import frames
    from aitasks.moderation.backends import get_scorer
    from aitasks.moderation.pipeline import ModerationJob, run_moderation

    cpu = time.process_time()
    started = time.perf_counter()
    sampled = sum(1 for _ in frames.sample_frames(video, 4 * 3600, settings.AITASKS_MODERATION_MAX_FRAMES))
    sampling_s, sampling_cpu = time.perf_counter() - started, time.process_time() - cpu

    started = time.perf_counter()
    get_scorer(category)
    load_s = time.perf_counter() - started

    cpu = time.process_time()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        job = ModerationJob(
            url="file://bench",
            workdir=Path(workdir),
            category=category,
            max_frames=settings.AITASKS_MODERATION_MAX_FRAMES,
            local_file=video,
        )
        outcome = run_moderation(job, lambda percent, stage: None)
    wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    return {
        "category": category,
        "sampled": sampled,
        "scored": outcome.frames_scored,
        "flagged": len(outcome.flags),
        "interval_s": outcome.interval_s,
        "load_s": load_s,
        "wall_s": wall,
        "cpu_s": cpu_s,
        "sampling_s": sampling_s,
        "sampling_cpu_s": sampling_cpu,
        "fps": outcome.frames_scored / wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--categories", default="nsfw,hard_nudity,soft_nudity")
    parser.add_argument("--measure", nargs=2, metavar=("VIDEO", "CATEGORY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), args.measure[1], args.cores)))
        return

    video = ROOT / "var" / "bench" / f"moderation-{args.minutes:g}min-{WIDTH}x{HEIGHT}.mp4"
    started = time.perf_counter()
    make_video(video, args.minutes)
    print(f"video: {video.name}, {args.minutes:g} min, {WIDTH}x{HEIGHT} at {FPS} fps, {video.stat().st_size / 1e6:.1f} MB "
          f"(made or found in {time.perf_counter() - started:.1f} s); {args.cores} cores; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    header = f"{'category':<12} {'sampled':>7} {'scored':>6} {'every s':>7} {'flagged':>7} {'load s':>6} {'wall s':>7} {'CPU s':>7} {'frames/s':>8} {'sampling s':>10} {'peak RSS MB':>11}"
    print(header)
    for category in args.categories.split(","):
        output = subprocess.run(
            [sys.executable, __file__, "--cores", str(args.cores), "--measure", str(video), category],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(output.strip().splitlines()[-1])
        print(
            f"{row['category']:<12} {row['sampled']:>7} {row['scored']:>6} {row['interval_s']:>7.2f} {row['flagged']:>7} "
            f"{row['load_s']:>6.2f} {row['wall_s']:>7.1f} {row['cpu_s']:>7.1f} {row['fps']:>8.1f} "
            f"{row['sampling_s']:>10.1f} {row['peak_rss_mb']:>11.0f}"
        )
    print("frames/s: frames scored per wall second of the whole stage (decode + sample + score + thumbnails);")
    print("sampling s: decoding the whole track and picking the frames alone, measured before, in the same process.")


if __name__ == "__main__":
    main()
