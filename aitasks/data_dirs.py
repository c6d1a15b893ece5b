"""The folders the service keeps its files in, under AITASKS_DATA_DIR, named in one place.

- `work/`: work in progress (a task's download and audio, a video being copied, a form's
  upload being checked, a `transcribe` command's run), removed when that work ends; the
  retention job removes leftovers.
- `uploads/<task id>/`: a file sent with a task's request, kept until the task ends.

Hosted videos keep theirs in `videos/<id>/` (models.videos.Video.directory); the packaged
model is assembled in AITASKS_MODEL_CACHE_DIR.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def scratch_root(create: bool = False) -> Path:
    directory = settings.AITASKS_DATA_DIR / "work"
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    return directory


def uploads_root() -> Path:
    return settings.AITASKS_DATA_DIR / "uploads"


def upload_directory(task_id: uuid.UUID | str) -> Path:
    """Where the file sent with a task's request is kept until the task ends."""
    return uploads_root() / str(task_id)


# The lock file of a scratch folder that no database row vouches for (see scratch_folder).
LIVE_LOCK = ".live"


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A new folder under work/ for work that has no row in the database (a `transcribe`
    command's run, a form's upload), removed when the work ends.

    The folder holds a lock file that this process keeps locked (flock) while the work runs:
    the kernel lets go of it when the process ends, however it ends, so the retention purge
    (`is_live`) tells a live folder from a leftover whatever its age, with no pid to outlive
    its process or to mean nothing in another container."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir=scratch_root(create=True)))
    with (directory / LIVE_LOCK).open("wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield directory
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def is_live(directory: Path) -> bool:
    """Whether a running process holds the folder's lock (see scratch_folder)."""
    try:
        with (directory / LIVE_LOCK).open("rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except BlockingIOError:
        return True
    return False
