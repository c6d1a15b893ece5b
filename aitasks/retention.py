"""Nothing is kept forever: finished tasks and their results are deleted
AITASKS_RETENTION_DAYS after they ended, with the scratch files, uploads and webhook
deliveries nothing needs any more (the daily schedule runs aitasks.worker.purge_expired)."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import uploaded_media, webhooks
from .data_dirs import is_live, scratch_root
from .models import FINAL_STATUSES, Status, Task, Video, VideoStatus


def purge_expired() -> int:
    """Delete tasks finished longer ago than AITASKS_RETENTION_DAYS, and stray scratch files;
    the number of tasks deleted."""
    cutoff = timezone.now() - timedelta(days=settings.AITASKS_RETENTION_DAYS)
    deleted, _ = Task.objects.filter(status__in=FINAL_STATUSES, completed_at__lt=cutoff).delete()
    work = scratch_root()
    if work.is_dir():
        running = {str(pk) for pk in Task.objects.filter(status=Status.STARTED).values_list("pk", flat=True)}
        # A copy writes into one file for as long as its download takes: the folder's time says
        # nothing about it (hosted_videos.copy_origin names the folder).
        copying = Video.objects.filter(status=VideoStatus.PENDING).exclude(copier="").values_list("pk", flat=True)
        running |= {f"video-{pk}" for pk in copying}
        quiet_since = time.time() - settings.AITASKS_STALLED_AFTER_S  # spare work that just started
        for directory in work.iterdir():
            if directory.name in running or directory.stat().st_mtime >= quiet_since:
                continue
            if not is_live(directory):  # the work of no row (data_dirs.scratch_folder)
                shutil.rmtree(directory, ignore_errors=True)
    uploaded_media.purge_orphans()
    webhooks.purge(cutoff)
    return deleted
