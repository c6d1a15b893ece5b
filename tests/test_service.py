"""The whole service as it is deployed: gunicorn, a django-q2 worker, a database and a broker,
each a real process, talking over real connections. Nothing in-process, nothing faked.

- the embedded default: SQLite and django-q2's ORM broker;
- the scaled-out configuration: PostgreSQL and django-q2 on Redis (the servers this machine
  runs on 127.0.0.1; the test skips when they are not there).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ENGLISH_KEY_WORDS, ENGLISH_TEXT
from tests.heard import assert_heard

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("AITASKS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AITASKS_TEST_REDIS", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    def __init__(self, tmp_path: Path, database_url: str, redis_url: str = "") -> None:
        self.port = free_port()
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_", "AITASKS_"))
        } | {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "SECRET_KEY": "service-test-" + uuid.uuid4().hex,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "AITASKS_QUEUE_NAME": "aitasks-test-" + uuid.uuid4().hex[:8],
            "AITASKS_DATA_DIR": str(tmp_path / "data"),
            "AITASKS_MODEL_CACHE_DIR": os.environ["AITASKS_MODEL_CACHE_DIR"],
            "AITASKS_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_WORKERS": "2",
            "PYTHONUNBUFFERED": "1",
        }
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def start_web(self) -> None:
        self.start("web", sys.executable, "-m", "gunicorn", "portal.wsgi", "--config", "gunicorn.conf.py")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/streaming/ai/info", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start: " + self.log("web"))

    def start_worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", sys.executable, "manage.py", "qcluster")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        for process in self.processes:
            _signal_group(process, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)  # stragglers in the group (the worker's children)
            process.wait()


def _signal_group(process: subprocess.Popen[bytes], number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def wait_until_final(client: httpx.Client, task_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        task = client.get(f"/streaming/ai/tasks/{task_id}").json()
        seen.append((task["status"], task["progress"]))
        if task["status"] in ("SUCCESS", "FAILURE", "REVOKED"):
            task["seen"] = seen
            return task
        time.sleep(0.3)
    raise AssertionError(f"task {task_id} did not finish: {seen[-5:]}")


def set_up(service: Service) -> httpx.Client:
    """Set up the service as an operator would; a client with a fresh API key."""
    service.manage("migrate", "--noinput", "-v0")
    key = service.manage("create_api_key", "operator", "--create-user").strip().splitlines()[-1]
    service.start_web()
    return httpx.Client(base_url=service.url, headers={"Authorization": f"APIKey {key}"}, timeout=30)


def exercise(service: Service, media_server: object) -> None:
    """Transcribe one video through the API, and fail one, as a client would."""
    service.start_worker()
    with set_up(service) as client:
        assert client.get("/streaming/ai/tasks").json()["results"] == []
        created = client.post(
            "/streaming/ai/tasks", json={"task_name": "transcription", "url": media_server.url("english.mp4")}
        )
        assert created.status_code == 200, created.text
        failing = client.post("/streaming/ai/transcribe", json={"url": media_server.url("missing.mp4")})
        task = wait_until_final(client, created.json()["task_id"])
        assert task["status"] == "SUCCESS", (task, service.log("worker"))
        statuses = [status for status, _progress in task["seen"]]
        assert statuses[0] in ("RECEIVED", "PENDING", "STARTED")
        progress = [value for _status, value in task["seen"]]
        assert progress == sorted(progress)
        assert_heard(task["result"]["concatenated_text"], ENGLISH_KEY_WORDS)
        assert task["result"]["languages"] == ["eng"]
        assert len(task["result"]["concatenated_text"]) > len(ENGLISH_TEXT) * 0.8
        failed = wait_until_final(client, failing.json()["task_id"])
        assert failed["result"] == {"error": "cannot download url: HTTP 404"}
        listed = client.get("/streaming/ai/tasks").json()
        assert listed["count"] == 2


SQLITE_FILE = "aitasks.sqlite3"


@pytest.fixture
def stop_after() -> Iterator[list[Service]]:
    services: list[Service] = []
    yield services
    for service in services:
        service.stop()


@pytest.fixture
def sqlite_service(tmp_path: Path, stop_after: list[Service]) -> Service:
    """The embedded default: the service on a SQLite file of its own (tmp_path / SQLITE_FILE)."""
    service = Service(tmp_path, database_url=f"sqlite:///{tmp_path / SQLITE_FILE}")
    stop_after.append(service)
    return service


def test_the_embedded_default_runs_on_sqlite_and_the_orm_broker(
    tmp_path: Path, media_server: object, sqlite_service: Service
) -> None:
    exercise(sqlite_service, media_server)
    with sqlite3.connect(tmp_path / SQLITE_FILE) as db:  # web and worker share the file: readers never wait
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = "aitasks_test_" + uuid.uuid4().hex[:10]
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {error}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def redis_url() -> str:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return REDIS_URL


def test_the_scaled_out_configuration_runs_on_postgres_and_redis(
    tmp_path: Path, media_server: object, postgres_database: str, redis_url: str, stop_after: list[Service]
) -> None:
    service = Service(tmp_path, database_url=postgres_database, redis_url=redis_url)
    stop_after.append(service)
    exercise(service, media_server)


def test_a_task_survives_its_worker_being_killed(tmp_path: Path, media_server: object, sqlite_service: Service) -> None:
    """SIGKILL the worker mid-task; once a worker starts again, the task completes exactly once."""
    service, database = sqlite_service, tmp_path / SQLITE_FILE
    with set_up(service) as client:
        first_worker = service.start_worker()
        created = client.post(
            "/streaming/ai/tasks",
            json={"task_name": "transcription", "url": media_server.url("slow/4/english.mp4")},
        ).json()
        deadline = time.monotonic() + 60
        while client.get(f"/streaming/ai/tasks/{created['task_id']}").json()["status"] != "STARTED":
            assert time.monotonic() < deadline, service.log("worker")
            time.sleep(0.1)
        os.killpg(first_worker.pid, signal.SIGKILL)
        first_worker.wait()

        service.start_worker()
        task = wait_until_final(client, created["task_id"])
        assert task["status"] == "SUCCESS", (task, service.log("worker"))
        assert_heard(task["result"]["concatenated_text"], ENGLISH_KEY_WORDS)
        assert task["result"]["vttContent"].count(" --> ") == len(task["result"]["subtitles"]) >= 1

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT status, attempts, worker FROM aitasks_task").fetchall()
    assert len(rows) == 1
    status, attempts, worker = rows[0]
    assert (status, attempts) == ("SUCCESS", 2)


def test_a_refusal_sent_before_a_large_body_is_read_closes_the_connection_and_the_client_goes_on(
    sqlite_service: Service,
) -> None:
    # gunicorn drains at most 64 KB of a body the application did not read, then closes the
    # connection: the answer must say so, or the client sends its next request into it.
    sqlite_service.start_web()
    with httpx.Client(base_url=sqlite_service.url, timeout=10) as client:
        upload = {"file": ("talk.wav", b"\0" * (256 * 1024), "audio/wav")}
        refused = client.post("/v1/audio/transcriptions", files=upload, data={"model": "whisper-1"})
        assert refused.status_code == 401
        assert refused.headers["Connection"] == "close"
        again = client.post("/v1/audio/transcriptions", files=upload, data={"model": "whisper-1"})
        assert again.status_code == 401
        # A refusal with no body to leave unread keeps the connection.
        small = client.get("/streaming/ai/tasks")
        assert small.status_code == 401
        assert small.headers["Connection"] == "keep-alive"
