from __future__ import annotations

from django.urls import path

from . import api, api_videos

# No trailing slashes: the official SDK never sends one.
urlpatterns = [
    path("streaming/ai/tasks", api.tasks, name="api-tasks"),
    path("streaming/ai/tasks/<str:task_id>", api.task_detail, name="api-task"),
    path("streaming/ai/tasks/<str:task_id>/cancel", api.cancel, name="api-task-cancel"),
    path("streaming/ai/transcribe", api.transcribe, name="api-transcribe"),
    path("streaming/ai/results/<str:task_id>", api.task_detail, name="api-result"),
    path("streaming/ai/info", api.info, name="api-info"),
    path("streaming/videos", api_videos.video_collection, name="api-videos"),
    path("streaming/videos/<int:video_id>", api_videos.video_detail, name="api-video"),
    path("streaming/videos/<int:video_id>/mp4", api_videos.video_mp4, name="api-video-mp4"),
    path("streaming/videos/<int:video_id>/subtitles", api_videos.subtitle_collection, name="api-subtitles"),
    path(
        "streaming/videos/<int:video_id>/subtitles/<int:subtitle_id>",
        api_videos.subtitle_detail,
        name="api-subtitle",
    ),
]
