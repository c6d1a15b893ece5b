"""django-q2 entry points: thin, the work is in aitasks.pipeline.

- process_task: run one AI task (queued by aitasks.queue);
- recover_stalled_tasks: take back tasks whose worker died (scheduled, and at worker start);
- purge_expired: delete results past the retention period and leftover scratch files.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import queue, uploads, videos, webhooks
from .engines.base import EngineError
from .models import FINAL_STATUSES, Status, Task, Video, VideoStatus
from .pipeline.errors import PipelineError, Revoked
from .pipeline.runner import Job, run_pipeline

logger = logging.getLogger(__name__)
HOST = socket.gethostname()


class _ProgressReporter:
    """Writes progress only when it changes (and as a heartbeat every few seconds);
    a refused write means the task was revoked or taken back."""

    HEARTBEAT_S = 15

    def __init__(self, task: Task) -> None:
        self.task = task
        self.last: tuple[int, str] | None = None
        self.last_write = 0.0

    def __call__(self, percent: int, stage: str) -> None:
        now = time.monotonic()
        if (percent, stage) == self.last and now - self.last_write < self.HEARTBEAT_S:
            return
        self.last, self.last_write = (percent, stage), now
        if not self.task.report_progress(min(99, percent), stage):
            raise Revoked()


def this_worker() -> str:
    return f"{HOST}:{os.getpid()}"


def workdir_for(task: Task) -> Path:
    return settings.AITASKS_DATA_DIR / "work" / str(task.pk)


def process_task(task_id: str) -> str:
    task = Task.objects.filter(pk=task_id).first()
    if task is None or not task.claim(this_worker()):
        return "skipped: not waiting to run"
    workdir = workdir_for(task)
    workdir.mkdir(parents=True, exist_ok=True)
    video = task.video
    if task.video_id is not None and (video is None or not video.has_file):
        task.fail("the video's file is no longer available")
        return "failure"
    if task.upload and not task.upload_path.is_file():
        task.fail("the uploaded file is no longer available")
        return "failure"
    job = Job(
        url=task.url,
        workdir=workdir,
        audio_language=task.audio_language,
        subtitles_language=task.subtitles_language,
        max_duration_s=settings.AITASKS_MAX_DURATION_S,
        local_file=video.file_path if video is not None else task.upload_path,
        detect_only=bool(task.options.get("detect_only")),
    )
    try:
        outcome = run_pipeline(job, _ProgressReporter(task))
    except Revoked:
        return "revoked"
    except PipelineError as error:
        if error.permanent:
            task.fail(str(error))
            return "failure"
        return _retry_or_fail(task, str(error))
    except EngineError as error:
        logger.error("task %s: speech engine error: %s", task.pk, error)
        return _retry_or_fail(task, f"speech engine error: {error}")
    except Exception:
        logger.exception("task %s: internal error", task.pk)
        return _retry_or_fail(task, "internal error while processing the task")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        uploads.delete(task)  # only once the task has ended: a retry still needs it
    succeeded = task.succeed(
        outcome.to_result(with_words=bool(task.options.get("words"))), text=" ".join(cue.text for cue in outcome.cues)
    )
    uploads.delete(task)
    if succeeded:
        videos.attach_result(task)
    return "success"


def copy_video(video_id: int) -> str:
    video = Video.objects.filter(pk=video_id, status=VideoStatus.PENDING).first()
    if video is None:
        return "skipped: not waiting to be copied"
    videos.copy_origin(video)
    return "copied"


def _retry_or_fail(task: Task, reason: str) -> str:
    if task.attempts <= settings.AITASKS_MAX_RETRIES:
        if task.retry_later(reason):
            queue.enqueue(task)
            return "retry"
        return "taken away"
    task.fail(reason)
    return "failure"


def _worker_is_gone(worker: str) -> bool:
    """True when `worker` ran on this host and its process no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed process nobody has reaped yet is a zombie: gone all the same
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def recover_stalled_tasks() -> int:
    """Queue again the tasks whose worker died (killed, out of memory, machine restarted).

    A task is stalled when its worker process is gone from this host, or when it has not
    reported for AITASKS_STALLED_AFTER_S (a worker on another host). Each recovery counts as an
    attempt; past AITASKS_MAX_RETRIES the task fails with the reason.
    """
    stale_before = timezone.now() - timedelta(seconds=settings.AITASKS_STALLED_AFTER_S)
    recovered = 0
    for task in Task.objects.filter(status=Status.STARTED):
        if _worker_is_gone(task.worker):
            silent_since = None
        elif task.heartbeat_at is None or task.heartbeat_at < stale_before:
            silent_since = stale_before
        else:
            continue
        give_up, worker = task.attempts > settings.AITASKS_MAX_RETRIES, task.worker
        reason = "the worker processing the task stopped unexpectedly"
        if task.take_back_stalled(reason, give_up=give_up, silent_since=silent_since):
            shutil.rmtree(workdir_for(task), ignore_errors=True)
            if not give_up:
                queue.enqueue(task)
            recovered += 1
            logger.warning("task %s: worker %s stalled, task %s", task.pk, worker, "failed" if give_up else "requeued")
    return recovered


def purge_expired() -> int:
    """Delete tasks finished longer ago than AITASKS_RETENTION_DAYS, and stray scratch files."""
    cutoff = timezone.now() - timedelta(days=settings.AITASKS_RETENTION_DAYS)
    deleted, _ = Task.objects.filter(status__in=FINAL_STATUSES, completed_at__lt=cutoff).delete()
    work = settings.AITASKS_DATA_DIR / "work"
    if work.is_dir():
        running = {str(pk) for pk in Task.objects.filter(status=Status.STARTED).values_list("pk", flat=True)}
        quiet_since = time.time() - settings.AITASKS_STALLED_AFTER_S  # spare a task that just started
        for directory in work.iterdir():
            if directory.name not in running and directory.stat().st_mtime < quiet_since:
                shutil.rmtree(directory, ignore_errors=True)
    uploads.purge_orphans()
    webhooks.purge(cutoff)
    return deleted
