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
from .data_dirs import scratch_root
from .models import FINAL_STATUSES, Status, Task


def purge_expired() -> int:
    """Delete tasks finished longer ago than AITASKS_RETENTION_DAYS, and stray scratch files;
    the number of tasks deleted."""
    cutoff = timezone.now() - timedelta(days=settings.AITASKS_RETENTION_DAYS)
    deleted, _ = Task.objects.filter(status__in=FINAL_STATUSES, completed_at__lt=cutoff).delete()
    work = scratch_root()
    if work.is_dir():
        running = {str(pk) for pk in Task.objects.filter(status=Status.STARTED).values_list("pk", flat=True)}
        quiet_since = time.time() - settings.AITASKS_STALLED_AFTER_S  # spare a task that just started
        for directory in work.iterdir():
            if directory.name not in running and directory.stat().st_mtime < quiet_since:
                shutil.rmtree(directory, ignore_errors=True)
    uploaded_media.purge_orphans()
    webhooks.purge(cutoff)
    return deleted
