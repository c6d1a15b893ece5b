"""The API under load: 500 task creations from 20 concurrent clients against gunicorn.

Starts the real service (gunicorn, 2 workers × 4 threads, no queue worker: tasks only
queue) on a scratch SQLite database, or the PostgreSQL server given with --postgres (a
scratch database is created and dropped). Half the creates carry an Idempotency-Key and are
sent twice, as the SDK's retry would. Then every task is read back through the paginated list
and counted: lost (created but not listed), duplicated, 5xx. The per-account queue limit is
raised to 1000 for the run (AITASKS_QUEUE_LIMIT).

    .venv/bin/python bench/load.py [--tasks 500] [--clients 20] [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--postgres", default="", help="an admin URL of a PostgreSQL server")
    args = parser.parse_args()

    from tests.test_service import Service

    scratch = Path(tempfile.mkdtemp(prefix="aitasks-load-"))
    database, drop = scratch_database(args.postgres, scratch)
    service = Service(scratch, database_url=database)
    service.env["AITASKS_QUEUE_LIMIT"] = "1000"
    service.env.setdefault("AITASKS_MODEL_CACHE_DIR", str(ROOT / "var" / "models"))
    try:
        service.manage("migrate", "--noinput", "-v0")
        key = service.manage("create_api_key", "load", "--create-user").strip().splitlines()[-1]
        service.start_web()
        run(service.url, key, args.tasks, args.clients, "PostgreSQL" if args.postgres else "SQLite")
    finally:
        service.stop()
        drop()


def scratch_database(admin_url: str, scratch: Path) -> tuple[str, object]:
    if not admin_url:
        return f"sqlite:///{scratch / 'load.sqlite3'}", lambda: None
    import psycopg

    name = "aitasks_load_" + uuid.uuid4().hex[:8]
    admin = psycopg.connect(admin_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def run(base_url: str, key: str, total: int, clients: int, database: str) -> None:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    created: dict[str, str] = {}  # client_entity_data → task_id
    replays_differing = 0
    lock = threading.Lock()
    per_client = [range(start, total, clients) for start in range(clients)]

    def client(indexes: range) -> None:
        nonlocal replays_differing
        with httpx.Client(base_url=base_url, headers={"Authorization": f"APIKey {key}"}, timeout=60) as http:
            for index in indexes:
                body = {
                    "task_name": "transcription",
                    "url": "http://127.0.0.1:9/x.mp4",
                    "client_entity_data": f"item-{index}",
                }
                headers = {"Idempotency-Key": f"load-{index}"} if index % 2 else {}
                answers = []
                for _attempt in range(2 if headers else 1):  # a retried POST, as the SDK would
                    began = time.perf_counter()
                    response = http.post("/streaming/ai/tasks", json=body, headers=headers)
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

    listed: Counter[str] = Counter()
    with httpx.Client(base_url=base_url, headers={"Authorization": f"APIKey {key}"}, timeout=60) as http:
        page = 1
        while True:
            results = http.get("/streaming/ai/tasks", params={"page": page, "limit": 100}).json()["results"]
            if not results:
                break
            listed.update(task["task_data"].get("client_entity_data", "") for task in results)
            page += 1
    requests_sent = sum(statuses.values())
    lost = [entity for entity in created if entity not in listed]
    duplicated = [entity for entity, count in listed.items() if count > 1]
    latencies.sort()

    def percentile(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))] * 1000

    print(f"database: {database}; gunicorn 2 workers x 4 threads; {clients} concurrent clients; queue limit 1000")
    print(f"tasks wanted: {total}; requests sent: {requests_sent} ({total // 2} retried with the same Idempotency-Key)")
    print(f"responses by status: {dict(sorted(statuses.items()))}")
    print(f"tasks created: {len(created)}; in the list: {sum(listed.values())}")
    print(f"lost: {len(lost)}; duplicated: {len(duplicated)}; retries answered with another task: {replays_differing}")
    print(f"5xx: {sum(count for status, count in statuses.items() if status >= 500)}")
    print(f"throughput: {requests_sent / elapsed:.0f} requests/s over {elapsed:.1f} s")
    print(
        f"latency ms: p50 {percentile(0.50):.0f}, p95 {percentile(0.95):.0f}, p99 {percentile(0.99):.0f}, mean {statistics.mean(latencies) * 1000:.0f}"
    )


if __name__ == "__main__":
    main()
