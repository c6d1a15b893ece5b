"""The way to a worker: a task is waiting in the database before its message leaves, a
message always finds it claimable, and two workers never both run it."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django_q.models import OrmQ
from django_q.signals import pre_enqueue

from aitasks import queue
from aitasks.models import Status, Task, sources_of
from aitasks.queue.workers import this_worker
from aitasks.worker import process_task
from tests import test_service
from tests.conftest import TASK_URL, make_task
from tests.test_service import Service

URL = TASK_URL
postgres_database = test_service.postgres_database


@pytest.mark.django_db
def test_the_task_is_pending_before_its_message_is_sent(user: object, django_capture_on_commit_callbacks) -> None:
    seen: list[str] = []

    def status_when_sent(sender: object, task: dict[str, Any], **kwargs: Any) -> None:
        seen.append(Task.objects.get(pk=task["args"][0]).status)

    task = make_task(user)
    pre_enqueue.connect(status_when_sent, dispatch_uid="test-status-when-sent")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            queue.enqueue(task)
    finally:
        pre_enqueue.disconnect(dispatch_uid="test-status-when-sent")
    assert seen == [Status.PENDING]


@pytest.mark.django_db
def test_a_message_for_a_task_not_yet_pending_still_runs_it(user: object, media_server: object) -> None:
    task = make_task(user, url=media_server.url("missing.mp4"))  # still RECEIVED
    assert process_task(str(task.pk)) == "failure"
    task.refresh_from_db()
    assert (task.status, task.error, task.attempts) == (Status.FAILURE, "cannot download url: HTTP 404", 1)


@pytest.mark.django_db
def test_a_late_enqueue_never_pulls_a_running_task_back(user: object, django_capture_on_commit_callbacks) -> None:
    task = make_task(user)
    stale_copy = Task.objects.get(pk=task.pk)
    assert task.claim(this_worker())
    with django_capture_on_commit_callbacks(execute=True):
        queue.enqueue(stale_copy)
    task.refresh_from_db()
    assert (task.status, task.worker) == (Status.STARTED, this_worker())
    assert OrmQ.objects.count() == 0
    assert Status.STARTED not in sources_of(Status.PENDING)


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_claiming_at_once_claim_the_task_once(user: object) -> None:
    for _round in range(3):
        task = make_task(user, status=Status.PENDING)
        connections.close_all()  # each process opens its own connection
        context = multiprocessing.get_context("fork")
        start, results = context.Barrier(4), context.Queue()
        processes = [context.Process(target=_claim, args=(str(task.pk), start, results)) for _ in range(4)]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=30) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        winners = [name for claimed, name in outcomes if claimed]
        assert len(winners) == 1, outcomes
        assert len({name for _claimed, name in outcomes}) == 4  # four distinct worker names
        task.refresh_from_db()
        assert (task.status, task.attempts, task.worker) == (Status.STARTED, 1, winners[0])


def _claim(task_id: str, start: Any, results: Any) -> None:
    task = Task.objects.get(pk=task_id)
    start.wait(timeout=20)
    results.put((task.claim(this_worker()), this_worker()))
    connections.close_all()


# One worker process: ready, wait for the signal that all four are, claim, say who won.
CLAIM_ON_SIGNAL = """
import sys, time
from pathlib import Path
import django
django.setup()
from aitasks.models import Task
from aitasks.queue.workers import this_worker
task = Task.objects.get(pk=sys.argv[1])
signals = Path(sys.argv[2])
(signals / f"ready-{this_worker().replace(':', '_')}").touch()
while not (signals / "go").exists():
    time.sleep(0.005)
print(task.claim(this_worker()), this_worker())
"""


def test_four_worker_processes_claiming_at_once_on_postgresql_claim_the_task_once(
    tmp_path: Path, postgres_database: str
) -> None:
    """The claim is one conditional UPDATE: on PostgreSQL, with four processes and four
    connections racing, one wins; the others are told no and change nothing."""
    service = Service(tmp_path, database_url=postgres_database)
    service.manage("migrate", "--verbosity", "0")
    make = (
        "from django.contrib.auth import get_user_model; from aitasks.models import Task, Status; "
        "user = get_user_model().objects.create_user('alice'); "
        f"print(Task.objects.create(owner=user, url={URL!r}, status=Status.PENDING).pk)"
    )
    task_id = service.manage("shell", "-c", make).strip().splitlines()[-1]  # after the shell's own notes
    signals = tmp_path / "signals"
    signals.mkdir()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_ON_SIGNAL, task_id, str(signals)],
            cwd=test_service.ROOT,
            env=service.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    deadline = time.monotonic() + 120
    while len(list(signals.glob("ready-*"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    (signals / "go").touch()
    outcomes = [worker.communicate(timeout=60) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), [err for _out, err in outcomes]
    claims = [out.split() for out, _err in outcomes]
    winners = [name for claimed, name in claims if claimed == "True"]
    assert len(winners) == 1, claims
    row = service.manage(
        "shell",
        "-c",
        f"from aitasks.models import Task; t = Task.objects.get(pk={task_id!r}); print(t.status, t.attempts, t.worker)",
    )
    assert row.strip().splitlines()[-1].split() == ["STARTED", "1", winners[0]]
