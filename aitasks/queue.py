"""Putting tasks on the django-q2 queue."""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

from .models import Status, Task


def enqueue(task: Task) -> None:
    """Queue `task` for a worker once the surrounding transaction commits."""

    def send() -> None:
        async_task("aitasks.tasks.process_task", str(task.pk), task_name=f"ai-task-{task.pk}", group="ai-tasks")
        task.transition(Status.PENDING)

    transaction.on_commit(send)


def enqueue_call(function: str, *args: object) -> None:
    """Queue any worker function (a dotted path) once the surrounding transaction commits."""
    transaction.on_commit(lambda: async_task(function, *args, group="aitasks"))
