"""The folders the service keeps its files in, under AITASKS_DATA_DIR, named in one place.

- `work/`: work in progress (a task's download and audio, a video being copied, a form's
  upload being checked), removed when that work ends; the retention job removes leftovers.
- `uploads/<task id>/`: a file sent with a task's request, kept until the task ends.

Hosted videos keep theirs in `videos/<id>/` (models.videos.Video.directory); the packaged
model is assembled in AITASKS_MODEL_CACHE_DIR.
"""

from __future__ import annotations

import uuid
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
