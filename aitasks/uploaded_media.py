"""Tasks made from a file sent with the request (the OpenAI- and whisper-asr-webservice-
compatible APIs, the CLI's --queue): the file is checked where it lies (its duration and
whether it is media with sound) and only then stored, once, in the task's upload directory
(data_dirs.upload_directory); the task is created by `queue.submit()` (the same queue,
workers and limit as any other), and the worker reads the file in place. The file is deleted
when its task ends. `transcribe_and_wait` is the whole request of those APIs: submit, then
wait for the task to end. `wait_slot` bounds how many of those one account (or one keyless
client address) has at once, and the wait never lasts past AITASKS_SYNC_WAIT_MAX_S.

(The request's multipart body itself is bounded while it arrives by aitasks.upload_limits.)
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
import wave
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction

from . import queue
from .data_dirs import upload_directory, uploads_root
from .models import FINAL_STATUSES, UNFINISHED_STATUSES, Status, Task, WaitSlot
from .pipeline import media
from .pipeline.errors import PipelineError
from .results import TaskJSON, TaskOptions

MIN_DURATION_MS = 100
PCM_RATE = 16000  # whisper-asr-webservice's encode=false: raw 16-bit little-endian mono at 16 kHz
# A wait slot is held this long for its file to arrive, then renewed while the request waits
# (SLOT_RENEW_S at a time): a slot left by a web process that was killed frees itself then.
SLOT_UPLOAD_S = 900
SLOT_RENEW_S = 60


def submit_file(
    owner: Any,
    upload: File,
    filename: str,
    *,
    raw_pcm: bool = False,
    max_pcm_seconds: float | None = None,
    max_audio_s: float | None = None,
    **fields: Any,
) -> tuple[Task, int]:
    """Check an uploaded file, store it and create its task: (task, duration in ms).

    The file is checked where it lies (Django's temporary file, or memory) before anything is
    stored: PipelineError when it is not media with sound, is too short, or is longer than
    AITASKS_MAX_DURATION_S; WaitTooLong when it is longer than `max_audio_s` (a request's wait).
    It is then stored once: a temporary file is moved into place, a
    file in memory written out. queue.QueueFull past the queue limit; nothing is kept then."""
    if raw_pcm:
        duration_ms = _pcm_duration_ms(upload.size or 0, max_pcm_seconds)
    else:
        duration_ms = _probe(upload)
    if not duration_ms or duration_ms < MIN_DURATION_MS:
        raise PipelineError("the audio is empty or too short")
    if max_audio_s is not None and duration_ms > max_audio_s * 1000:
        raise WaitTooLong(duration_ms, max_audio_s)
    task_id = uuid.uuid4()
    directory = upload_directory(task_id)
    directory.mkdir(parents=True, exist_ok=True)
    stored = "audio.wav" if raw_pcm else "upload" + _safe_suffix(filename)
    path = directory / stored
    try:
        if raw_pcm:
            upload.seek(0)
            _write_wav(upload.chunks(), path, max_pcm_seconds)
        else:
            _store(upload, path)
        fields.update(id=task_id, upload=stored, url=f"upload:{_display_name(filename)}")
        (task,) = queue.submit(owner, tasks=[fields]).tasks
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return task, duration_ms


def delete(task: Task) -> None:
    """Delete the task's uploaded file once the task has ended (a retry still needs it)."""
    if task.upload and Task.objects.filter(pk=task.pk, status__in=FINAL_STATUSES).exists():
        shutil.rmtree(upload_directory(task.pk), ignore_errors=True)


def delete_when_ended(sender: Any, task: Task, **kwargs: Any) -> None:
    """Receiver of `models.tasks.task_ended` (connected in aitasks.apps): the file goes when its
    task ends however it ends (a worker's run, a cancel while it waited, a last failed attempt),
    once the end is committed: a rolled back end leaves the task, and its file, as they were."""
    if task.upload:
        transaction.on_commit(lambda: delete(task))


def purge_orphans() -> int:
    """Delete uploads whose task has ended or is gone (cancelled before a worker took it)."""
    root = uploads_root()
    if not root.is_dir():
        return 0
    names = [directory.name for directory in root.iterdir()]
    ids = {name for name in names if _is_uuid(name)}
    alive = {
        str(pk) for pk in Task.objects.filter(pk__in=ids, status__in=UNFINISHED_STATUSES).values_list("pk", flat=True)
    }
    quiet_since = time.time() - 3600  # spare an upload whose task is being created right now
    removed = 0
    for directory in root.iterdir():
        if directory.name not in alive and directory.stat().st_mtime < quiet_since:
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
    return removed


class WaitTooLong(Exception):
    """The file is longer than a request that waits for its transcription takes."""

    def __init__(self, duration_ms: int, max_audio_s: float) -> None:
        super().__init__(
            f"the audio is {duration_ms / 1000:.0f} s long: a request that waits for its transcript takes at "
            f"most {max_audio_s:.0f} s of audio (AITASKS_SYNC_MAX_AUDIO_S); send it as a task "
            "(POST /streaming/ai/tasks) and read the result by its id"
        )


class Problem(Exception):
    """Why a file sent with a request did not become a finished transcription. `kind` says
    which, for each API to answer in its own shape; `task` is the task when one was made."""

    TOO_LARGE = "too large"
    NOT_MEDIA = "not media"
    TOO_LONG = "too long to wait for"
    QUEUE_FULL = "queue full"
    STILL_RUNNING = "still running"
    FAILED = "failed"

    def __init__(self, kind: str, message: str, task: Task | None = None, waited_s: float = 0.0) -> None:
        super().__init__(message)
        self.kind, self.task, self.waited_s = kind, task, waited_s


def transcribe_and_wait(
    owner: Any, upload: File, filename: str, options: TaskOptions, *, raw_pcm: bool = False,
    max_pcm_seconds: float | None = None, slot: WaitSlot | None = None, **fields: Any,
) -> Task:  # fmt: skip
    """Submit the upload as a task of `owner` with `options` and wait for it to end: the task
    that succeeded, or Problem. `slot`: the request's wait slot, kept while it waits."""
    if upload.size > settings.AITASKS_MAX_UPLOAD_MB * 1024 * 1024:
        raise Problem(Problem.TOO_LARGE, f"larger than {settings.AITASKS_MAX_UPLOAD_MB} MB")
    try:
        task, duration_ms = submit_file(
            owner,
            upload,
            filename,
            raw_pcm=raw_pcm,
            max_pcm_seconds=max_pcm_seconds,
            # Language identification samples a few windows of any length: quick whatever it lasts.
            max_audio_s=None if options.detect_only else settings.AITASKS_SYNC_MAX_AUDIO_S,
            options=TaskJSON.dump_options(options),
            **fields,
        )
    except PipelineError as problem:
        raise Problem(Problem.NOT_MEDIA, str(problem)) from None
    except WaitTooLong as too_long:
        raise Problem(Problem.TOO_LONG, str(too_long)) from None
    except queue.QueueFull as full:
        raise Problem(Problem.QUEUE_FULL, str(full)) from None
    started = time.monotonic()
    if not wait(task, duration_ms, slot):
        raise Problem(Problem.STILL_RUNNING, "the task is still running", task, time.monotonic() - started)
    if task.status != Status.SUCCESS:
        raise Problem(Problem.FAILED, task.error or "the task was cancelled", task)
    return task


@contextmanager
def wait_slot(holder: str) -> Iterator[WaitSlot | None]:
    """Hold one of `holder`'s AITASKS_SYNC_WAITS_PER_ACCOUNT slots for the request, or None
    when none is free (refuse it). Taken before the body is read: a client trickling its
    uploads holds no more threads than it holds slots."""
    slot = WaitSlot.take(holder, settings.AITASKS_SYNC_WAITS_PER_ACCOUNT, SLOT_UPLOAD_S)
    try:
        yield slot
    finally:
        if slot is not None:
            slot.release()


def busy_message(whose: str = "this account") -> str:
    return (
        f"{settings.AITASKS_SYNC_WAITS_PER_ACCOUNT} requests of {whose} are already sending a "
        "file or waiting for one: try again when one has answered, or send it as a task "
        "(POST /streaming/ai/tasks)"
    )


def wait_limit(duration_ms: int) -> float:
    """How long a request waits for a file of that duration: AITASKS_SYNC_WAIT_BASE_S + FACTOR
    x its duration, never past AITASKS_SYNC_WAIT_MAX_S (see wait)."""
    return settings.AITASKS_SYNC_WAIT_BASE_S + settings.AITASKS_SYNC_WAIT_FACTOR * duration_ms / 1000


def wait(task: Task, duration_ms: int, slot: WaitSlot | None = None) -> bool:
    """Wait for the task to end, up to wait_limit(), never past AITASKS_SYNC_WAIT_MAX_S; True
    when it ended. The task goes on in the queue when the wait gives up."""
    deadline = time.monotonic() + min(wait_limit(duration_ms), settings.AITASKS_SYNC_WAIT_MAX_S)
    delay = 0.2
    renewed = 0.0
    while time.monotonic() < deadline:
        if slot is not None and time.monotonic() - renewed > SLOT_RENEW_S / 3:
            slot.renew(SLOT_RENEW_S)
            renewed = time.monotonic()
        task.refresh_from_db()
        if task.is_final:
            return True
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(2.0, delay * 1.5)
    task.refresh_from_db()
    return task.is_final


def _probe(upload: File) -> int | None:
    """The upload's declared duration in ms, read where the file lies."""
    temporary_path = getattr(upload, "temporary_file_path", None)
    if temporary_path is not None:
        return media.probe(Path(temporary_path()), settings.AITASKS_MAX_DURATION_S).duration_ms
    upload.seek(0)
    return media.probe(upload.file, settings.AITASKS_MAX_DURATION_S).duration_ms


def _pcm_duration_ms(size: int, max_seconds: float | None) -> int:
    """Raw PCM says its duration by its size: what _write_wav keeps of it, in ms."""
    samples = size // 2
    if max_seconds:
        samples = min(samples, int(max_seconds * PCM_RATE))
    duration_s = samples / PCM_RATE
    if duration_s > settings.AITASKS_MAX_DURATION_S:
        raise PipelineError(media.too_long(duration_s, settings.AITASKS_MAX_DURATION_S))
    return int(duration_s * 1000)


def _store(upload: File, path: Path) -> None:
    """The upload at `path`: Django's temporary file moved there (a rename where
    FILE_UPLOAD_TEMP_DIR is on AITASKS_DATA_DIR's file system), a file in memory written out."""
    temporary_path = getattr(upload, "temporary_file_path", None)
    if temporary_path is not None:
        # Django's own close() of the temporary file allows for it having been moved away.
        shutil.move(temporary_path(), path)
        if settings.FILE_UPLOAD_PERMISSIONS is not None:  # as Django's storage does after a move
            path.chmod(settings.FILE_UPLOAD_PERMISSIONS)
        return
    upload.seek(0)
    with path.open("wb") as file:
        for chunk in upload.chunks():
            file.write(chunk)


def _write_wav(chunks: Iterable[bytes], path: Path, max_seconds: float | None) -> None:
    limit = int(max_seconds * PCM_RATE) * 2 if max_seconds else None
    written = 0
    carry = b""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(PCM_RATE)
        for chunk in chunks:
            data = carry + chunk
            usable = len(data) - len(data) % 2
            data, carry = data[:usable], data[usable:]
            if limit is not None:
                data = data[: max(0, limit - written)]
            out.writeframes(data)
            written += len(data)


def _safe_suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def _display_name(filename: str) -> str:
    name = re.sub(r"[^\w.\- ]", "_", Path(filename or "audio").name)[:200]
    return name or "audio"


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True
