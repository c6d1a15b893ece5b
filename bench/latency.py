"""Issue 13's latency bench: from POST to SUCCESS through the real service, worker already running.

Starts gunicorn and a django-q2 worker as separate processes (as tests/test_service.py does;
SQLite and the ORM broker), waits until the worker has warmed its engine up, then sends the
5 s, 11 s and 53 s clips (real speech from ../shared/speech, muxed into MP4 and served from
127.0.0.1; espeak-ng speech without that folder) one at a time, --runs times each, taking turns.
Each run's time: from sending the POST to the first GET that shows SUCCESS (GETs every 20 ms).
Prints p50 and p95 per clip (nearest rank), the worker's own share (started_at → completed_at),
the WER against the human reference, and the load average.

    .venv/bin/python bench/latency.py [--runs 5] [--env NAME=VALUE ...]

--env passes settings to the service (e.g. AITASKS_QUEUE_POLL_S=0.5, AITASKS_WHISPER_CPU_WORKERS=1,
AITASKS_WARM_UP=false: then the first task pays for loading the engine).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

from service_bench import (
    ROOT,
    load_average,
    make_clips,
    median,
    percentile,
    start_service,
    submit,
    text_of,
    wait_final,
    wait_until_warm,
    wer,
)


def seconds_between(task: dict) -> float:
    """started_at → completed_at (the worker's part), from the task's own timestamps."""
    times = task["processing_time"]
    if not times.get("started_at") or not times.get("completed_at"):
        return float("nan")
    started = datetime.fromisoformat(times["started_at"].replace("Z", "+00:00"))
    completed = datetime.fromisoformat(times["completed_at"].replace("Z", "+00:00"))
    return (completed - started).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the service")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)

    logging.getLogger("httpx").setLevel(logging.WARNING)
    scratch = Path(tempfile.mkdtemp(prefix="aitasks-latency-"))
    media = scratch / "media"
    media.mkdir()
    from tests.conftest import MediaServer

    clips = make_clips(media)
    server = MediaServer(media)
    service, client = start_service(scratch, env)
    try:
        warm_s = wait_until_warm(service, workers=int(env.get("AITASKS_WORKERS", "1")))
        print(f"service up, worker warm after {warm_s:.1f} s; settings: {env or 'defaults'}; {ROOT.name}")
        submit_and_wait = lambda clip: wait_final(client, submit(client, server.url(clip.file)))  # noqa: E731
        first = time.perf_counter()
        task = submit_and_wait(clips[0])  # untimed: the first request through gunicorn and the worker
        print(f"first task (untimed): {time.perf_counter() - first:.2f} s, {task['status']}")
        timings: dict[str, list[tuple[float, float, float | None]]] = {clip.name: [] for clip in clips}
        for _round in range(args.runs):
            for clip in clips:
                began = time.perf_counter()
                task = submit_and_wait(clip)
                total = time.perf_counter() - began
                if task["status"] != "SUCCESS":
                    raise SystemExit(f"{clip.name}: {task['status']} {task.get('result')}")
                timings[clip.name].append((total, seconds_between(task), wer(clip, text_of(task))))
    finally:
        client.close()
        service.stop()
        server.close()
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\n{load_average()}")
    print(
        f"{'clip':<6} {'audio s':>7} {'runs':>4} {'p50 s':>6} {'p95 s':>6} {'min s':>6} {'worker p50 s':>12} {'WER':>6}"
    )
    for clip in clips:
        rows = timings[clip.name]
        totals = [total for total, _worker, _wer in rows]
        wers = [value for _total, _worker, value in rows if value is not None]
        print(
            f"{clip.name:<6} {clip.seconds:>7.1f} {len(rows):>4} {median(totals):>6.2f} "
            f"{percentile(totals, 0.95):>6.2f} {min(totals):>6.2f} {median([w for _t, w, _e in rows]):>12.2f} "
            f"{f'{100 * median(wers):.1f} %' if wers else 'n/a':>6}"
        )
        print(f"{'':<6} runs: " + ", ".join(f"{total:.2f}" for total in totals))


if __name__ == "__main__":
    main()
