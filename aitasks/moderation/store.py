"""A finished scan, stored: the task's result and the thumbnails of its flagged frames."""

from __future__ import annotations

from django.db import transaction

from ..models import FlaggedFrame, Task
from ..results import TaskJSON
from .pipeline import ModerationOutcome


def save_outcome(task: Task, outcome: ModerationOutcome) -> bool:
    """The thumbnails and SUCCESS together: a task that shows SUCCESS has them all, and a worker
    the task was taken away from leaves the frames of the one now running it alone. False when
    the task was revoked or taken back meanwhile (nothing is saved then)."""
    with transaction.atomic():
        FlaggedFrame.objects.filter(task=task).delete()  # left by an earlier attempt
        FlaggedFrame.objects.bulk_create(
            FlaggedFrame(
                task=task,
                frame_number=flag.frame_number,
                time_ms=flag.time_ms,
                detections=TaskJSON.dump_detections(flag.detections),
                jpeg=flag.jpeg,
            )
            for flag in outcome.thumbnails()
        )
        if not task.succeed(outcome.to_result()):
            transaction.set_rollback(True)
            return False
    return True
