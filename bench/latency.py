"""Issue 13's latency bench: from POST to SUCCESS through the real service, worker already running.

For each configuration (service_bench.CONFIGURATIONS: "before" = the settings before issue 13,
"replicas" = today's defaults), starts gunicorn and a django-q2 worker as separate processes (as
tests/test_service.py does; SQLite and the ORM broker), all side by side, waits until each worker
is ready (warmed up where warm-up is on) and times one first task. Then it sends the 5 s, 11 s
and 53 s clips (real speech from ../shared/speech, muxed into MP4 and served from 127.0.0.1;
espeak-ng speech without that folder) one task at a time, --runs rounds, configurations taking
turns on each clip (a busy spell on a shared machine hits them alike).
Each run's time: from sending the POST to the first GET that shows SUCCESS (GETs every 20 ms).
Prints p50 and p95 per clip (nearest rank), the worker's own share (started_at → completed_at),
the WER against the human reference, and the load average.

    .venv/bin/python bench/latency.py [--runs 5] [--only before,replicas] [--env NAME=VALUE ...]

--env passes settings to every service (e.g. AITASKS_QUEUE_POLL_S=0.5).
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
    CONFIGURATIONS,
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
    parser.add_argument("--only", default="before,replicas", help="configurations (service_bench.py), comma-separated")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for every service")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    names = [name for name in args.only.split(",") if name]

    logging.getLogger("httpx").setLevel(logging.WARNING)
    scratch = Path(tempfile.mkdtemp(prefix="aitasks-latency-"))
    media = scratch / "media"
    media.mkdir()
    from tests.conftest import MediaServer

    clips = make_clips(media)
    server = MediaServer(media)
    services: dict[str, tuple[object, object]] = {}
    timings = {name: {clip.name: [] for clip in clips} for name in names}
    first_task: dict[str, float] = {}
    try:
        for name in names:  # all running side by side (idle workers only poll): runs take turns
            env = CONFIGURATIONS[name] | extra
            (scratch / name).mkdir()
            services[name] = start_service(scratch / name, env)
            print(f"{name}: worker ready in {wait_until_warm(services[name][0], env):.1f} s; {env or 'defaults'}")
        for name, (_service, client) in services.items():
            began = time.perf_counter()
            task = wait_final(client, submit(client, server.url(clips[1].file)))
            first_task[name] = time.perf_counter() - began
            print(
                f"{name}: first task after start ({clips[1].name}, untimed below): {first_task[name]:.2f} s, {task['status']}"
            )
        for _round in range(args.runs):
            for clip in clips:
                for name, (_service, client) in services.items():
                    began = time.perf_counter()
                    task = wait_final(client, submit(client, server.url(clip.file)))
                    total = time.perf_counter() - began
                    if task["status"] != "SUCCESS":
                        raise SystemExit(f"{name} {clip.name}: {task['status']} {task.get('result')}")
                    timings[name][clip.name].append((total, seconds_between(task), wer(clip, text_of(task))))
    finally:
        for service, client in services.values():
            client.close()  # type: ignore[attr-defined]
            service.stop()  # type: ignore[attr-defined]
        server.close()
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\n{load_average()}; POST → SUCCESS, worker already running; {ROOT.name}")
    print(
        f"{'configuration':<10} {'clip':<5} {'audio s':>7} {'runs':>4} {'p50 s':>6} {'p95 s':>6} {'min s':>6}", end=""
    )
    print(f" {'worker p50 s':>12} {'WER':>6}")
    for clip in clips:
        for name in names:
            rows = timings[name][clip.name]
            totals = [total for total, _worker, _wer in rows]
            wers = [value for _total, _worker, value in rows if value is not None]
            print(
                f"{name:<10} {clip.name:<5} {clip.seconds:>7.1f} {len(rows):>4} {median(totals):>6.2f} "
                f"{percentile(totals, 0.95):>6.2f} {min(totals):>6.2f} {median([w for _t, w, _e in rows]):>12.0f} "
                f"{f'{100 * median(wers):.1f} %' if wers else 'n/a':>6}   runs: "
                + ", ".join(f"{total:.2f}" for total in totals)
            )
        if len(names) > 1:
            base = median([total for total, _w, _e in timings[names[0]][clip.name]])
            ratios = ", ".join(
                f"{name} {base / median([t for t, _w, _e in timings[name][clip.name]]):.2f}×" for name in names[1:]
            )
            print(f"{'':<10} {clip.name:<5} p50 speed-up against {names[0]}: {ratios}")
    print("(worker s: started_at → completed_at, whole seconds as the API gives them)")


if __name__ == "__main__":
    main()
