"""Issue 13's throughput bench: 20 mixed clips submitted at once, through the real service.

For each worker configuration, in turns (--rounds times): start gunicorn and a django-q2 worker
(SQLite, ORM broker) with that configuration, wait until it is warm, POST 20 tasks at once —
one 231 s file (LJ Speech) first, then 19 short ones (5 s, 11 s and 53 s clips) — and wait
for all. Prints per configuration: total audio seconds per wall second (first POST to last
SUCCESS), when the big file finished, the short clips' median and slowest POST → SUCCESS, the
worker's CPU seconds per audio second (lower is better; steadier than wall time on a shared
machine), WER, and the load average. Configurations:

- before: 1 worker process, 1 CTranslate2 replica using all cores (the defaults before issue 13);
- procs: one worker process per core, 1 replica of 1 thread each (AITASKS_WORKERS=cores);
- replicas: the defaults: 1 worker process, min(cores, 4) CTranslate2 replicas (2 × 2 threads on 2 cores).

    .venv/bin/python bench/throughput.py [--rounds 2] [--only before,replicas]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from service_bench import (
    BIG_CLIP,
    CONFIGURATIONS,
    FINAL,
    SPEECH_CLIPS,
    get_task,
    load_average,
    make_clips,
    median,
    start_service,
    submit,
    text_of,
    wait_until_warm,
    wer,
)

SHORT_MIX = ["5 s", "11 s", "53 s", "11 s", "5 s", "11 s"] * 3 + ["11 s"]  # 19 short clips


def worker_cpu_seconds(service: object) -> float:
    """User + system CPU seconds of the worker's process group so far (its children included)."""
    process = service.processes[-1]  # type: ignore[attr-defined]
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == process.pid:  # process group (the worker leads its own session)
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def one_run(name: str, env: dict[str, str], clips: dict[str, object], server: object) -> dict[str, object]:
    scratch = Path(tempfile.mkdtemp(prefix="aitasks-throughput-"))
    service, client = start_service(scratch, env)
    try:
        wait_until_warm(service, env)
        order = [clips["231 s"]] + [clips[label] for label in SHORT_MIX]
        cpu_before = worker_cpu_seconds(service)
        began = time.perf_counter()
        finished: dict[int, float] = {}
        ids = [submit(client, server.url(clip.file)) for clip in order]  # type: ignore[attr-defined]
        tasks: list[dict] = [{} for _id in ids]
        while len(finished) < len(ids):  # one client polls them all, as a dashboard would
            if time.perf_counter() - began > 3600:
                raise SystemExit(f"{name}: {len(ids) - len(finished)} tasks did not finish within an hour")
            for index, task_id in enumerate(ids):
                if index not in finished:
                    task = get_task(client, task_id)
                    if task["status"] in FINAL:
                        finished[index], tasks[index] = time.perf_counter() - began, task
            time.sleep(0.1)
        wall = time.perf_counter() - began
        cpu = worker_cpu_seconds(service) - cpu_before
    finally:
        client.close()
        service.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    failed = [task["status"] for task in tasks if task["status"] != "SUCCESS"]
    if failed:
        raise SystemExit(f"{name}: tasks ended {failed}")
    audio = sum(clip.seconds for clip in order)  # type: ignore[attr-defined]
    wers = [wer(clip, text_of(task)) for clip, task in zip(order, tasks, strict=True)]  # type: ignore[arg-type]
    big_wer, short_wers = wers[0], [value for value in wers[1:] if value is not None]
    return {
        "audio": audio,
        "wall": wall,
        "cpu": cpu,
        "big": finished[0],
        "short_p50": median([finished[index] for index in range(1, len(order))]),
        "short_max": max(finished[index] for index in range(1, len(order))),
        "big_wer": big_wer,
        "short_wer": median(short_wers) if short_wers else None,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default=",".join(CONFIGURATIONS), help="configurations, comma-separated")
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name]

    logging.getLogger("httpx").setLevel(logging.WARNING)
    media = Path(tempfile.mkdtemp(prefix="aitasks-throughput-media-"))
    from tests.conftest import MediaServer

    clips = {clip.name: clip for clip in make_clips(media, SPEECH_CLIPS | BIG_CLIP)}
    server = MediaServer(media)
    results: dict[str, list[dict[str, object]]] = {name: [] for name in names}
    try:
        for round_ in range(1, args.rounds + 1):
            for name in names:
                result = one_run(name, CONFIGURATIONS[name], clips, server)
                results[name].append(result)
                print(
                    f"round {round_} {name:<9} {result['audio'] / result['wall']:5.1f} audio s per s, "
                    f"wall {result['wall']:.1f} s, big done {result['big']:.1f} s, short p50 {result['short_p50']:.1f} s, "
                    f"CPU s per audio s {result['cpu'] / result['audio']:.3f}, load {result['load']:.1f}",
                    flush=True,
                )
    finally:
        server.close()
        shutil.rmtree(media, ignore_errors=True)

    print(f"\n{load_average()}; 20 tasks at once: 1 × 231 s + 19 short (5/11/53 s)")
    header = f"{'configuration':<14} {'audio s/s':>9} {'ratio':>6} {'big done s':>10} {'short p50 s':>11}"
    print(header + f" {'short max s':>11} {'CPU s/audio s':>13} {'WER big':>8} {'WER short':>9}")
    base = median([run["audio"] / run["wall"] for run in results[names[0]]])
    for name in names:
        runs = results[name]
        speed = median([run["audio"] / run["wall"] for run in runs])
        big_wers = [run["big_wer"] for run in runs if run["big_wer"] is not None]
        short_wers = [run["short_wer"] for run in runs if run["short_wer"] is not None]
        print(
            f"{name:<14} {speed:>9.1f} {speed / base:>6.2f} {median([run['big'] for run in runs]):>10.1f} "
            f"{median([run['short_p50'] for run in runs]):>11.1f} {median([run['short_max'] for run in runs]):>11.1f} "
            f"{median([run['cpu'] / run['audio'] for run in runs]):>13.3f} "
            f"{f'{100 * median(big_wers):.1f} %' if big_wers else 'n/a':>8} "
            f"{f'{100 * median(short_wers):.1f} %' if short_wers else 'n/a':>9}"
        )
    print(f"(ratio: against {names[0]} in the same run)")


if __name__ == "__main__":
    main()
