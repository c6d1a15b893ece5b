"""Tasks made from a file sent with the request (the OpenAI- and whisper-asr-webservice-
compatible APIs, the CLI's --queue): the file is stored under AITASKS_DATA_DIR/uploads/<task
id>/, the task is created by `work.submit()` (the same queue, workers and limit as any other),
and the worker reads the file in place. The file is deleted when its task ends.

(The request's multipart body itself is bounded while it arrives by aitasks.upload_limits.)
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
import wave
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings

from . import work
from .models import FINAL_STATUSES, UNFINISHED_STATUSES, Task
from .pipeline import media
from .pipeline.errors import PipelineError

MIN_DURATION_MS = 100
PCM_RATE = 16000  # whisper-asr-webservice's encode=false: raw 16-bit little-endian mono at 16 kHz


def submit_file(
    owner: Any,
    chunks: Iterable[bytes],
    filename: str,
    *,
    raw_pcm: bool = False,
    max_pcm_seconds: float | None = None,
    **fields: Any,
) -> tuple[Task, int]:
    """Store an uploaded file and create its task: (task, duration in ms). PipelineError when
    the file is not media with sound, work.QueueFull past the queue limit; nothing is kept then."""
    task_id = uuid.uuid4()
    directory = settings.AITASKS_DATA_DIR / "uploads" / str(task_id)
    directory.mkdir(parents=True, exist_ok=True)
    stored = "audio.wav" if raw_pcm else "upload" + _safe_suffix(filename)
    path = directory / stored
    try:
        if raw_pcm:
            _write_wav(chunks, path, max_pcm_seconds)
        else:
            with path.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
        duration_ms, _width, _height = media.probe(path, settings.AITASKS_MAX_DURATION_S)
        if not duration_ms or duration_ms < MIN_DURATION_MS:
            raise PipelineError("the audio is empty or too short")
        fields.update(id=task_id, upload=stored, url=f"upload:{_display_name(filename)}")
        (task,) = work.submit(owner, tasks=[fields]).tasks
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return task, duration_ms


def delete(task: Task) -> None:
    """Delete the task's uploaded file once the task has ended (a retry still needs it)."""
    if task.upload and Task.objects.filter(pk=task.pk, status__in=FINAL_STATUSES).exists():
        shutil.rmtree(settings.AITASKS_DATA_DIR / "uploads" / str(task.pk), ignore_errors=True)


def purge_orphans() -> int:
    """Delete uploads whose task has ended or is gone (cancelled before a worker took it)."""
    root = settings.AITASKS_DATA_DIR / "uploads"
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


def wait(task: Task, duration_ms: int) -> bool:
    """Wait for the task to end, up to AITASKS_SYNC_WAIT_BASE_S + FACTOR x the file's duration;
    True when it ended. The task goes on in the queue when the wait gives up."""
    limit = settings.AITASKS_SYNC_WAIT_BASE_S + settings.AITASKS_SYNC_WAIT_FACTOR * duration_ms / 1000
    deadline = time.monotonic() + limit
    delay = 0.2
    while time.monotonic() < deadline:
        task.refresh_from_db()
        if task.is_final:
            return True
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(2.0, delay * 1.5)
    task.refresh_from_db()
    return task.is_final


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
