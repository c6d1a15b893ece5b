"""django-q2 entry points: thin, the work is in aitasks.pipeline."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings

from . import queue
from .engines.base import EngineError
from .models import Task
from .pipeline.errors import PipelineError, Revoked
from .pipeline.runner import Job, run_pipeline

logger = logging.getLogger(__name__)


class _ProgressReporter:
    """Writes progress only when it changes; a refused write means the task was revoked."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.last: tuple[int, str] | None = None

    def __call__(self, percent: int, stage: str) -> None:
        if (percent, stage) == self.last:
            return
        self.last = (percent, stage)
        if not self.task.report_progress(min(99, percent), stage):
            raise Revoked()


def workdir_for(task: Task) -> Path:
    return settings.AITASKS_DATA_DIR / "work" / str(task.pk)


def process_task(task_id: str) -> str:
    task = Task.objects.filter(pk=task_id).first()
    if task is None or not task.claim():
        return "skipped: not waiting to run"
    workdir = workdir_for(task)
    workdir.mkdir(parents=True, exist_ok=True)
    job = Job(
        url=task.url,
        workdir=workdir,
        audio_language=task.audio_language,
        subtitles_language=task.subtitles_language,
        max_duration_s=settings.AITASKS_MAX_DURATION_S,
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
    task.succeed(outcome.to_result(), text=" ".join(cue.text for cue in outcome.cues))
    return "success"


def _retry_or_fail(task: Task, reason: str) -> str:
    if task.attempts <= settings.AITASKS_MAX_RETRIES and task.retry_later(reason):
        queue.enqueue(task)
        return "retry"
    task.fail(reason)
    return "failure"
