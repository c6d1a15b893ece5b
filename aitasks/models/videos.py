"""Videos hosted by the service (Gcore's `/streaming/videos`) and their subtitle tracks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from .tasks import _iso


class VideoStatus(models.TextChoices):
    EMPTY = "empty", "Empty"  # created without a file yet
    PENDING = "pending", "Copying"  # the origin is being copied
    VIEWABLE = "viewable", "Viewable"
    READY = "ready", "Ready"
    ERROR = "error", "Error"


# The state machine: every status change goes through Video.transition(), one conditional
# UPDATE. A copy is PENDING from the moment it is asked for; a worker claims it (`copier`) and
# only that worker moves it on, so a re-delivered message copies once and starts
# auto-transcription once.
VIDEO_TRANSITIONS: dict[str, frozenset[str]] = {
    VideoStatus.EMPTY: frozenset({VideoStatus.PENDING, VideoStatus.READY, VideoStatus.ERROR}),
    VideoStatus.PENDING: frozenset({VideoStatus.READY, VideoStatus.ERROR}),
    VideoStatus.VIEWABLE: frozenset({VideoStatus.READY, VideoStatus.ERROR}),
    VideoStatus.READY: frozenset(),
    VideoStatus.ERROR: frozenset(),
}

# Gcore's shorthand for "translate the subtitles into the usual languages".
DEFAULT_TRANSLATIONS = ("eng", "fre", "ger")


class ConvertedVideo(TypedDict):
    id: int
    name: str
    width: int | None
    height: int | None
    mp4_url: str
    size: int | None
    progress: int
    status: str


class VideoDict(TypedDict):
    """A video as Gcore's video API shows it (GET /streaming/videos/{id})."""

    id: int
    name: str
    description: str
    status: str
    error: str | None
    origin_url: str | None
    origin_size: int | None
    origin_video_duration: int | None
    duration: int | None
    converted_videos: list[ConvertedVideo]
    client_id: int
    client_user_id: int | None
    auto_transcribe_audio_language: str
    auto_translate_subtitles_language: str
    created_at: str | None
    updated_at: str | None


class SubtitleDict(TypedDict):
    id: int
    name: str
    language: str
    vtt: str


class Video(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    name = models.CharField(max_length=255)
    description = models.TextField(max_length=4096, blank=True)
    status = models.CharField(max_length=16, choices=VideoStatus.choices, default=VideoStatus.EMPTY, db_index=True)
    error = models.TextField(blank=True)
    origin_url = models.CharField(max_length=2048, blank=True)
    origin_size = models.BigIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    client_user_id = models.BigIntegerField(null=True, blank=True)
    # "disable", "auto" or an ISO-639-2/B code; and "disable", or B codes joined by commas.
    auto_transcribe_audio_language = models.CharField(max_length=16, default="disable")
    auto_translate_subtitles_language = models.CharField(max_length=512, default="disable")
    # The copy of origin_url: the worker process that holds it ("" while it waits), since when,
    # how many times a worker took it, and when it was last queued (see aitasks.queue.recovery).
    copier = models.CharField(max_length=160, blank=True)
    copy_started_at = models.DateTimeField(null=True, blank=True)
    copy_attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.pk})"

    @property
    def directory(self) -> Path:
        return settings.AITASKS_DATA_DIR / "videos" / str(self.pk)

    @property
    def file_path(self) -> Path:
        return self.directory / "video.mp4"

    @property
    def has_file(self) -> bool:
        return self.status in (VideoStatus.VIEWABLE, VideoStatus.READY) and self.file_path.is_file()

    def mp4_path(self) -> str:
        return reverse("api-video-mp4", args=[self.pk])

    def to_dict(self, base_url: str) -> VideoDict:
        """The video as Gcore's API shows it (api-contract §2)."""
        converted: list[ConvertedVideo] = []
        if self.has_file:
            converted.append(
                {
                    "id": 1,
                    "name": "origin",
                    "width": self.width,
                    "height": self.height,
                    "mp4_url": base_url + self.mp4_path(),
                    "size": self.origin_size,
                    "progress": 100,
                    "status": "complete",
                }
            )
        return {
            "id": self.pk,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "error": self.error or None,
            "origin_url": self.origin_url or None,
            "origin_size": self.origin_size,
            "origin_video_duration": self.duration_ms,
            "duration": self.duration_ms,
            "converted_videos": converted,
            "client_id": self.owner_id,
            "client_user_id": self.client_user_id,
            "auto_transcribe_audio_language": self.auto_transcribe_audio_language,
            "auto_translate_subtitles_language": self.auto_translate_subtitles_language,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }

    def transition(self, target: str, *, by_copier: bool = False, **fields: Any) -> bool:
        """Move to `target` if the current status allows it; False if another process won or
        the video was deleted. `by_copier`: only while the copy is held by this worker."""
        sources = [source for source, targets in VIDEO_TRANSITIONS.items() if target in targets]
        matching = Video.objects.filter(pk=self.pk, status__in=sources)
        if by_copier:
            matching = matching.filter(copier=self.copier)
        updated = matching.update(status=target, updated_at=Now(), **fields)
        if updated:
            self.refresh_from_db()
        return bool(updated)

    def claim_copy(self, worker: str) -> bool:
        """Take the waiting copy for `worker`; only one worker can succeed."""
        waiting = Video.objects.filter(pk=self.pk, status=VideoStatus.PENDING, copier="")
        updated = waiting.update(copier=worker, copy_started_at=Now(), copy_attempts=F("copy_attempts") + 1)
        if updated:
            self.refresh_from_db()
        return bool(updated)

    def release_copy(self, worker: str) -> bool:
        """Give back a copy held by `worker` (which died), to be queued again."""
        held = Video.objects.filter(pk=self.pk, status=VideoStatus.PENDING, copier=worker)
        return bool(held.update(copier="", copy_started_at=None, queued_at=Now()))

    def translation_targets(self) -> list[str]:
        value = self.auto_translate_subtitles_language
        if value in ("", "disable"):
            return []
        if value == "default":
            return list(DEFAULT_TRANSLATIONS)
        return [code for code in value.split(",") if code]


class Subtitle(models.Model):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="subtitles")
    name = models.CharField(max_length=255)
    language = models.CharField(max_length=3)
    vtt = models.TextField()
    # The AI task that wrote it, when it was generated.
    task = models.ForeignKey("aitasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]"

    def to_dict(self) -> SubtitleDict:
        return {"id": self.pk, "name": self.name, "language": self.language, "vtt": self.vtt}
