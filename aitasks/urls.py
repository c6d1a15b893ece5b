from __future__ import annotations

from django.urls import path

from . import api, api_asr, api_openai, api_videos, openapi, views, views_keys, views_webhooks

# No trailing slashes: the official SDK never sends one.
urlpatterns = [
    path("streaming/ai/tasks", api.tasks, name="api-tasks"),
    path("streaming/ai/tasks/<str:task_id>", api.task_detail, name="api-task"),
    path("streaming/ai/tasks/<str:task_id>/cancel", api.cancel, name="api-task-cancel"),
    path("streaming/ai/transcribe", api.transcribe, name="api-transcribe"),
    path("streaming/ai/results/<str:task_id>", api.task_detail, name="api-result"),
    path("streaming/ai/info", api.info, name="api-info"),
    path("streaming/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("streaming/ai/openapi.json", openapi.openapi_json, name="api-ai-openapi"),
    path("streaming/videos", api_videos.video_collection, name="api-videos"),
    path("streaming/videos/<str:video_id>", api_videos.video_detail, name="api-video"),
    path("streaming/videos/<str:video_id>/mp4", api_videos.video_mp4, name="api-video-mp4"),
    path("streaming/videos/<str:video_id>/subtitles", api_videos.subtitle_collection, name="api-subtitles"),
    path(
        "streaming/videos/<str:video_id>/subtitles/<str:subtitle_id>",
        api_videos.subtitle_detail,
        name="api-subtitle",
    ),
    # OpenAI-compatible speech to text, and whisper-asr-webservice's API (Bazarr).
    path("v1/audio/transcriptions", api_openai.transcriptions, name="openai-transcriptions"),
    path("v1/audio/translations", api_openai.translations, name="openai-translations"),
    path("v1/models", api_openai.models, name="openai-models"),
    path("asr", api_asr.asr, name="asr"),
    path("detect-language", api_asr.detect_language, name="asr-detect-language"),
    # The dashboard.
    path("settings/webhooks", views_webhooks.webhooks_page, name="webhooks"),
    path("settings/webhooks/<int:webhook_id>/delete", views_webhooks.webhook_delete, name="webhook-delete"),
    path("", views.tasks_page, name="tasks"),
    path("tasks/new", views.create_task, name="task-create"),
    path("tasks/<uuid:task_id>", views.task_detail, name="task-detail"),
    path("tasks/<uuid:task_id>/cancel", views.task_cancel, name="task-cancel"),
    path("tasks/<uuid:task_id>/subtitles.<str:kind>", views.task_download, name="task-download"),
    path("tasks/<uuid:task_id>/frames/<int:frame_number>.jpg", views.flagged_frame, name="task-frame"),
    path("keys", views_keys.api_keys_page, name="api-keys"),
    path("keys/<int:key_id>/revoke", views_keys.api_key_revoke, name="api-key-revoke"),
    path("videos", views.videos_page, name="videos"),
    path("videos/<int:video_id>", views.video_detail, name="video-detail"),
    path("videos/<int:video_id>/delete", views.video_delete, name="video-delete"),
    path("videos/<int:video_id>/subtitles", views.video_subtitles, name="video-subtitles"),
    path("videos/<int:video_id>/subtitles/<int:subtitle_id>.vtt", views.subtitle_file, name="subtitle-file"),
    path("videos/<int:video_id>/subtitles/<int:subtitle_id>/delete", views.subtitle_delete, name="subtitle-delete"),
]
