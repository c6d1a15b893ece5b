"""The API under load: 500 task creations from 20 concurrent clients against gunicorn.

Starts the real service as tests/test_service.py does (gunicorn, WEB_WORKERS=2 × 4 threads,
no queue worker: tasks only queue, their URL http://127.0.0.1:9/x.mp4 is never fetched) on a
scratch SQLite database, or on a scratch database created (and dropped) on the PostgreSQL
server given with --database-url. Every task has its own client_entity_data; half the creates
carry an Idempotency-Key and are sent twice, as the SDK's retry would. Then every task is
read back through the paginated list and counted: lost (answered 200 but not listed),
duplicated (listed twice), unanswered (listed but never answered 200), 5xx, transport errors.
The per-account queue limit is raised to 1000 for the run (AITASKS_QUEUE_LIMIT=1000), as
500 tasks stay unfinished.

    .venv/bin/python bench/load.py [--tasks 500] [--clients 20] [--sqlite-journal wal|delete]
    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/test

With --workers N, a django-q2 cluster of N workers runs too (on Redis with --redis URL, else
on the ORM broker) and every task's origin is a real HTTP server on 127.0.0.1 that answers 404
at once: the bench then waits until every task has reached a final state (or --wait-s passed)
and counts the tasks stuck (never final), lost (answered 200, not stored), duplicated (stored
twice, or finished by more than one run according to django-q2's records), and wrong (final
without the 404 reason).

    .venv/bin/python bench/load.py --workers 4 --redis redis://127.0.0.1:6379/11
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
URL = "http://127.0.0.1:9/x.mp4"  # port 9 (discard): never fetched, no worker runs
QUEUE_LIMIT = "1000"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--database-url",
        "--postgres",
        dest="postgres",
        default="",
        help="a PostgreSQL server (its admin URL): a scratch database is created there and dropped",
    )
    parser.add_argument(
        "--sqlite-journal",
        choices=("wal", "delete"),
        default="wal",
        help="SQLITE_JOURNAL_MODE for the scratch SQLite file (the settings' default: wal)",
    )
    parser.add_argument("--workers", type=int, default=0, help="run a django-q2 cluster of this many workers")
    parser.add_argument("--redis", default="", help="django-q2 on this Redis (a queue name of its own)")
    parser.add_argument("--wait-s", type=float, default=600, help="how long to wait for every task to end")
    args = parser.parse_args()

    from tests.conftest import MediaServer  # sets up Django's test environment, as the tests do
    from tests.test_service import Service

    logging.getLogger("httpx").setLevel(logging.WARNING)
    scratch = Path(tempfile.mkdtemp(prefix="aitasks-load-"))
    database, drop = scratch_database(args.postgres, scratch)
    service = Service(scratch, database_url=database, redis_url=args.redis)
    service.env["AITASKS_QUEUE_LIMIT"] = QUEUE_LIMIT
    service.env["SQLITE_JOURNAL_MODE"] = args.sqlite_journal
    service.env["AITASKS_WORKERS"] = str(max(1, args.workers))
    (scratch / "empty-origin").mkdir()
    origins = MediaServer(scratch / "empty-origin") if args.workers else None
    try:
        service.manage("migrate", "--noinput", "-v0")
        key = service.manage("create_api_key", "load", "--create-user").strip().splitlines()[-1]
        service.start_web()
        if args.workers:
            service.start_worker()
        if args.postgres:
            label = "PostgreSQL (scratch database)"
        else:
            label = f"SQLite, {args.sqlite_journal} journal"
        url = origins.url("missing.mp4") if origins else URL
        created = run(service.url, key, args.tasks, args.clients, label, url)
        if args.workers:
            broker = f"Redis ({args.redis})" if args.redis else "the ORM broker"
            print(f"queue: {args.workers} django-q2 workers on {broker}; origins answer 404 at once")
            wait_for_all(service.url, key, created, database, args.wait_s)
    finally:
        service.stop()
        if origins:
            origins.close()
        drop()
        shutil.rmtree(scratch, ignore_errors=True)


def scratch_database(admin_url: str, scratch: Path) -> tuple[str, Callable[[], None]]:
    if not admin_url:
        return f"sqlite:///{scratch / 'load.sqlite3'}", lambda: None
    import psycopg

    name = "aitasks_load_" + uuid.uuid4().hex[:8]
    admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def run(base_url: str, key: str, total: int, clients: int, database: str, url: str = URL) -> dict[str, str]:
    statuses: Counter[int | str] = Counter()
    latencies: list[float] = []
    created: dict[str, str] = {}  # client_entity_data → task_id
    replays_differing = 0
    lock = threading.Lock()
    run_id = uuid.uuid4().hex[:8]
    per_client = [range(start, total, clients) for start in range(clients)]
    load_before = os.getloadavg()[0]

    def client(indexes: range) -> None:
        nonlocal replays_differing
        with httpx.Client(base_url=base_url, headers={"Authorization": f"APIKey {key}"}, timeout=60) as http:
            for index in indexes:
                body = {"task_name": "transcription", "url": url, "client_entity_data": f"load-{run_id}-{index}"}
                headers = {"Idempotency-Key": f"load-{run_id}-{index}"} if index % 2 else {}
                answers = []
                for _attempt in range(2 if headers else 1):  # a retried POST, as the SDK would
                    began = time.perf_counter()
                    try:
                        response = http.post("/streaming/ai/tasks", json=body, headers=headers)
                    except httpx.HTTPError as problem:
                        with lock:
                            statuses[type(problem).__name__] += 1
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - began)
                        statuses[response.status_code] += 1
                    if response.status_code == 200:
                        answers.append(response.json()["task_id"])
                with lock:
                    if answers:
                        created[body["client_entity_data"]] = answers[0]
                    if len(set(answers)) > 1:
                        replays_differing += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(indexes,)) for indexes in per_client]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    load_after = os.getloadavg()[0]

    listed: Counter[str] = Counter()
    listed_ids: Counter[str] = Counter()
    with httpx.Client(base_url=base_url, headers={"Authorization": f"APIKey {key}"}, timeout=60) as http:
        page = 1
        while True:
            response = http.get("/streaming/ai/tasks", params={"page": page, "limit": 100})
            response.raise_for_status()
            results = response.json()["results"]
            if not results:
                break
            listed.update(task["task_data"].get("client_entity_data", "") for task in results)
            listed_ids.update(task["task_id"] for task in results)
            page += 1
    requests_sent = sum(statuses.values())
    lost = [entity for entity, task_id in created.items() if entity not in listed or task_id not in listed_ids]
    duplicated = [entity for entity, count in listed.items() if count > 1]
    unanswered = [entity for entity in listed if entity not in created]
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))] * 1000

    retried = len(range(1, total, 2))
    threads = os.environ.get("WEB_THREADS", "4")
    conn_max_age = os.environ.get("DATABASE_CONN_MAX_AGE", "60")
    print(f"database: {database}; DATABASE_CONN_MAX_AGE={conn_max_age}")
    print(f"gunicorn WEB_WORKERS=2 x WEB_THREADS={threads}")
    print(f"AITASKS_QUEUE_LIMIT={QUEUE_LIMIT} for this run (default 100 unfinished tasks per account)")
    print(f"{clients} concurrent clients; tasks wanted: {total}; requests sent: {requests_sent} ", end="")
    print(f"({retried} creates sent twice with the same Idempotency-Key)")
    print(f"responses by status: {dict(sorted(statuses.items(), key=str))}")
    print(f"tasks created: {len(created)}; listed: {sum(listed.values())} on {page - 1} pages")
    print(f"lost: {len(lost)}; duplicated: {len(duplicated)}; listed but never answered 200: {len(unanswered)}")
    print(f"retries answered with another task: {replays_differing}")
    server_errors = sum(count for status, count in statuses.items() if isinstance(status, int) and status >= 500)
    print(f"5xx: {server_errors}; transport errors: {sum(c for s, c in statuses.items() if isinstance(s, str))}")
    print(f"throughput: {requests_sent / elapsed:.0f} requests/s over {elapsed:.1f} s")
    print(
        f"latency ms: p50 {percentile(0.50):.0f}, p95 {percentile(0.95):.0f}, p99 {percentile(0.99):.0f}, "
        f"mean {statistics.mean(latencies) * 1000:.0f}"
    )
    print(f"machine: {os.cpu_count()} CPUs, 1-min load average {load_before:.1f} before, {load_after:.1f} after")
    return created


FINAL = ("SUCCESS", "FAILURE", "REVOKED")
REASON = "cannot download url: HTTP 404"


def wait_for_all(base_url: str, key: str, created: dict[str, str], database: str, wait_s: float) -> None:
    """Wait until every created task is final; count stuck, lost, duplicated and wrong ones."""
    began = time.perf_counter()
    with httpx.Client(base_url=base_url, headers={"Authorization": f"APIKey {key}"}, timeout=60) as http:
        while True:
            statuses = Counter(task["status"] for task in list_all(http))
            waiting = sum(count for status, count in statuses.items() if status not in FINAL)
            if not waiting or time.perf_counter() - began > wait_s:
                break
            time.sleep(1)
        elapsed = time.perf_counter() - began
        tasks = list_all(http)
        details = [http.get(f"/streaming/ai/tasks/{task['task_id']}").json() for task in tasks]
    by_entity = Counter(task["task_data"].get("client_entity_data", "") for task in tasks)
    stored_ids = {task["task_id"] for task in tasks}
    stuck = [task for task in tasks if task["status"] not in FINAL]
    lost = [task_id for task_id in created.values() if task_id not in stored_ids]
    wrong = [d for d in details if d["status"] in FINAL and d.get("result") != {"error": REASON}]
    runs = finished_runs(database)
    ran_twice = [task_id for task_id, count in runs.items() if count > 1]
    stuck_ids = {task["task_id"] for task in stuck}
    never_ran = [task_id for task_id in stored_ids - stuck_ids if task_id.replace("-", "") not in runs]
    print(f"all final after {elapsed:.1f} s ({len(tasks) / elapsed:.1f} tasks/s through the workers)")
    print(f"final statuses: {dict(Counter(task['status'] for task in tasks))}")
    print(
        f"stuck: {len(stuck)}; lost: {len(lost)}; duplicated: {sum(c - 1 for c in by_entity.values() if c > 1)}; "
        f"finished by more than one run: {len(ran_twice)}; final without a run recorded: {len(never_ran)}; "
        f"final with another result than the 404 reason: {len(wrong)}"
    )


def list_all(http: httpx.Client) -> list[dict]:
    tasks, page = [], 1
    while results := http.get("/streaming/ai/tasks", params={"page": page, "limit": 100}).json()["results"]:
        tasks += results
        page += 1
    return tasks


def finished_runs(database: str) -> Counter[str]:
    """How many runs of each task ended (returned success or failure), from django-q2's records
    (its result table, which the cluster writes for every run it completes)."""
    from picklefield.fields import dbsafe_decode

    query = "SELECT name, result FROM django_q_task WHERE name LIKE 'ai-task-%'"
    if database.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(database.removeprefix("sqlite:///")) as connection:
            rows = connection.execute(query).fetchall()
    else:
        import psycopg

        with psycopg.connect(database) as connection:
            rows = connection.execute(query.replace("%", "%%")).fetchall()
    runs: Counter[str] = Counter()
    for name, result in rows:
        if dbsafe_decode(result) in ("success", "failure"):
            runs[name.removeprefix("ai-task-").replace("-", "")] += 1
    return runs


if __name__ == "__main__":
    main()
