"""django-q2 entry points, and only those: each is named by its dotted path in queued messages
and schedules, claims its work (one conditional UPDATE: a message delivered twice runs once),
runs it and records the outcome.

- process_task: one AI task, through aitasks.pipeline (transcription) or aitasks.moderation
  (queued by aitasks.queue); an internal failure is retried by aitasks.queue.retry_or_fail;
- copy_video: a video's origin into storage (aitasks.hosted_videos);
- recover_stalled_tasks: work whose worker died or whose message was lost
  (aitasks.queue.recovery; scheduled, and at worker start);
- purge_expired: results past the retention period, and leftover files (aitasks.retention).

Webhook deliveries are not among them: they run on a pool of their own in each worker process
(aitasks.webhook_pool), so that a receiver that hangs never holds a worker that transcribes.
"""

from __future__ import annotations

import logging
import shutil
import time

from . import hosted_videos, jobs, queue, retention
from .engines.base import EngineError
from .models import Task, TaskName, Video
from .moderation.pipeline import run_moderation
from .moderation.store import save_outcome
from .pipeline.errors import PipelineError, Revoked
from .pipeline.runner import run_pipeline

logger = logging.getLogger(__name__)


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


def process_task(task_id: str) -> str:
    task = Task.objects.filter(pk=task_id).first()
    if task is None or not task.claim(queue.this_worker()):
        return "skipped: not waiting to run"
    workdir = task.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if task.video_id is not None and (task.video is None or not task.video.has_file):
            return _fail(task, "the video's file is no longer available")
        if task.upload and not task.upload_path.is_file():
            return _fail(task, "the uploaded file is no longer available")
        return _run(task)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(task: Task) -> str:
    moderation = task.task_name == TaskName.CONTENT_MODERATION
    try:
        if moderation:
            moderated = run_moderation(jobs.moderation_job(task), _ProgressReporter(task))
        else:
            outcome = run_pipeline(jobs.transcription_job(task), _ProgressReporter(task))
    except Revoked:
        return "revoked"
    except PipelineError as error:
        if error.permanent:
            return _fail(task, str(error))
        return queue.retry_or_fail(task, str(error))
    except EngineError as error:
        kind = "moderation model" if moderation else "speech engine"
        logger.error("task %s: %s error: %s", task.pk, kind, error)
        return queue.retry_or_fail(task, f"{kind} error: {error}")
    except Exception:
        logger.exception("task %s: internal error", task.pk)
        return queue.retry_or_fail(task, "internal error while processing the task")
    if moderation:
        return "success" if save_outcome(task, moderated) else "taken away"
    if not task.succeed(outcome.to_result(with_words=task.task_options().words)):
        return "taken away"  # revoked, or taken back from a worker thought dead
    hosted_videos.attach_result(task)
    return "success"


def _fail(task: Task, reason: str) -> str:
    return "failure" if task.fail(reason) else "taken away"


def copy_video(video_id: int) -> str:
    video = Video.objects.filter(pk=video_id).first()
    if video is None or not video.claim_copy(queue.this_worker()):
        return "skipped: not waiting to be copied"
    hosted_videos.copy_origin(video, video.copier)
    return "copied"


def recover_stalled_tasks() -> int:
    """The scheduled recovery (the schedule names this function): see aitasks.queue.recovery."""
    return queue.recover()


def purge_expired() -> int:
    """The daily retention job (the schedule names this function): see aitasks.retention."""
    return retention.purge_expired()
