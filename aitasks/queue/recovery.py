"""Nothing waits forever: work whose worker died, or whose message was lost, is queued again.

Runs when a worker starts and every two minutes (a django-q2 schedule). Three kinds of work:

- a task STARTED by a worker process that is gone (on this machine: aitasks.queue.workers), or that
  has not reported for AITASKS_STALLED_AFTER_S (a worker elsewhere): back to RETRY and queued,
  counting an attempt; past AITASKS_MAX_RETRIES it fails with the reason;
- a task still waiting (RECEIVED, PENDING, RETRY) AITASKS_REQUEUE_AFTER_S after it was queued:
  its message never reached a worker (the broker restarted, a worker died holding it, the web
  process died before sending it): sent again. A duplicate message is harmless: the claim
  lets one worker run it;
- a video copy in the same two situations.
"""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import WAITING_STATUSES, Status, Task, Video, VideoStatus
from .broker import attempts_left, enqueue, requeue, send_copy
from .workers import is_gone

logger = logging.getLogger(__name__)


def recover() -> int:
    """Recover what can be; the number of tasks and copies queued again (or failed)."""
    return take_back_stalled_tasks() + requeue_waiting_tasks() + recover_copies()


def take_back_stalled_tasks() -> int:
    stale_before = timezone.now() - timedelta(seconds=settings.AITASKS_STALLED_AFTER_S)
    recovered = 0
    for task in Task.objects.filter(status=Status.STARTED):
        if is_gone(task.worker):
            silent_since = None
        elif task.heartbeat_at is None or task.heartbeat_at < stale_before:
            silent_since = stale_before
        else:
            continue
        give_up, worker = not attempts_left(task.attempts), task.worker
        reason = "the worker processing the task stopped unexpectedly"
        if task.take_back_stalled(reason, give_up=give_up, silent_since=silent_since):
            shutil.rmtree(task.workdir, ignore_errors=True)
            if not give_up:
                enqueue(task)
            recovered += 1
            logger.warning("task %s: worker %s stalled, task %s", task.pk, worker, "failed" if give_up else "requeued")
    return recovered


def requeue_waiting_tasks() -> int:
    waiting_since = timezone.now() - timedelta(seconds=settings.AITASKS_REQUEUE_AFTER_S)
    requeued = 0
    for task in Task.objects.filter(status__in=WAITING_STATUSES, queued_at__lt=waiting_since).order_by("queued_at"):
        if requeue(task):
            requeued += 1
            logger.warning("task %s: waited since %s for a worker, queued again", task.pk, task.queued_at)
    return requeued


def recover_copies() -> int:
    now = timezone.now()
    waiting_since = now - timedelta(seconds=settings.AITASKS_REQUEUE_AFTER_S)
    # A copy reports nothing while it downloads: one running longer than a download may take
    # (and the stall margin) elsewhere is dead.
    stale_before = now - timedelta(seconds=settings.AITASKS_DOWNLOAD_TIMEOUT_S + settings.AITASKS_STALLED_AFTER_S)
    recovered = 0
    for video in Video.objects.filter(status=VideoStatus.PENDING):
        if not video.copier:
            if (video.queued_at or video.created_at) < waiting_since and send_copy(video):
                recovered += 1
            continue
        if not is_gone(video.copier) and (video.copy_started_at or now) >= stale_before:
            continue
        if not attempts_left(video.copy_attempts):
            failed = video.transition(
                VideoStatus.ERROR, by_copier=True, error="the worker copying the video stopped unexpectedly"
            )
            recovered += failed
        elif video.release_copy(video.copier):
            video.copier = ""
            send_copy(video)
            recovered += 1
        logger.warning("video %s: the worker copying it stalled", video.pk)
    return recovered
