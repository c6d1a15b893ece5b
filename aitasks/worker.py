"""django-q2 entry points, named by their dotted paths in queued messages and schedules.

Each claims its work (one conditional UPDATE: a message delivered twice runs once), runs it
and records the outcome; the work itself is elsewhere:

- process_task: one AI task through aitasks.pipeline (queued by aitasks.queue); an internal
  failure is retried by aitasks.queue.retry_or_fail;
- copy_video: a video's origin into storage (aitasks.hosted_videos);
- recover_stalled_tasks: work whose worker died or whose message was lost (aitasks.recovery;
  scheduled, and at worker start);
- purge_expired: results past the retention period, and leftover files (aitasks.retention).

Webhook deliveries run from aitasks.webhooks (deliver, deliver_due).
"""

from __future__ import annotations

import logging
import shutil
import time

from django.conf import settings
from django.db import transaction

from . import hosted_videos, queue, recovery, retention, uploaded_media
from .engines.base import EngineError
from .models import FlaggedFrame, Task, TaskName, Video
from .pipeline.errors import PipelineError, Revoked
from .pipeline.moderation import ModerationJob, run_moderation
from .pipeline.runner import Job, run_pipeline
from .workers import HOST, this_worker

__all__ = ["HOST", "copy_video", "process_task", "purge_expired", "recover_stalled_tasks", "this_worker"]
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


def job_for(task: Task) -> Job:
    """What the pipeline is asked to do for the task."""
    video = task.video
    return Job(
        url=task.url,
        workdir=task.workdir,
        audio_language=task.audio_language,
        subtitles_language=task.subtitles_language,
        max_duration_s=settings.AITASKS_MAX_DURATION_S,
        local_file=video.file_path if video is not None else task.upload_path,
        detect_only=bool(task.options.get("detect_only")),
        prompt=str(task.options.get("prompt", "")),
        temperature=float(task.options.get("temperature") or 0.0),
        # The task's own choice, else the installation's at the time the task runs.
        chinese_script=task.chinese_script or settings.AITASKS_CHINESE_SCRIPT,
    )


def process_task(task_id: str) -> str:
    task = Task.objects.filter(pk=task_id).first()
    if task is None or not task.claim(this_worker()):
        return "skipped: not waiting to run"
    workdir = task.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    video = task.video
    if task.video_id is not None and (video is None or not video.has_file):
        return _fail(task, "the video's file is no longer available")
    if task.upload and not task.upload_path.is_file():
        return _fail(task, "the uploaded file is no longer available")
    job = job_for(task)
    try:
        if task.task_name == TaskName.CONTENT_MODERATION:
            return _moderate(task, job)
        outcome = run_pipeline(job, _ProgressReporter(task))
    except Revoked:
        return "revoked"
    except PipelineError as error:
        if error.permanent:
            return _fail(task, str(error))
        return queue.retry_or_fail(task, str(error))
    except EngineError as error:
        kind = "moderation model" if task.task_name == TaskName.CONTENT_MODERATION else "speech engine"
        logger.error("task %s: %s error: %s", task.pk, kind, error)
        return queue.retry_or_fail(task, f"{kind} error: {error}")
    except Exception:
        logger.exception("task %s: internal error", task.pk)
        return queue.retry_or_fail(task, "internal error while processing the task")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        uploaded_media.delete(task)  # only once the task has ended: a retry still needs it
    succeeded = task.succeed(
        outcome.to_result(with_words=bool(task.options.get("words"))), text=" ".join(cue.text for cue in outcome.cues)
    )
    uploaded_media.delete(task)
    if not succeeded:
        return "taken away"  # revoked, or taken back from a worker thought dead
    hosted_videos.attach_result(task)
    return "success"


def _fail(task: Task, reason: str) -> str:
    return "failure" if task.fail(reason) else "taken away"


def _moderate(task: Task, job: Job) -> str:
    outcome = run_moderation(
        ModerationJob(
            url=job.url,
            workdir=job.workdir,
            category=task.category,
            stop_objects=task.stop_objects,
            max_duration_s=job.max_duration_s,
            max_frames=settings.AITASKS_MODERATION_MAX_FRAMES,
            local_file=job.local_file,
        ),
        _ProgressReporter(task),
    )
    # The thumbnails and SUCCESS together: a task that shows SUCCESS has them all, and a
    # worker the task was taken away from leaves the frames of the one now running it alone.
    with transaction.atomic():
        FlaggedFrame.objects.filter(task=task).delete()  # left by an earlier attempt
        FlaggedFrame.objects.bulk_create(
            FlaggedFrame(
                task=task,
                frame_number=flag.frame_number,
                time_ms=flag.time_ms,
                detections=[{"label": d.label, "confidence": round(float(d.confidence), 4)} for d in flag.detections],
                jpeg=flag.jpeg,
            )
            for flag in outcome.thumbnails()
        )
        if not task.succeed(outcome.to_result(), text=outcome.search_text()):
            transaction.set_rollback(True)
            return "taken away"  # revoked, or taken back from a worker thought dead
    return "success"


def copy_video(video_id: int) -> str:
    video = Video.objects.filter(pk=video_id).first()
    if video is None or not video.claim_copy(this_worker()):
        return "skipped: not waiting to be copied"
    hosted_videos.copy_origin(video, video.copier)
    return "copied"


def recover_stalled_tasks() -> int:
    """The scheduled recovery (the schedule names this function): see aitasks.recovery."""
    return recovery.recover()


def purge_expired() -> int:
    """The daily retention job (the schedule names this function): see aitasks.retention."""
    return retention.purge_expired()
