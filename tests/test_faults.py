"""The service under faults, as deployed: gunicorn, django-q2 with several workers on a Redis
of its own (so that it can be killed and started again), PostgreSQL. Workers are killed with
SIGKILL in chosen pipeline stages, Redis is killed and restarted mid-run (every message it
held is lost), the tasks table is locked for a while; every task still ends exactly once:
one row, a final status, its result intact, and never two finished runs in django-q2's records.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import test_service
from tests.conftest import ENGLISH_KEY_WORDS
from tests.heard import assert_heard
from tests.test_service import Service, set_up

REDIS_PORT = int(os.environ.get("AITASKS_TEST_REDIS_PORT", "6391"))
FINAL = ("SUCCESS", "FAILURE", "REVOKED")
stop_after, postgres_database = test_service.stop_after, test_service.postgres_database


class RedisServer:
    """A redis-server of the test's own, without persistence: a restart loses every message."""

    def __init__(self, port: int, logs: Path) -> None:
        self.port, self.logs, self.process = port, logs, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = (self.logs / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        redis = pytest.importorskip("redis")
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        pytest.skip("no redis-server on this machine")
    server = RedisServer(REDIS_PORT, tmp_path)
    try:
        server.start()
    except AssertionError as problem:
        pytest.skip(f"cannot run redis-server on port {REDIS_PORT}: {problem}")
    yield server
    server.kill()


class Faults:
    """The service on PostgreSQL and its own Redis, and the means to hurt it."""

    def __init__(self, tmp_path: Path, database_url: str, redis: RedisServer, workers: int) -> None:
        self.database_url, self.redis = database_url, redis
        self.service = Service(tmp_path, database_url=database_url, redis_url=redis.url)
        self.service.env |= {
            "AITASKS_WORKERS": str(workers),
            "AITASKS_REQUEUE_AFTER_S": "2",  # a lost message is sent again at the next recovery
            "AITASKS_QUEUE_LIMIT": "1000",
            "AITASKS_WHISPER_CPU_THREADS": "1",
            "AITASKS_WHISPER_BEAM_SIZE": "1",
        }
        self.client = set_up(self.service)
        self.cluster = self.service.start_worker()

    def create(self, url: str) -> str:
        response = self.client.post("/streaming/ai/tasks", json={"task_name": "transcription", "url": url})
        assert response.status_code == 200, response.text
        return response.json()["task_id"]

    def query(self, sql: str, *args: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return connection.execute(sql, args).fetchall()

    def kill_worker_in(self, stage: str, timeout: float = 60) -> str:
        """SIGKILL the worker process running some task in `stage`; the stage it was in."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.query("SELECT worker, stage FROM aitasks_task WHERE status = 'STARTED' AND stage = %s", stage)
            for worker, seen in rows:
                pid = int(worker.split(":")[1])
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                return seen
            time.sleep(0.01)
        raise AssertionError(f"no task reached stage {stage}: {self.service.log('worker')}")

    def lock_tasks_table(self, seconds: float) -> threading.Thread:
        """Hold an exclusive lock on the tasks table: every reader and writer waits."""
        import psycopg

        locked = threading.Event()

        def hold() -> None:
            with psycopg.connect(self.database_url) as connection:
                connection.execute("LOCK TABLE aitasks_task IN ACCESS EXCLUSIVE MODE")
                locked.set()
                time.sleep(seconds)

        thread = threading.Thread(target=hold)
        thread.start()
        assert locked.wait(10)
        return thread

    def wait_until_all_final(self, task_ids: list[str], timeout: float) -> dict[str, tuple]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.query("SELECT id::text, status, error, result FROM aitasks_task")
            unfinished = [row for row in rows if row[1] not in FINAL]
            if not unfinished or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert not unfinished, (Counter(row[1] for row in unfinished), self.service.log("worker"))
        return {row[0].replace("-", ""): row[1:] for row in rows}

    def finished_runs(self) -> Counter[str]:
        """How many runs of each task ended (success or failure), from django-q2's records."""
        from picklefield.fields import dbsafe_decode

        runs: Counter[str] = Counter()
        for name, result in self.query("SELECT name, result FROM django_q_task WHERE name LIKE 'ai-task-%%'"):
            if dbsafe_decode(result) in ("success", "failure"):
                runs[name.removeprefix("ai-task-").replace("-", "")] += 1
        return runs


def check_every_task_ended_once(faults: Faults, expected: dict[str, str], timeout: float) -> dict[str, tuple]:
    rows = faults.wait_until_all_final(list(expected), timeout)
    ids = {task_id.replace("-", "") for task_id in expected}
    assert set(rows) == ids  # one row per task, nothing more
    runs = faults.finished_runs()
    # Never finished by two runs. (A run's record travels from the worker process to django-q2's
    # monitor through a pipe: a worker killed at the wrong moment can lose the record of a run
    # that did end its task, so a task with no record is judged by its row alone.)
    twice = {task_id: runs[task_id] for task_id in ids if runs[task_id] > 1}
    assert not twice, twice
    for task_id, kind in expected.items():
        status, error, result = rows[task_id.replace("-", "")]
        if kind == "missing":
            assert (status, error) == ("FAILURE", "cannot download url: HTTP 404")
        else:
            assert status == "SUCCESS", (error, faults.service.log("worker"))
            text = " ".join(" ".join(cue["lines"]) for cue in result["cues"])
            assert_heard(text, ENGLISH_KEY_WORDS)
    return rows


def test_every_task_ends_once_through_killed_workers_a_restarted_redis_and_a_locked_table(
    tmp_path: Path, media_server: object, postgres_database: str, own_redis: RedisServer, stop_after: list[Service]
) -> None:
    """The lean run, no model: two workers, 15 tasks whose origin answers 404 (some after a wait, to
    be killed while downloading). A worker is killed mid-download, the tasks table is locked,
    Redis is killed with messages in it and a task is created while it is down, Redis comes
    back, and a worker killed mid-download starts again and recovers what was lost."""
    faults = Faults(tmp_path, postgres_database, own_redis, workers=2)
    stop_after.append(faults.service)
    run_the_faults(faults, media_server, last_url=media_server.url("slow/1.5/missing-last.mp4"), last_kind="missing")


@pytest.mark.slow
def test_every_task_ends_once_with_real_transcriptions_through_the_same_faults(
    tmp_path: Path, media_server: object, postgres_database: str, own_redis: RedisServer, stop_after: list[Service]
) -> None:
    """The same with the real model: the last worker is killed while it transcribes."""
    faults = Faults(tmp_path, postgres_database, own_redis, workers=2)
    stop_after.append(faults.service)
    expected = {faults.create(media_server.url("slow/3/english.mp4")): "speech"}
    run_the_faults(faults, media_server, last_url=media_server.url("english.mp4"), last_kind="speech", also=expected)


def run_the_faults(
    faults: Faults, media_server: object, last_url: str, last_kind: str, also: dict[str, str] | None = None
) -> None:
    expected = dict(also or {})
    expected[faults.create(media_server.url("slow/1.5/missing-first.mp4"))] = "missing"
    assert faults.kill_worker_in("download") == "download"
    expected |= {faults.create(media_server.url(f"missing-{index}.mp4")): "missing" for index in range(12)}
    locker = faults.lock_tasks_table(1.5)
    faults.redis.kill()  # the messages no worker has taken yet are gone
    expected[faults.create(media_server.url("missing-while-down.mp4"))] = "missing"  # cannot be sent now
    locker.join()
    faults.redis.start()
    time.sleep(2)  # AITASKS_REQUEUE_AFTER_S: what was lost is now old enough to be sent again
    expected[faults.create(last_url)] = last_kind
    # The worker started in its place recovers the lost messages.
    faults.kill_worker_in("download" if last_kind == "missing" else "transcription")
    check_every_task_ended_once(faults, expected, timeout=120)
    os.killpg(faults.cluster.pid, signal.SIGKILL)  # nothing left to finish: no graceful stop to wait for


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["download", "audio", "speech", "language", "transcription"])
def test_a_worker_killed_in_each_pipeline_stage_leaves_its_task_to_end_once(
    tmp_path: Path,
    media_server: object,
    postgres_database: str,
    own_redis: RedisServer,
    stop_after: list[Service],
    stage: str,
) -> None:
    faults = Faults(tmp_path, postgres_database, own_redis, workers=3)
    stop_after.append(faults.service)
    expected = {faults.create(media_server.url("late-speech.mp4")): "speech" for _ in range(3)}
    faults.kill_worker_in(stage, timeout=120)
    expected |= {faults.create(media_server.url(f"missing-{index}.mp4")): "missing" for index in range(10)}
    check_every_task_ended_once(faults, expected, timeout=240)
    os.killpg(faults.cluster.pid, signal.SIGKILL)
