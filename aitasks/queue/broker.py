"""Putting work on the django-q2 queue.

The order matters: the task is committed, then moved to PENDING (a conditional UPDATE), and
only then is its message sent. A worker that gets the message always finds the task waiting;
a message that never leaves (the broker is down) or that a dying worker took with it leaves
the task PENDING with `queued_at` in the past, and recovery sends it again. Sending twice is
harmless: the worker's claim (one conditional UPDATE) lets one run through.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now
from django_q.tasks import async_task

from ..models import Status, Task, Video, VideoStatus

logger = logging.getLogger(__name__)


def enqueue(task: Task) -> None:
    """Queue `task` for a worker once the surrounding transaction commits."""
    transaction.on_commit(lambda: _to_pending_and_send(task))


def _to_pending_and_send(task: Task) -> None:
    if task.transition(Status.PENDING, queued_at=Now()):
        send(task)


def send(task: Task) -> bool:
    """Send the message that makes a worker run `task` (waiting in the database); False when
    the broker could not take it: the task stays waiting and recovery sends it later."""
    return _send("aitasks.worker.process_task", str(task.pk), name=f"ai-task-{task.pk}", group="ai-tasks")


def requeue(task: Task) -> bool:
    """Send again a task that has waited too long for a worker (its message was lost, or never
    left); the conditional UPDATE lets one of several concurrent recoveries do it."""
    if task.status == Status.PENDING:
        waiting = Task.objects.filter(pk=task.pk, status=Status.PENDING, queued_at=task.queued_at)
        moved = bool(waiting.update(queued_at=Now()))
    else:
        moved = task.transition(Status.PENDING, queued_at=Now())
    return moved and send(task)


def attempts_left(attempts: int) -> bool:
    """Whether work tried `attempts` times may be tried again (AITASKS_MAX_RETRIES retries)."""
    return attempts <= settings.AITASKS_MAX_RETRIES


def retry_or_fail(task: Task, reason: str) -> str:
    """After an internal failure (not the input's fault): queued again while the task has
    attempts left, else failed with `reason`. The worker's outcome, for its log."""
    if attempts_left(task.attempts):
        if task.retry_later(reason):
            enqueue(task)
            return "retry"
        return "taken away"
    return "failure" if task.fail(reason) else "taken away"


def enqueue_copy(video: Video) -> None:
    """Queue the copy of a video (already PENDING) once the surrounding transaction commits."""
    transaction.on_commit(lambda: send_copy(video))


def send_copy(video: Video) -> bool:
    if not Video.objects.filter(pk=video.pk, status=VideoStatus.PENDING, copier="").update(queued_at=Now()):
        return False
    return _send("aitasks.worker.copy_video", video.pk, name=f"video-copy-{video.pk}", group="aitasks")


def _send(function: str, *args: object, name: str, group: str) -> bool:
    options = {"task_name": name} if name else {}
    try:
        async_task(function, *args, group=group, **options)
    except Exception:  # the broker is down: the work waits in the database for recovery
        logger.exception("could not queue %s%s; recovery will queue it again", function, args)
        return False
    return True
