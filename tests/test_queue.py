"""The way to a worker: a task is waiting in the database before its message leaves, a
message always finds it claimable, and two workers never both run it."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from django.db import connections
from django_q.models import OrmQ
from django_q.signals import pre_enqueue

from aitasks import queue
from aitasks.models import Status, Task, sources_of
from aitasks.worker import process_task
from aitasks.workers import this_worker

URL = "http://127.0.0.1:9/a.mp4"


@pytest.mark.django_db
def test_the_task_is_pending_before_its_message_is_sent(user: object, django_capture_on_commit_callbacks) -> None:
    seen: list[str] = []

    def status_when_sent(sender: object, task: dict[str, Any], **kwargs: Any) -> None:
        seen.append(Task.objects.get(pk=task["args"][0]).status)

    task = Task.objects.create(owner=user, url=URL)
    pre_enqueue.connect(status_when_sent, dispatch_uid="test-status-when-sent")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            queue.enqueue(task)
    finally:
        pre_enqueue.disconnect(dispatch_uid="test-status-when-sent")
    assert seen == [Status.PENDING]


@pytest.mark.django_db
def test_a_message_for_a_task_not_yet_pending_still_runs_it(user: object, media_server: object) -> None:
    task = Task.objects.create(owner=user, url=media_server.url("missing.mp4"))  # still RECEIVED
    assert process_task(str(task.pk)) == "failure"
    task.refresh_from_db()
    assert (task.status, task.error, task.attempts) == (Status.FAILURE, "cannot download url: HTTP 404", 1)


@pytest.mark.django_db
def test_a_late_enqueue_never_pulls_a_running_task_back(user: object, django_capture_on_commit_callbacks) -> None:
    task = Task.objects.create(owner=user, url=URL)
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
        task = Task.objects.create(owner=user, url=URL, status=Status.PENDING)
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
