from __future__ import annotations

from django.urls import path

from . import api

# No trailing slashes: the official SDK never sends one.
urlpatterns = [
    path("streaming/ai/tasks", api.tasks, name="api-tasks"),
    path("streaming/ai/tasks/<str:task_id>", api.task_detail, name="api-task"),
    path("streaming/ai/tasks/<str:task_id>/cancel", api.cancel, name="api-task-cancel"),
    path("streaming/ai/transcribe", api.transcribe, name="api-transcribe"),
    path("streaming/ai/results/<str:task_id>", api.task_detail, name="api-result"),
    path("streaming/ai/info", api.info, name="api-info"),
]
