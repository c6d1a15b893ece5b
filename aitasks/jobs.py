"""What the pipelines are asked to do for a task: the one place where a task's fields become a
transcription `Job` or a `ModerationJob`, for the worker and the transcribe command alike."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .models import Task
from .moderation.pipeline import ModerationJob
from .pipeline.runner import Job


def source_file(task: Task) -> Path | None:
    """The stored file the task reads instead of downloading its URL: its video's, or the file
    sent with its request; None for a task of an origin URL."""
    video = task.video
    return video.file_path if video is not None else task.upload_path


def transcription_job(task: Task, workdir: Path | None = None, local_file: Path | None = None) -> Job:
    """`workdir` and `local_file` default to the task's own scratch folder and stored file."""
    options = task.task_options()
    return Job(
        url=task.url,
        workdir=workdir or task.workdir,
        audio_language=task.audio_language,
        subtitles_language=task.subtitles_language,
        max_duration_s=settings.AITASKS_MAX_DURATION_S,
        local_file=local_file or source_file(task),
        detect_only=options.detect_only,
        prompt=options.prompt,
        temperature=options.temperature,
        # The task's own choice, else the installation's at the time the task runs.
        chinese_script=task.chinese_script or settings.AITASKS_CHINESE_SCRIPT,
    )


def moderation_job(task: Task) -> ModerationJob:
    return ModerationJob(
        url=task.url,
        workdir=task.workdir,
        category=task.category,
        stop_objects=task.stop_objects,
        max_duration_s=settings.AITASKS_MAX_DURATION_S,
        max_frames=settings.AITASKS_MODERATION_MAX_FRAMES,
        local_file=source_file(task),
    )
