from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now
from django.dispatch import Signal
from django.utils import timezone

from ..cues import Cue, format_timestamp, full_text, render_vtt
from ..data_dirs import scratch_root, upload_directory
from ..results import ModerationResult, TaskJSON, TaskOptions, TranscriptionResult


class Status(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"
    PENDING = "PENDING", "Pending"
    STARTED = "STARTED", "Processing"
    SUCCESS = "SUCCESS", "Success"
    FAILURE = "FAILURE", "Failure"
    REVOKED = "REVOKED", "Revoked"
    RETRY = "RETRY", "Retry"


FINAL_STATUSES = frozenset({Status.SUCCESS, Status.FAILURE, Status.REVOKED})
UNFINISHED_STATUSES = frozenset(set(Status) - FINAL_STATUSES)
# Waiting for a worker: recovery sends these again when they wait too long (a lost message).
WAITING_STATUSES = frozenset({Status.RECEIVED, Status.PENDING, Status.RETRY})

# The state machine: every status change is one conditional UPDATE from a status this table
# allows (Task.transition(); take_back_stalled() adds that the worker still holds the task and
# has been silent), so two workers (or a worker and a cancel) never both win.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    # RECEIVED -> STARTED: a message that reaches a worker before the task's move to PENDING
    # is visible still runs it (the claim is what guarantees one run, not the order).
    Status.RECEIVED: frozenset({Status.PENDING, Status.STARTED, Status.REVOKED, Status.FAILURE}),
    Status.PENDING: frozenset({Status.STARTED, Status.REVOKED, Status.FAILURE}),
    # Never STARTED -> PENDING: a late enqueue must not pull a running task back.
    Status.STARTED: frozenset({Status.SUCCESS, Status.FAILURE, Status.RETRY, Status.REVOKED}),
    Status.RETRY: frozenset({Status.PENDING, Status.STARTED, Status.FAILURE, Status.REVOKED}),
    Status.SUCCESS: frozenset(),
    Status.FAILURE: frozenset(),
    Status.REVOKED: frozenset(),
}


def sources_of(target: Status) -> list[Status]:
    return [source for source, targets in TRANSITIONS.items() if target in targets]


class TaskName(models.TextChoices):
    TRANSCRIPTION = "transcription", "Transcribe & translate captions"
    CONTENT_MODERATION = "content-moderation", "Content moderation"


class ChineseScript(models.TextChoices):
    SIMPLIFIED = "simplified", "Simplified"
    TRADITIONAL = "traditional", "Traditional"
    TAIWAN = "taiwan", "Traditional (Taiwan)"
    HONGKONG = "hongkong", "Traditional (Hong Kong)"


class TaskData(TypedDict):
    """The create request as the client sent it: absent fields stay absent."""

    task_name: str
    url: str
    audio_language: NotRequired[str]
    subtitles_language: NotRequired[str]
    category: NotRequired[str]
    stop_objects: NotRequired[str]
    client_user_id: NotRequired[str]
    client_entity_data: NotRequired[str]
    chinese_script: NotRequired[str]
    client_id: int


class ProcessingTime(TypedDict):
    started_at: str | None
    completed_at: str | None
    total_time_sec: float | None


class TaskDict(TypedDict):
    """A task as Gcore's API shows it (GET /streaming/ai/tasks/{id}; in lists without `result`)."""

    task_id: str
    task_name: str
    status: str
    progress: int
    processing_time: ProcessingTime
    task_data: TaskData
    result: NotRequired[dict[str, Any] | None]


class TaskQuerySet(models.QuerySet):
    def for_owner(self, owner: Any) -> TaskQuerySet:
        return self.filter(owner=owner)

    def search(self, term: str) -> TaskQuerySet:
        """The tasks that `term` finds, for the dashboard's search box and the API's `search`:
        part of the URL, transcript, client fields or task id; the status or category exactly."""
        return self.filter(_search_query(term))

    def matching(self, status: str = "", task_name: str = "", search: str = "") -> TaskQuerySet:
        """The filters that the API's list and the dashboard's table share (empty: any)."""
        tasks = self
        if status:
            tasks = tasks.filter(status=status)
        if task_name:
            tasks = tasks.filter(task_name=task_name)
        if search:
            tasks = tasks.search(search)
        return tasks

    def sorted_by(self, field: str, descending: bool) -> TaskQuerySet:
        """Ordered by `field`, tasks without a value last, the newest first among equals."""
        ordering = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        return self.order_by(ordering, "-created_at" if field != "created_at" else "-id")


