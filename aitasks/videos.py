"""Videos hosted by the service: copying an origin, probing it, and AI subtitles for it.

When a video asks for auto-transcription, an AI task is created once its file is stored (its
`client_entity_data` is the video id, as Gcore does); each requested translation gets its own
task. On success, each task's WebVTT is attached to the video as a subtitle.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import languages, queue
from .models import Subtitle, Task, Video, VideoStatus
from .pipeline import fetch
from .pipeline.errors import PipelineError

logger = logging.getLogger(__name__)


def probe(path: Path) -> tuple[int | None, int | None, int | None]:
    """(duration in ms, width, height) from the container, without decoding; PipelineError
    when the file is not a video or audio file with sound."""
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError):
        raise PipelineError("file is not a media file") from None
    with container:
        if not container.streams.audio:
            raise PipelineError("no audio track")
        duration = int(container.duration / 1000) if container.duration else None
        video = container.streams.video[0] if container.streams.video else None
        width = video.codec_context.width if video else None
        height = video.codec_context.height if video else None
    if duration and duration > settings.AITASKS_MAX_DURATION_S * 1000:
        raise PipelineError(f"media longer than the limit ({settings.AITASKS_MAX_DURATION_S // 60} min)")
    return duration, width or None, height or None


def store_file(video: Video, source: Path) -> None:
    """Make `source` the video's file (moved in), probe it, mark it ready, start AI subtitles."""
    try:
        duration, width, height = probe(source)
    except PipelineError as error:
        source.unlink(missing_ok=True)
        Video.objects.filter(pk=video.pk).update(status=VideoStatus.ERROR, error=str(error))
        return
    video.directory.mkdir(parents=True, exist_ok=True)
    shutil.move(source, video.file_path)
    size = video.file_path.stat().st_size
    Video.objects.filter(pk=video.pk).update(
        status=VideoStatus.READY, error="", origin_size=size, duration_ms=duration, width=width, height=height
    )
    video.refresh_from_db()
    if video.auto_transcribe_audio_language not in ("", "disable"):
        start_ai_subtitles(video, video.auto_transcribe_audio_language, video.translation_targets())


def copy_origin(video: Video) -> None:
    """Copy the video's origin URL into storage, with the same safe fetcher as AI tasks."""
    scratch = settings.AITASKS_DATA_DIR / "work" / f"video-{video.pk}"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        fetch.download(video.origin_url, scratch / "origin", fetch.FetchPolicy.from_settings())
        store_file(video, scratch / "origin")
    except PipelineError as error:
        Video.objects.filter(pk=video.pk).update(status=VideoStatus.ERROR, error=str(error))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def start_copy(video: Video) -> None:
    Video.objects.filter(pk=video.pk).update(status=VideoStatus.PENDING)
    queue.enqueue_call("aitasks.tasks.copy_video", video.pk)


def start_ai_subtitles(video: Video, audio_language: str, translate_to: list[str]) -> list[Task]:
    """One transcription task (in the spoken language), one more per translation language."""
    audio = "" if audio_language == "auto" else languages.normalize(audio_language)
    targets = [""] + [languages.normalize(code) for code in translate_to if code != audio]
    created = []
    with transaction.atomic():
        for target in dict.fromkeys(targets):
            task = Task.objects.create(
                owner=video.owner,
                video=video,
                url=video.origin_url or video.mp4_path(),
                audio_language=audio,
                subtitles_language=target,
                client_entity_data=str(video.pk),
            )
            queue.enqueue(task)
            created.append(task)
    return created


def attach_result(task: Task) -> list[Subtitle]:
    """Attach a finished AI task's WebVTT to its video as subtitles.

    A transcription gets one track per spoken language ("English (AI)" with the English cues,
    "German (AI)" with the German ones), so a mixed video is never labelled with one language;
    a translation gets one track in its target language.
    """
    cues = task.cues()
    if task.video_id is None or not cues:
        return []
    from .pipeline.subtitles import render_vtt

    translated = bool(task.subtitles_language) and task.subtitles_language != task.audio_language
    if translated:
        spoken = [code for code in (task.result or {}).get("languages", []) if code != task.subtitles_language]
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
    shutil.rmtree(directory, ignore_errors=True)
