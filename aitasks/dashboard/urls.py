"""The dashboard's routes (the portal pages, behind a login)."""

from __future__ import annotations

from django.urls import path

from . import keys, tasks, videos, webhooks

urlpatterns = [
    path("settings/webhooks", webhooks.webhooks_page, name="webhooks"),
    path("settings/webhooks/<int:webhook_id>/rotate", webhooks.webhook_rotate, name="webhook-rotate"),
    path("settings/webhooks/<int:webhook_id>/delete", webhooks.webhook_delete, name="webhook-delete"),
    path("", tasks.tasks_page, name="tasks"),
    path("tasks/new", tasks.create_task, name="task-create"),
    path("tasks/<uuid:task_id>", tasks.task_detail, name="task-detail"),
    path("tasks/<uuid:task_id>/cancel", tasks.task_cancel, name="task-cancel"),
    path("tasks/<uuid:task_id>/subtitles.<str:kind>", tasks.task_download, name="task-download"),
    path("tasks/<uuid:task_id>/frames/<int:frame_number>.jpg", tasks.flagged_frame, name="task-frame"),
    path("keys", keys.api_keys_page, name="api-keys"),
    path("keys/<int:key_id>/revoke", keys.api_key_revoke, name="api-key-revoke"),
    path("videos", videos.videos_page, name="videos"),
    path("videos/<int:video_id>", videos.video_detail, name="video-detail"),
    path("videos/<int:video_id>/delete", videos.video_delete, name="video-delete"),
    path("videos/<int:video_id>/subtitles", videos.video_subtitles, name="video-subtitles"),
    path("videos/<int:video_id>/subtitles/<int:subtitle_id>.vtt", videos.subtitle_file, name="subtitle-file"),
    path("videos/<int:video_id>/subtitles/<int:subtitle_id>/delete", videos.subtitle_delete, name="subtitle-delete"),
]
