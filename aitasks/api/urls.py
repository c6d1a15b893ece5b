"""The API's routes: Gcore's AI tasks and videos, OpenAI's speech to text, whisper-asr-webservice."""

from __future__ import annotations

from django.urls import path

from . import asr, openai, openapi, tasks, videos

# No trailing slashes: the official SDK never sends one.
urlpatterns = [
    path("streaming/ai/tasks", tasks.tasks, name="api-tasks"),
    path("streaming/ai/tasks/<str:task_id>", tasks.task_detail, name="api-task"),
    path("streaming/ai/tasks/<str:task_id>/cancel", tasks.cancel, name="api-task-cancel"),
    path("streaming/ai/transcribe", tasks.transcribe, name="api-transcribe"),
    path("streaming/ai/results/<str:task_id>", tasks.task_detail, name="api-result"),
    path("streaming/ai/info", tasks.info, name="api-info"),
    path("streaming/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("streaming/ai/openapi.json", openapi.openapi_json, name="api-ai-openapi"),
    path("streaming/videos", videos.video_collection, name="api-videos"),
    path("streaming/videos/<str:video_id>", videos.video_detail, name="api-video"),
    path("streaming/videos/<str:video_id>/mp4", videos.video_mp4, name="api-video-mp4"),
    path("streaming/videos/<str:video_id>/subtitles", videos.subtitle_collection, name="api-subtitles"),
    path(
        "streaming/videos/<str:video_id>/subtitles/<str:subtitle_id>",
        videos.subtitle_detail,
        name="api-subtitle",
    ),
    # OpenAI-compatible speech to text, and whisper-asr-webservice's API (Bazarr).
    path("v1/audio/transcriptions", openai.transcriptions, name="openai-transcriptions"),
    path("v1/audio/translations", openai.translations, name="openai-translations"),
    path("v1/models", openai.models, name="openai-models"),
    path("asr", asr.asr, name="asr"),
    path("detect-language", asr.detect_language, name="asr-detect-language"),
]


def _prefix(route: str) -> str:
    """A route's first path segment as a URL prefix: "streaming/ai/tasks" → "/streaming/"."""
    first, separator, _rest = route.partition("/")
    return f"/{first}{separator}"


# Where API clients call (error pages there are JSON: aitasks.error_pages).
API_PREFIXES = tuple(dict.fromkeys(_prefix(str(pattern.pattern)) for pattern in urlpatterns))
