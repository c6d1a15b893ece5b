"""The app's models, one module per resource."""

from __future__ import annotations

from .keys import ApiKey
from .moderation import FlaggedFrame
from .tasks import (
    FINAL_STATUSES,
    TRANSITIONS,
    UNFINISHED_STATUSES,
    WAITING_STATUSES,
    ChineseScript,
    Status,
    Task,
    TaskName,
    sources_of,
)
from .videos import DEFAULT_TRANSLATIONS, Subtitle, Video, VideoStatus
from .waits import WaitSlot
from .webhooks import Delivery, DeliveryAttempt, DeliveryState, Webhook

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "DeliveryState",
    "Webhook",
    "DEFAULT_TRANSLATIONS",
    "Subtitle",
    "Video",
    "VideoStatus",
    "FINAL_STATUSES",
    "TRANSITIONS",
    "UNFINISHED_STATUSES",
    "WAITING_STATUSES",
    "ApiKey",
    "ChineseScript",
    "FlaggedFrame",
    "Status",
    "Task",
    "TaskName",
    "sources_of",
    "WaitSlot",
]
