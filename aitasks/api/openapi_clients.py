"""The OpenAPI description of the other clients' APIs (aitasks/api/openai.py, asr.py),
merged into the service's document by aitasks/api/openapi.py."""

from __future__ import annotations

from typing import Any

from . import schema
from .forms import AsrQuery, AudioForm, DetectQuery

SECURITY = [{"Bearer": []}, {"APIKey": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _text(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _multipart(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def schemas() -> dict[str, Any]:
    word = {
        "type": "object",
        "required": ["word", "start", "end"],
        "properties": {"word": {"type": "string"}, "start": {"type": "number"}, "end": {"type": "number"}},
    }
    segment = {
        "type": "object",
        "required": ["id", "start", "end", "text"],
        "properties": {
            "id": {"type": "integer"},
            "seek": {"type": "integer"},
            "start": {"type": "number"},
            "end": {"type": "number"},
            "text": {"type": "string"},
            "tokens": {"type": "array", "items": {"type": "integer"}},
            "temperature": {"type": "number"},
            "avg_logprob": {"type": "number"},
            "compression_ratio": {"type": "number"},
            "no_speech_prob": {"type": "number"},
            "words": {"type": "array", "items": word},
        },
    }
    return {
        "OpenAIError": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message", "type"],
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                        "param": {"type": "string", "nullable": True},
                        "code": {"type": "string", "nullable": True},
                    },
                }
            },
        },
        "OpenAITranscription": {
            "type": "object",
            "required": ["text"],
            "description": "`json` (text, model, usage) or `verbose_json` (also task, language, duration, "
            "segments and, with timestamp_granularities[]=word, words)",
            "properties": {
                "text": {"type": "string"},
                "model": {"type": "string", "description": "the model that ran"},
                "usage": {"type": "object"},
                "task": {"type": "string", "enum": ["transcribe", "translate"]},
                "language": {"type": "string", "example": "english"},
                "duration": {"type": "number"},
                "segments": {"type": "array", "items": segment},
                "words": {"type": "array", "items": word},
            },
        },
        "ModelList": {
            "type": "object",
            "required": ["object", "data"],
            "properties": {
                "object": {"type": "string", "enum": ["list"]},
                "data": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "object"],
                        "properties": {
                            "id": {"type": "string"},
                            "object": {"type": "string"},
                            "created": {"type": "integer"},
                            "owned_by": {"type": "string"},
                        },
                    },
                },
            },
        },
        "DetectedLanguage": {
            "type": "object",
            "required": ["detected_language", "language_code"],
            "properties": {
                "detected_language": {"type": "string", "example": "english"},
                "language_code": {"type": "string", "example": "en"},
                "confidence": {"type": "number", "nullable": True},
            },
        },
    }


def _openai_errors() -> dict[str, Any]:
    error = _ref("OpenAIError")
    return {
        "400": _json(error, "Invalid request or file (OpenAI's error shape)"),
        "401": _json(error, "Missing or wrong API key"),
        "413": _json(error, "File larger than AITASKS_MAX_UPLOAD_MB"),
        "429": _json(error, "The account's queue limit is reached"),
        "500": _json(error, "The task failed on the server's side (`x-should-retry: false`)"),
        "504": _json(error, "Still running at the wait limit: the task goes on, its id is in the message"),
    }


def _asr_errors() -> dict[str, Any]:
    error = _ref("Error")
    return {
        "400": _json(error, "Invalid request or audio"),
        "401": _json(error, "No key, or a wrong one (keyless requests need AITASKS_ASR_API_USER)"),
        "429": _json(error, "The account's queue limit is reached"),
        "504": _json(error, "Still running at the wait limit: the task goes on"),
    }


def _audio_operation(summary: str, translate: bool) -> dict[str, Any]:
    properties = schema.properties(
        AudioForm,
        {
            "file": {"description": "audio or video, any format FFmpeg reads"},
            "model": {"description": "any name; the installed model runs", "example": "whisper-1"},
            "language": {"description": "ISO-639-1"},
            "stream": {"description": "true is refused: the answer is never streamed"},
        },
    )
    if translate:
        del properties["language"]  # always English
    else:
        properties["timestamp_granularities[]"] = {
            "type": "array",
            "items": {"type": "string", "enum": ["word", "segment"]},
            "description": "with response_format=verbose_json",
        }
    return {
        "summary": summary,
        "security": SECURITY,
        "requestBody": _multipart(properties, schema.required(AudioForm)),
        "responses": {
            "200": {
                "description": "The transcript: JSON for json/verbose_json, text for text/srt/vtt",
                "headers": {"x-aitasks-task-id": {"schema": {"type": "string", "format": "uuid"}}},
                "content": {
                    "application/json": {"schema": _ref("OpenAITranscription")},
                    "text/plain": {"schema": {"type": "string"}},
                },
            },
            **_openai_errors(),
        },
    }


def paths() -> dict[str, Any]:
    audio_file = {"audio_file": {"type": "string", "format": "binary"}}
    encode = {"description": "false: the body is raw 16 kHz mono 16-bit little-endian PCM (default true)"}
    return {
        "/v1/audio/transcriptions": {"post": _audio_operation("OpenAI-compatible transcription", translate=False)},
        "/v1/audio/translations": {"post": _audio_operation("OpenAI-compatible translation to English", True)},
        "/v1/models": {
            "get": {
                "summary": "OpenAI-compatible model list",
                "security": SECURITY,
                "responses": {
                    "200": _json(_ref("ModelList"), "The models"),
                    "401": _json(_ref("OpenAIError"), "Missing or wrong API key"),
                },
            }
        },
        "/asr": {
            "post": {
                "summary": "whisper-asr-webservice-compatible transcription (Bazarr)",
                "security": [*SECURITY, {}],
                "parameters": schema.query_parameters(
                    AsrQuery,
                    {
                        "encode": encode,
                        "word_timestamps": {"description": "words in the json output's segments"},
                        "vad_filter": {"description": "accepted: voice activity detection always runs here"},
                    },
                ),
                "requestBody": _multipart(audio_file, ["audio_file"]),
                "responses": {"200": _text("The transcript in the requested output"), **_asr_errors()},
            }
        },
        "/detect-language": {
            "post": {
                "summary": "whisper-asr-webservice-compatible language identification (Bazarr)",
                "security": [*SECURITY, {}],
                "parameters": schema.query_parameters(DetectQuery, {"encode": encode}),
                "requestBody": _multipart(audio_file, ["audio_file"]),
                "responses": {"200": _json(_ref("DetectedLanguage"), "The spoken language"), **_asr_errors()},
            }
        },
    }
