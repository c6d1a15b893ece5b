"""Videos hosted by the service: copying an origin, probing it, and AI subtitles for it.

When a video asks for auto-transcription, an AI task is created once its file is stored (its
`client_entity_data` is the video id, as Gcore does); each requested translation gets its own
task. On success, each task's WebVTT is attached to the video as a subtitle.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import httpx
from django.conf import settings
from django.db import transaction

from . import languages, queue
from .cues import render_vtt
from .data_dirs import scratch_root
from .models import Subtitle, Task, TaskName, Video, VideoStatus
from .pipeline import fetch, media
from .pipeline.errors import PipelineError

logger = logging.getLogger(__name__)


def store_file(video: Video, source: Path, copier: str = "") -> bool:
    """Make `source` the video's file (moved in), probe it, mark it ready, start AI subtitles.

    `copier`: the worker holding the copy, which alone may finish it. False when the video was
    deleted (or its copy taken away) meanwhile: then nothing of it is left on disk.
    """
    try:
        duration, width, height = media.probe(source, settings.AITASKS_MAX_DURATION_S)
    except PipelineError as error:
        source.unlink(missing_ok=True)
        video.transition(VideoStatus.ERROR, by_copier=bool(copier), error=str(error))
        return True
    video.directory.mkdir(parents=True, exist_ok=True)
    shutil.move(source, video.file_path)
    size = video.file_path.stat().st_size
    with transaction.atomic():
        queue.lock_account(video.owner_id)  # the account first, then the video: one lock order
        if not video.transition(
            VideoStatus.READY,
            by_copier=bool(copier),
            error="",
            origin_size=size,
            duration_ms=duration,
            width=width,
            height=height,
        ):
            if not Video.objects.filter(pk=video.pk).exists():
                # Deleted while we copied (delete_video removed the row, then its folder):
                # the file we just moved in must not outlive it.
                shutil.rmtree(video.directory, ignore_errors=True)
            return False
        if video.auto_transcribe_audio_language not in ("", "disable"):
            try:
                start_ai_subtitles(video, video.auto_transcribe_audio_language, video.translation_targets())
            except queue.QueueFull as full:
                Video.objects.filter(pk=video.pk).update(error=f"auto-transcription not started: {full}")
                video.refresh_from_db()
    return True


def copy_origin(video: Video, copier: str) -> None:
    """Copy the video's origin URL into storage, with the same safe fetcher as AI tasks.
    Whatever goes wrong ends the copy in `error` with a reason a person can read."""
    scratch = scratch_root() / f"video-{video.pk}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        fetch.download(video.origin_url, scratch / "origin", fetch.FetchPolicy.from_settings())
        store_file(video, scratch / "origin", copier=copier)
    except Exception as error:
        if not isinstance(error, PipelineError):
            logger.warning("video %s: copy failed", video.pk, exc_info=True)
        video.transition(VideoStatus.ERROR, by_copier=True, error=copy_failure(error))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def copy_failure(error: Exception) -> str:
    if isinstance(error, PipelineError):
        return str(error)
    if isinstance(error, (ValueError, httpx.InvalidURL)):  # idna, URL parsing
        return "cannot download url: invalid url"
    return f"cannot copy the video: internal error ({type(error).__name__})"


def start_ai_subtitles(
    video: Video, audio_language: str, translate_to: list[str], chinese_script: str = ""
) -> list[Task]:
    """One transcription task (in the spoken language), one more per translation language;
    QueueFull, and none of them, past the account's limit. `chinese_script`: "" for the
    installation's."""
    audio = "" if audio_language == "auto" else languages.normalize(audio_language)
    targets = [""] + [languages.normalize(code) for code in translate_to if code != audio]
    fields = [
        {
            "video": video,
            "url": video.origin_url or video.mp4_path(),
            "audio_language": audio,
            "subtitles_language": target,
            "client_entity_data": str(video.pk),
            "chinese_script": chinese_script,
        }
        for target in dict.fromkeys(targets)
    ]
    return queue.submit(video.owner, tasks=fields).tasks


def start_moderation(video: Video, category: str) -> Task:
    """A content-moderation task on the video's stored file; QueueFull past the account's limit."""
    fields = {
        "task_name": TaskName.CONTENT_MODERATION,
        "video": video,
        "url": video.origin_url or video.mp4_path(),
        "category": category,
        "client_entity_data": str(video.pk),
    }
    (task,) = queue.submit(video.owner, tasks=[fields]).tasks
    return task


def attach_result(task: Task) -> list[Subtitle]:
    """Attach a finished AI task's WebVTT to its video as subtitles.

    A transcription gets one track per spoken language ("English (AI)" with the English cues,
    "German (AI)" with the German ones), so a mixed video is never labelled with one language;
    a translation gets one track in its target language.
    """
    transcription = task.transcription()
    cues = list(transcription.subtitles) if transcription is not None else []
    if task.video_id is None or not cues:
        return []
    translated = bool(task.subtitles_language) and task.subtitles_language != task.audio_language
    if translated:
        spoken = [code for code in transcription.languages if code != task.subtitles_language]
        if not spoken:
            # "Translate to English" of a video that turned out to be all English: the
            # transcription's track is enough.
            return []
        tracks = {task.subtitles_language: cues}
    else:
        tracks = {}
        for cue in cues:
            tracks.setdefault(cue.language or task.audio_language or "und", []).append(cue)
    kind = "AI-translate" if translated else "AI"
    attached = []
    for language, track_cues in tracks.items():
        try:
            name = f"{languages.get(language).name} ({kind})"
        except languages.UnknownLanguage:
            name = f"Subtitles ({kind})"
        if Subtitle.objects.filter(video_id=task.video_id, name=name, task__isnull=False).exists():
            continue  # the same AI subtitles, generated again: one track is enough
        attached.append(
            Subtitle.objects.create(
                video_id=task.video_id, task=task, name=name, language=language, vtt=render_vtt(track_cues)
            )
        )
    return attached


def delete_video(video: Video) -> None:
    """Delete the video, its stored files and subtitles; its AI tasks stay in the history."""
    for task in video.ai_tasks.all():
        task.revoke()
    directory = video.directory
    video.delete()
    # A copy still running finds the row gone when it finishes, and removes what it stored.
    shutil.rmtree(directory, ignore_errors=True)
