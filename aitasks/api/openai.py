"""OpenAI-compatible speech to text: POST /v1/audio/transcriptions and /v1/audio/translations,
GET /v1/models (Open WebUI, AnythingLLM, the `openai` package and every script that speaks it).

An upload becomes an ordinary task (same queue, workers, account and queue limit); the request
waits for it up to a limit that scales with the file's duration. Errors use OpenAI's shape:
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .. import languages, transcripts, upload_limits, uploaded_media, work
from ..auth import authenticate_bearer
from ..pipeline.errors import PipelineError

SERVER_FAILURES = ("internal error", "speech engine error", "the worker processing the task")


def openai_error(
    message: str,
    status: int = 400,
    param: str | None = None,
    kind: str = "invalid_request_error",
    code: str | None = None,
) -> JsonResponse:
    response = JsonResponse({"error": {"message": message, "type": kind, "param": param, "code": code}}, status=status)
    if status >= 500:
        response["x-should-retry"] = "false"  # the task may still finish: a retry would repeat it
    return response


class AudioForm(forms.Form):
    file = forms.FileField()
    model = forms.CharField(max_length=200)
    language = forms.CharField(max_length=8, required=False)
    prompt = forms.CharField(max_length=4000, required=False, strip=False)
    response_format = forms.ChoiceField(choices=[(name, name) for name in transcripts.OPENAI_FORMATS], required=False)
    temperature = forms.FloatField(min_value=0, max_value=1, required=False)
    stream = forms.CharField(required=False)

    def clean_language(self) -> str:
        code = self.cleaned_data["language"].strip().lower()
        if not code:
            return ""
        language = languages.from_whisper(code)
        if language is None:
            try:
                language = languages.get(code)  # an ISO-639-2 code is fine too
            except languages.UnknownLanguage:
                raise forms.ValidationError(
                    f"unsupported language {code!r}: use an ISO-639-1 code such as 'en'"
                ) from None
        return language.code

    def clean_stream(self) -> str:
        if self.cleaned_data["stream"].strip().lower() in ("true", "1"):
            raise forms.ValidationError("streaming is not supported: send stream=false")
        return ""


def _granularities(request: HttpRequest) -> set[str] | str:
    values = request.POST.getlist("timestamp_granularities[]") + request.POST.getlist("timestamp_granularities")
    unknown = [value for value in values if value not in ("word", "segment")]
    return f"unknown timestamp granularity {unknown[0]!r}" if unknown else set(values)


@csrf_exempt
def transcriptions(request: HttpRequest) -> HttpResponse:
    return _audio(request, translate=False)


@csrf_exempt
def translations(request: HttpRequest) -> HttpResponse:
    return _audio(request, translate=True)


def _audio(request: HttpRequest, translate: bool) -> HttpResponse:
    if request.method != "POST":
        response = openai_error(f"method {request.method} not allowed", status=405)
        response["Allow"] = "POST"
        return response
    api_key = authenticate_bearer(request)
    if api_key is None:
        return openai_error("invalid or missing API key", status=401, code="invalid_api_key")
    # The upload handler (aitasks.upload_limits) takes the file from the key's account, up to its limit.
    request.user = api_key.user
    fields, files = request.POST, request.FILES
    if refused := upload_limits.refusal(request):
        return openai_error(refused, status=413, param="file")
    form = AudioForm(fields, files)
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        return openai_error(f"{field}: {messages[0]}", param=None if field == "__all__" else field)
    granularities = _granularities(request)
    if isinstance(granularities, str):
        return openai_error(granularities, param="timestamp_granularities")
    data = form.cleaned_data
    response_format = data["response_format"] or "json"
    if granularities and response_format != "verbose_json":
        return openai_error(
            "timestamp_granularities needs response_format=verbose_json", param="timestamp_granularities"
        )
    upload = data["file"]
    if upload.size > settings.AITASKS_MAX_UPLOAD_MB * 1024 * 1024:
        return openai_error(f"file larger than {settings.AITASKS_MAX_UPLOAD_MB} MB", status=413, param="file")
    # Whisper translates to English only, as OpenAI's endpoint does.
    options: dict[str, Any] = {"api": "openai", "task": "translate" if translate else "transcribe"}
    if "word" in granularities:
        options["words"] = True
    for name in ("prompt", "temperature"):
        if data.get(name) not in (None, ""):
            options[name] = data[name]
    try:
        task, duration_ms = uploaded_media.submit_file(
            api_key.user,
            upload.chunks(),
            upload.name or "audio",
            audio_language="" if translate else data["language"],
            subtitles_language="eng" if translate else "",
            client_user_id=f"openai:{data['model']}"[:256],
            options=options,
        )
    except PipelineError as error:
        return openai_error(f"invalid file: {error}", param="file")
    except work.QueueFull as error:
        return openai_error(str(error), status=429, kind="rate_limit_error", code="queue_limit")
    started = time.monotonic()
    if not uploaded_media.wait(task, duration_ms):
        return openai_error(
            f"the transcription is still running after {time.monotonic() - started:.0f} s: "
            f"it goes on as task {task.pk} (GET /streaming/ai/tasks/{task.pk})",
            status=504,
            kind="timeout",
        )
    if task.status != "SUCCESS":
        reason = task.error or "the task was cancelled"
        if reason.startswith(SERVER_FAILURES):
            return openai_error(reason, status=500, kind="server_error")
        return openai_error(reason, param="file")
    content_type, body = transcripts.openai_response(task, response_format, granularities)
    response = HttpResponse(body, content_type=content_type)
    response["x-aitasks-task-id"] = str(task.pk)
    response["x-aitasks-model"] = transcripts.model_name()
    return response


@csrf_exempt
def models(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        response = openai_error(f"method {request.method} not allowed", status=405)
        response["Allow"] = "GET"
        return response
    if authenticate_bearer(request) is None:
        return openai_error("invalid or missing API key", status=401, code="invalid_api_key")
    # "whisper-1" is what clients send by default; any model name runs the installed model.
    names = ["whisper-1", transcripts.model_name()]
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "aitasks"} for name in names]
    return JsonResponse({"object": "list", "data": data})