def _search_query(term: str) -> Q:
    term = term.strip()
    query = (
        Q(url__icontains=term)
        | Q(text__icontains=term)
        | Q(task_name__icontains=term)
        | Q(category__iexact=term)  # Gcore's own example: ?search=nsfw
        | Q(status__iexact=term)
        | Q(client_user_id__icontains=term)
        | Q(client_entity_data__icontains=term)
    )
    try:
        query |= Q(pk=uuid.UUID(term))
    except ValueError:
        compact = term.replace("-", "").lower()
        if compact and all(char in "0123456789abcdef" for char in compact):
            query |= Q(id__icontains=compact)
    return query


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ai_tasks")
    task_name = models.CharField(max_length=32, choices=TaskName.choices, default=TaskName.TRANSCRIPTION)
    url = models.CharField(max_length=2048)
    audio_language = models.CharField(max_length=3, blank=True)
    subtitles_language = models.CharField(max_length=3, blank=True)
    # Content moderation: nsfw, hard_nudity, soft_nudity or sport, and the labels (with optional
    # thresholds) that end the scan at the first frame that shows one.
    category = models.CharField(max_length=16, blank=True)
    stop_objects = models.CharField(max_length=1024, blank=True)
    client_user_id = models.CharField(max_length=256, blank=True)
    client_entity_data = models.TextField(max_length=4096, blank=True)
    # Transcription: the script of Chinese text (pipeline/script.py), "" for the installation's
    # AITASKS_CHINESE_SCRIPT when the task runs.
    chinese_script = models.CharField(max_length=16, choices=ChineseScript.choices, blank=True)
    # For a video hosted here: the worker reads its stored file, and the result becomes one of
    # its subtitles (client_entity_data carries the video id, as Gcore does).
    video = models.ForeignKey(
        "aitasks.Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="ai_tasks"
    )

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Which worker process runs the task ("host:pid") and when it last showed signs of life:
    # a task whose worker died is found by recover_stalled_tasks and queued again.
    worker = models.CharField(max_length=128, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the task last started waiting for a worker (created, retried, taken back, or its
    # message sent): a task waiting much longer than that lost its message (see recovery).
    queued_at = models.DateTimeField(default=timezone.now)
    # A file uploaded with the request (OpenAI- and whisper-asr-webservice-compatible APIs):
    # its name in upload_directory(task id); the worker reads it in place.
    upload = models.CharField(max_length=255, blank=True)
    # What those clients asked for beyond Gcore's fields (aitasks.results.TaskOptions; read
    # with task_options()).
    options = models.JSONField(default=dict, blank=True)
    # The client's Idempotency-Key header: a retried create returns the same task.
    idempotency_key = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    # On success: a TranscriptionResult or a ModerationResult as aitasks.results.TaskJSON
    # writes it; read with transcription() and moderation().
    result = models.JSONField(null=True, blank=True)
    text = models.TextField(blank=True, help_text="The full transcript, kept apart for search.")

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_idempotency_key_per_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.id} ({self.status})"

    @property
    def upload_path(self) -> Path | None:
        if not self.upload:
            return None
        return upload_directory(self.pk) / self.upload

    @property
    def workdir(self) -> Path:
        """The worker's scratch folder for this task (the download, the audio): removed when
        the attempt ends, or when recovery takes the task back."""
        return scratch_root() / str(self.pk)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def total_time_sec(self) -> float | None:
        if self.started_at and self.completed_at:
            return round((self.completed_at - self.started_at).total_seconds(), 3)
        return None

    def task_data(self) -> TaskData:
        """The create request as the client sent it (absent fields stay absent)."""
        data: dict[str, Any] = {"task_name": self.task_name, "url": self.url}
        fields = ("audio_language", "subtitles_language", "category", "stop_objects")
        for field in (*fields, "client_user_id", "client_entity_data", "chinese_script"):
            if getattr(self, field):
                data[field] = getattr(self, field)
        data["client_id"] = self.owner_id
        return TaskData(**data)

    def processing_time(self) -> ProcessingTime:
        return {
            "started_at": _iso(self.started_at),
            "completed_at": _iso(self.completed_at),
            "total_time_sec": self.total_time_sec,
        }

    def transcription(self, with_text: bool = True) -> TranscriptionResult | None:
        """The result of a transcription that succeeded; None for any other task.
        `with_text=False`: without its cues and words (see TaskJSON.load_transcription)."""
        if self.status != Status.SUCCESS or self.result is None or self.task_name != TaskName.TRANSCRIPTION:
            return None
        return TaskJSON.load_transcription(self.result, with_text=with_text)

    def moderation(self) -> ModerationResult | None:
        """The result of a content moderation that succeeded; None for any other task."""
        if self.status != Status.SUCCESS or self.result is None or self.task_name != TaskName.CONTENT_MODERATION:
            return None
        return TaskJSON.load_moderation(self.result)

    def task_options(self) -> TaskOptions:
        return TaskJSON.load_options(self.options)

    def result_dict(self) -> dict[str, Any] | None:
        """The `result` of the API: null until the task ends."""
        if (moderation := self.moderation()) is not None:
            return moderation.to_api()
        if (transcription := self.transcription()) is not None:
            cues = list(transcription.subtitles)
            return {
                "subtitles": [
                    {
                        "start_time": format_timestamp(cue.start_ms),
                        "end_time": format_timestamp(cue.end_ms),
                        "text": cue.text,
                        "language": cue.language,
                    }
                    for cue in cues
                ],
                "vttContent": render_vtt(cues),
                "concatenated_text": full_text(cues),
                "languages": list(transcription.languages),
                "speech_detected": transcription.speech_detected,
                "quality": dict(transcription.quality),
                "language_detection": [dict(share) for share in transcription.language_detection],
            }
        if self.status == Status.FAILURE:
            return {"error": self.error or "the task failed"}
        if self.status == Status.REVOKED:
            return {"error": "the task was cancelled"}
        return None

    def to_dict(self, with_result: bool = True) -> TaskDict:
        """The task as Gcore's API shows it (api-contract §1.2)."""
        data = TaskDict(
            task_id=str(self.id),
            task_name=self.task_name,
            status=self.status,
            progress=int(self.progress),
            processing_time=self.processing_time(),
            task_data=self.task_data(),
        )
        if with_result:
            data["result"] = self.result_dict()
        return data

    def cues(self) -> list[Cue]:
        """The subtitles of a transcription that succeeded (the latest revision); [] otherwise."""
        transcription = self.transcription()
        return list(transcription.subtitles) if transcription is not None else []

    def transition(self, target: Status, *, by_worker: bool = False, **fields: Any) -> bool:
        """Move to `target` if the current status allows it; False if another process won.

        `by_worker`: only while the task is still held by the worker that claimed it (after a
        stalled task was taken back, its old worker can no longer change it).
        """
        matching = Task.objects.filter(pk=self.pk, status__in=sources_of(target))
        if by_worker:
            matching = matching.filter(worker=self.worker)
        with transaction.atomic():
            updated = matching.update(status=target, **fields)
            if updated:
                self.refresh_from_db()
                if target in FINAL_STATUSES:
                    _finished(self)
        return bool(updated)

    def claim(self, worker: str) -> bool:
        """Start work on this task; only one worker can succeed."""
        self.worker = worker
        return self.transition(
            Status.STARTED,
            started_at=Coalesce(F("started_at"), Now()),
            attempts=F("attempts") + 1,
            stage="",
            worker=worker,
            heartbeat_at=Now(),
        )

    def report_progress(self, progress: int, stage: str) -> bool:
        """Record progress (and that the worker lives); False when the task was taken away."""
        running = Task.objects.filter(pk=self.pk, status=Status.STARTED, worker=self.worker)
        return bool(running.update(progress=progress, stage=stage, heartbeat_at=Now()))

    def succeed(self, result: TranscriptionResult | ModerationResult) -> bool:
        return self.transition(
            Status.SUCCESS,
            by_worker=True,
            result=TaskJSON.dump_result(result),
            text=result.search_text(),
            progress=100,
            stage="",
            error="",
            completed_at=Now(),
        )

    def fail(self, reason: str) -> bool:
        return self.transition(Status.FAILURE, by_worker=True, error=reason, stage="", completed_at=Now())

    def retry_later(self, reason: str) -> bool:
        return self.transition(Status.RETRY, by_worker=True, error=reason, stage="", worker="", queued_at=Now())

    def take_back_stalled(self, reason: str, give_up: bool, silent_since: datetime | None = None) -> bool:
        """Take the task back from a worker that died: to RETRY, or to FAILURE when it has
        used up its attempts. Only while that worker still holds it and, when `silent_since`
        is given, has not reported since then (it may have been slow, not dead)."""
        stalled = Task.objects.filter(pk=self.pk, status=Status.STARTED, worker=self.worker)
        if silent_since is not None:
            stalled = stalled.filter(heartbeat_at__lt=silent_since)
        ending = (
            {"status": Status.FAILURE, "completed_at": Now()}
            if give_up
            else {"status": Status.RETRY, "queued_at": Now()}
        )
        with transaction.atomic():
            updated = stalled.update(error=reason, stage="", worker="", **ending)
            if updated:
                self.refresh_from_db()
                if give_up:
                    _finished(self)
        return bool(updated)

    def revoke(self) -> bool:
        return self.transition(Status.REVOKED, stage="", completed_at=Coalesce(F("completed_at"), Now()))


# Sent with `task` inside the transaction that ends it (SUCCESS, FAILURE, REVOKED): what must be
# recorded together with the end listens here (the webhooks record their deliveries, so that a
# worker dying right after the status change cannot lose them; aitasks.apps connects them).
task_ended = Signal()


def _finished(task: Task) -> None:
    task_ended.send(sender=Task, task=task)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
