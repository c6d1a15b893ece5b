from __future__ import annotations

from django.db import models


class FlaggedFrame(models.Model):
    """A frame a content-moderation task flagged: where it is, what was found, and a small
    JPEG of it for the dashboard. Kept in the database with its task (web and worker may run
    on different hosts) and deleted with it."""

    task = models.ForeignKey("aitasks.Task", on_delete=models.CASCADE, related_name="flagged_frames")
    frame_number = models.PositiveIntegerField()
    time_ms = models.PositiveBigIntegerField()
    # [{"label": ..., "confidence": ...}], most confident first
    detections = models.JSONField(default=list)
    jpeg = models.BinaryField()

    class Meta:
        ordering = ["frame_number"]
        constraints = [models.UniqueConstraint(fields=["task", "frame_number"], name="unique_flagged_frame")]

    def __str__(self) -> str:
        return f"frame {self.frame_number} of {self.task_id}"

    @property
    def seek(self) -> str:
        """The frame's moment in seconds, for a media fragment (`#t=12.04`)."""
        return f"{self.time_ms / 1000:.3f}"
