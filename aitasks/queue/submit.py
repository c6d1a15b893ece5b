"""The one way in: every path that creates work (the API, the videos API, the dashboard,
auto-transcription of uploaded and copied videos, video copies) calls `submit()`.

It checks the account's limit, creates, and queues after commit, all in one transaction that
holds a lock on the account's user row (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the
settings open every transaction with BEGIN IMMEDIATE, which takes the database's write lock):
two concurrent requests of one account count one after the other, so the limit holds under
any concurrency, and a request that would pass it creates nothing at all.

An account's unfinished work is its unfinished AI tasks plus its videos still being copied
(a copy downloads up to AITASKS_MAX_DOWNLOAD_MB, as a task does): at most AITASKS_QUEUE_LIMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from ..models import UNFINISHED_STATUSES, Task, Video, VideoStatus
from .broker import enqueue, enqueue_copy


class QueueFull(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Queue limit reached ({limit}), try later")


@dataclass
class Submitted:
    tasks: list[Task] = field(default_factory=list)
    video: Video | None = None


def submit(owner: Any, tasks: Sequence[dict[str, Any]] = (), copy: dict[str, Any] | None = None) -> Submitted:
    """Create `tasks` (each the fields of a Task) and, with `copy` (the fields of a Video with
    an origin_url), a video whose origin is copied; queue all of it once committed.
    QueueFull, and nothing created, when the account's limit would be passed."""
    wanted = len(tasks) + (1 if copy is not None else 0)
    with transaction.atomic():
        lock_account(owner.pk)
        limit = settings.AITASKS_QUEUE_LIMIT
        if unfinished_work(owner.pk) + wanted > limit:
            raise QueueFull(limit)
        submitted = Submitted()
        for fields in tasks:
            task = Task.objects.create(owner=owner, **fields)
            enqueue(task)
            submitted.tasks.append(task)
        if copy is not None:
            video = Video.objects.create(owner=owner, status=VideoStatus.PENDING, **copy)
            enqueue_copy(video)
            submitted.video = video
    return submitted


def lock_account(owner_id: int) -> None:
    """Hold the account's row until the transaction ends: its work is counted one at a time."""
    list(get_user_model().objects.select_for_update().filter(pk=owner_id).values_list("pk", flat=True))


def unfinished_work(owner_id: int) -> int:
    tasks = Task.objects.filter(owner_id=owner_id, status__in=UNFINISHED_STATUSES).count()
    copies = Video.objects.filter(owner_id=owner_id, status=VideoStatus.PENDING).count()
    return tasks + copies
