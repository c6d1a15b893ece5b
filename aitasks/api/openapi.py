"""The OpenAPI 3 document of the API, served at /streaming/openapi.json and
/streaming/ai/openapi.json.

What each endpoint takes is made from the form that checks it (schema.py); what it answers
is written here. The test suite fuzzes the live server against it with schemathesis. It needs no API key: it holds no user data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..http import error
from ..models import Status, TaskName, VideoStatus
from . import openapi_clients, schema
from .forms import (
    CATEGORIES,
    ORDERINGS,
    AutoSubtitlesForm,
    SubtitleForm,
    TaskCreateForm,
    TaskListForm,
    VideoForm,
    VideoListForm,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Invalid request: the message says what is wrong"),
    "401": _json(_ref("Error"), "Missing or wrong API key"),
}
NOT_FOUND = {"404": _json(_ref("Error"), "No such object among yours")}
NULLABLE_STRING = {"type": "string", "nullable": True}
# The examples are the objects the test suite puts in its database before fuzzing, so that
# the fuzzer reaches the found paths too, not only 404.
EXAMPLE_TASK_ID = "34d0ba5a-23f6-4462-85ff-fe343b0cdb2d"


def _path_parameter(name: str, schema: dict, example: object) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "example": example}


VIDEO_ID = _path_parameter("video_id", {"type": "integer", "minimum": 1}, 1)
SUBTITLE_ID = _path_parameter("subtitle_id", {"type": "integer", "minimum": 1}, 1)
TASK_ID = _path_parameter("task_id", {"type": "string", "format": "uuid"}, EXAMPLE_TASK_ID)
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "A retried create with the same key (and the same body) answers the same task_id; "
    "the same key with another body: 400",
}


def _schemas() -> dict[str, Any]:
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
        },
        "CreateTask": {
            "type": "object",
            "required": schema.required(TaskCreateForm),
            "example": {
                "task_name": "transcription",
                "url": "https://example.com/video.mp4",
                "audio_language": "eng",
                "client_entity_data": "video 1",
            },
            "properties": schema.properties(
                TaskCreateForm,
                {
                    "task_name": {"enum": list(TaskName.values)},
                    "url": {"description": "HTTP(S) URL of an MP4 file (fetched by a worker, later)"},
                    "audio_language": {"description": "Absent: detected, with code-switching"},
                    "subtitles_language": {"description": "Another language than the audio's: translation"},
                    "category": {
                        "enum": list(CATEGORIES),
                        "description": "content-moderation only (required there); 422 when not enabled here",
                    },
                    "stop_objects": {
                        "description": "hard_nudity/soft_nudity: labels ending the scan, `LABEL[:threshold],...`"
                    },
                    "chinese_script": {
                        "description": "transcription only: the script of Chinese text (an extension of this "
                        "service). Absent: the installation's AITASKS_CHINESE_SCRIPT"
                    },
                },
            ),
        },
        "TaskCreated": {
            "type": "object",
            "required": ["task_id"],
            "properties": {"task_id": {"type": "string", "format": "uuid"}},
        },
        "ProcessingTime": {
            "type": "object",
            "required": ["started_at", "completed_at", "total_time_sec"],
            "properties": {
                "started_at": {"type": "string", "format": "date-time", "nullable": True},
                "completed_at": {"type": "string", "format": "date-time", "nullable": True},
                "total_time_sec": {"type": "number", "nullable": True},
            },
        },
        "TaskData": {
            "type": "object",
            "required": ["task_name", "url", "client_id"],
            "properties": {
                "task_name": {"type": "string"},
                "url": {"type": "string"},
                "audio_language": {"type": "string"},
                "subtitles_language": {"type": "string"},
                "category": {"type": "string"},
                "stop_objects": {"type": "string"},
                "client_user_id": {"type": "string"},
                "client_entity_data": {"type": "string"},
                "chinese_script": {"type": "string", "description": "present when the task asked for one"},
                "client_id": {"type": "integer"},
            },
        },
        "Task": {
            "type": "object",
            "required": ["task_id", "task_name", "status", "progress", "processing_time", "task_data"],
            "properties": {
                "task_id": {"type": "string", "format": "uuid"},
                "task_name": {"type": "string"},
                "status": {"type": "string", "enum": list(Status.values)},
                "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                "processing_time": _ref("ProcessingTime"),
                "task_data": _ref("TaskData"),
            },
        },
        "TaskWithResult": {
            "allOf": [
                _ref("Task"),
                {
                    "type": "object",
                    "required": ["result"],
                    "properties": {
                        "result": {
                            "nullable": True,
                            "description": "null until the task ends",
                            "oneOf": [_ref("Transcription"), _ref("Moderation"), _ref("Error")],
                        }
                    },
                },
            ]
        },
        "Transcription": {
            "type": "object",
            "required": ["speech_detected", "subtitles", "vttContent", "concatenated_text", "languages"],
            "properties": {
                "speech_detected": {"type": "boolean"},
                "subtitles": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["start_time", "end_time", "text"],
                        "properties": {
                            "start_time": {"type": "string", "pattern": r"^\d{2,}:\d{2}:\d{2}\.\d{3}$"},
                            "end_time": {"type": "string", "pattern": r"^\d{2,}:\d{2}:\d{2}\.\d{3}$"},
                            "text": {"type": "string"},
                            "language": {"type": "string"},
                        },
                    },
                },
                "vttContent": {"type": "string"},
                "concatenated_text": {"type": "string"},
                "languages": {"type": "array", "items": {"type": "string"}},
                "quality": {"type": "object", "additionalProperties": {"type": "integer"}},
                "language_detection": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Moderation": {
            "type": "object",
            "description": "content-moderation: one of nsfw_detected / nudity_detected / sport_detected",
            "required": ["detection_results", "frames"],
            "properties": {
                "nsfw_detected": {"type": "boolean"},
                "nudity_detected": {"type": "boolean"},
                "sport_detected": {"type": "boolean"},
                "detection_results": {"type": "array", "items": {"type": "string"}},
                "frames": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["confidence", "frame_number", "label"],
                        "properties": {
                            "confidence": {"type": "number"},
                            "frame_number": {"type": "integer"},
                            "label": {"type": "string"},
                        },
                    },
                },
            },
        },
        "TaskList": {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer"},
                "next": NULLABLE_STRING,
                "previous": NULLABLE_STRING,
                "results": {"type": "array", "items": _ref("Task")},
            },
        },
        "VideoFields": {
            "type": "object",
            "properties": schema.properties(
                VideoForm,
                {
                    "auto_transcribe_audio_language": {"description": "disable, auto or a language code"},
                    "auto_translate_subtitles_language": {"description": "disable, default or codes"},
                },
            ),
        },
        "Video": {
            "type": "object",
            "required": ["id", "name", "status", "converted_videos"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "description": {"type": "string"},
                "status": {"type": "string", "enum": list(VideoStatus.values)},
                "error": NULLABLE_STRING,
                "origin_url": NULLABLE_STRING,
                "origin_size": {"type": "integer", "nullable": True},
                "duration": {"type": "integer", "nullable": True, "description": "milliseconds"},
                "converted_videos": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"mp4_url": {"type": "string"}, "name": {"type": "string"}},
                    },
                },
            },
        },
        "Subtitle": {
            "type": "object",
            "required": ["id", "name", "language", "vtt"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "language": {"type": "string"},
                "vtt": {"type": "string"},
            },
        },
        "SubtitleFields": {
            "type": "object",
            "properties": {
                **schema.properties(SubtitleForm, {"vtt": {"description": "WebVTT or SRT, at most 5 MB"}}),
                **schema.properties(
                    AutoSubtitlesForm,
                    {"auto_transcribe_audio_language": {"description": "instead of vtt: AI subtitles"}},
                ),
            },
        },
    }


DOCUMENT = {
    "summary": "This document (no API key needed)",
    "security": [],
    "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]}, "OpenAPI 3.0")},
}


def _operation(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": {**responses, **ERRORS}, **extra}


def _query(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter; the server reads an empty value as absent."""
    return {"name": name, "in": "query", "required": False, "allowEmptyValue": True, "schema": values}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def document() -> dict[str, Any]:
    create = _operation(
        "Create a transcription or content-moderation task",
        {
            "200": _json(_ref("TaskCreated"), "Queued"),
            "422": _json(_ref("Error"), "A content-moderation category this installation has not enabled"),
        },
        requestBody=_body(_ref("CreateTask")),
        parameters=[IDEMPOTENCY_KEY],
    )
    list_parameters = schema.query_parameters(
        TaskListForm,
        {"ordering": {"enum": [*ORDERINGS, *(f"-{name}" for name in ORDERINGS)]}, "task_id": {"format": "uuid"}},
    )
    task_detail = _operation(
        "A task, with its result once finished", {"200": _json(_ref("TaskWithResult"), "The task"), **NOT_FOUND}
    )
    video_body = _body(
        {
            "oneOf": [
                {"type": "object", "required": ["video"], "properties": {"video": _ref("VideoFields")}},
                _ref("VideoFields"),
            ]
        }
    )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "aitasks — Gcore-compatible AI subtitles API",
            "version": "1",
            "description": (
                "Transcription and translation of MP4 videos, Gcore's `/streaming/ai` and `/streaming/videos` API. "
                "Every operation needs the header `Authorization: APIKey <key>`, except this document "
                "(`/streaming/openapi.json`, also at `/streaming/ai/openapi.json`), which is public: it holds no user data. "
                'Errors are JSON `{"error": ..., "errors"?: {field: [messages]}}`: 400 invalid request, '
                "401 missing or wrong key, 404 no such object among yours, 405 (with `Allow`) any other method on a path. "
                "Also OpenAI's `/v1/audio/transcriptions`, `/v1/audio/translations`, `/v1/models` (`Bearer <key>`, "
                "OpenAI's error shape) and whisper-asr-webservice's `/asr` and `/detect-language` (see the README)."
            ),
        },
        "components": {
            "securitySchemes": {
                "APIKey": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`APIKey <key>`"},
                "Bearer": {"type": "http", "scheme": "bearer", "description": "OpenAI and ASR clients: `Bearer <key>`"},
            },
            "schemas": {**_schemas(), **openapi_clients.schemas()},
        },
        "security": [{"APIKey": []}],
        "paths": {
            "/streaming/openapi.json": {"get": DOCUMENT},
            "/streaming/ai/openapi.json": {"get": DOCUMENT},
            "/streaming/ai/tasks": {
                "post": create,
                "get": _operation(
                    "Your tasks, newest first", {"200": _json(_ref("TaskList"), "A page")}, parameters=list_parameters
                ),
            },
            "/streaming/ai/tasks/{task_id}": {"parameters": [TASK_ID], "get": task_detail},
            "/streaming/ai/results/{task_id}": {"parameters": [TASK_ID], "get": task_detail},
            "/streaming/ai/tasks/{task_id}/cancel": {
                "parameters": [TASK_ID],
                "post": _operation(
                    "Cancel an unfinished task",
                    {
                        "200": _json(
                            {"type": "object", "required": ["result"], "properties": {"result": {"type": "string"}}},
                            "Revoked",
                        ),
                        **NOT_FOUND,
                    },
                ),
            },
            "/streaming/ai/transcribe": {
                "post": _operation(
                    "Create a task (older path; task_name may be left out for a transcription)",
                    {
                        "200": _json(_ref("TaskCreated"), "Queued"),
                        "422": _json(_ref("Error"), "A content-moderation category this installation has not enabled"),
                    },
                    requestBody=_body({**_ref("CreateTask")}),
                    parameters=[IDEMPOTENCY_KEY],
                ),
            },
            "/streaming/ai/info": {
                "get": _operation(
                    "Is a language (pair), or a content-moderation category, supported here?",
                    {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["supported"],
                                "properties": {
                                    "supported": {"type": "boolean"},
                                    "categories": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                            "The answer",
                        )
                    },
                    parameters=[
                        _query("type", {"type": "string", "enum": ["language_support", "content_moderation"]}),
                        _query("audio_language", {"type": "string"}),
                        _query("subtitles_language", {"type": "string"}),
                        _query("category", {"type": "string", "enum": list(CATEGORIES)}),
                    ],
                )
            },
            "/streaming/videos": {
                "post": _operation(
                    "Create a video (copied from origin_url)",
                    {"200": _json(_ref("Video"), "The video")},
                    requestBody=video_body,
                ),
                "get": _operation(
                    "Your videos",
                    {"200": _json({"type": "array", "items": _ref("Video")}, "A page")},
                    parameters=schema.query_parameters(VideoListForm),
                ),
            },
            "/streaming/videos/{video_id}": {
                "parameters": [VIDEO_ID],
                "get": _operation("A video", {"200": _json(_ref("Video"), "The video"), **NOT_FOUND}),
                "patch": _operation(
                    "Change a video",
                    {"200": _json(_ref("Video"), "The video"), **NOT_FOUND},
                    requestBody=_body(_ref("VideoFields")),
                ),
                "delete": _operation(
                    "Delete a video, its files and subtitles", {"204": {"description": "Deleted"}, **NOT_FOUND}
                ),
            },
            "/streaming/videos/{video_id}/mp4": {
                "parameters": [VIDEO_ID],
                "get": _operation(
                    "The stored MP4 (range requests)",
                    {
                        "200": {"description": "The file", "content": {"video/mp4": {}}},
                        "206": {"description": "A range", "content": {"video/mp4": {}}},
                        "416": {"description": "Range not satisfiable"},
                        **NOT_FOUND,
                    },
                ),
            },
            "/streaming/videos/{video_id}/subtitles": {
                "parameters": [VIDEO_ID],
                "get": _operation(
                    "A video's subtitles",
                    {"200": _json({"type": "array", "items": _ref("Subtitle")}, "The list"), **NOT_FOUND},
                ),
                "post": _operation(
                    "Add subtitles (vtt), or start AI subtitles (auto_transcribe_audio_language)",
                    {
                        "200": _json(
                            {
                                "oneOf": [
                                    _ref("Subtitle"),
                                    {
                                        "type": "object",
                                        "required": ["ai_task_ids"],
                                        "properties": {"ai_task_ids": {"type": "array", "items": {"type": "string"}}},
                                    },
                                ]
                            },
                            "Added, or AI tasks started",
                        ),
                        **NOT_FOUND,
                    },
                    requestBody=_body(_ref("SubtitleFields")),
                ),
            },
            "/streaming/videos/{video_id}/subtitles/{subtitle_id}": {
                "parameters": [VIDEO_ID, SUBTITLE_ID],
                "get": _operation("A subtitle", {"200": _json(_ref("Subtitle"), "The subtitle"), **NOT_FOUND}),
                "patch": _operation(
                    "Change a subtitle",
                    {"200": _json(_ref("Subtitle"), "The subtitle"), **NOT_FOUND},
                    requestBody=_body(_ref("SubtitleFields")),
                ),
                "delete": _operation("Delete a subtitle", {"204": {"description": "Deleted"}, **NOT_FOUND}),
            },
            **openapi_clients.paths(),
        },
    }


@csrf_exempt  # no session in play: any other method must answer 405, not the CSRF check's 403
def openapi_json(request: HttpRequest) -> JsonResponse:
    if request.method not in ("GET", "HEAD"):
        response = error(f"method {request.method} not allowed", status=405)
        response["Allow"] = "GET, HEAD"
        return response
    return JsonResponse(document())
