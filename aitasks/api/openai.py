"""OpenAI-compatible speech to text: POST /v1/audio/transcriptions and /v1/audio/translations,
GET /v1/models (Open WebUI, AnythingLLM, the `openai` package and every script that speaks it).

An upload becomes an ordinary task (same queue, workers, account and queue limit); the request
waits for it up to a limit that scales with the file's duration. Errors use OpenAI's shape:
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import transcripts, upload_limits, uploaded_media
from ..http import api_endpoint, authenticate_bearer
from ..results import TaskOptions
from .forms import AudioForm

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


def _granularities(request: HttpRequest) -> set[str] | str:
    values = request.POST.getlist("timestamp_granularities[]") + request.POST.getlist("timestamp_granularities")
    unknown = [value for value in values if value not in ("word", "segment")]
    return f"unknown timestamp granularity {unknown[0]!r}" if unknown else set(values)


def _answer(message: str, status: int) -> JsonResponse:
    """api_endpoint's refusals (405, 401, 400) in OpenAI's shape."""
    return openai_error(message, status=status, code="invalid_api_key" if status == 401 else None)


def _bearer_account(request: HttpRequest) -> Any | None:
    api_key = authenticate_bearer(request)
    return api_key.user if api_key is not None else None


openai_endpoint = api_endpoint("POST", account=_bearer_account, answer=_answer, challenge=None)


@openai_endpoint
def transcriptions(request: HttpRequest) -> HttpResponse:
    return _audio(request, translate=False)


@openai_endpoint
def translations(request: HttpRequest) -> HttpResponse:
    return _audio(request, translate=True)


def _audio(request: HttpRequest, translate: bool) -> HttpResponse:
    with uploaded_media.wait_slot(f"account:{request.user.pk}") as slot:
        if slot is None:
            response = openai_error(
                uploaded_media.busy_message(), status=429, kind="rate_limit_error", code="concurrent_requests"
            )
            response["Retry-After"] = "5"
            return response
        return _audio_in_slot(request, translate, slot)


def _audio_in_slot(request: HttpRequest, translate: bool, slot: Any) -> HttpResponse:
    # api_endpoint set request.user before the body is read: the upload handler
    # (aitasks.upload_limits) takes the file from that account, up to its limit.
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
    # Whisper translates to English only, as OpenAI's endpoint does.
    options = TaskOptions(
        api="openai",
        task="translate" if translate else "transcribe",
        words="word" in granularities,
        prompt=data.get("prompt") or "",
        temperature=data.get("temperature") or 0.0,
    )
    try:
        task = uploaded_media.transcribe_and_wait(
            request.user,
            data["file"],
            data["file"].name or "audio",
            options,
            audio_language="" if translate else data["language"],
            subtitles_language="eng" if translate else "",
            client_user_id=f"openai:{data['model']}"[:256],
            slot=slot,
        )
    except uploaded_media.Problem as problem:
        return _problem(problem)
    content_type, body = transcripts.openai_response(task, response_format, granularities)
    response = HttpResponse(body, content_type=content_type)
    response["x-aitasks-task-id"] = str(task.pk)
    response["x-aitasks-model"] = transcripts.model_name()
    return response


def _problem(problem: uploaded_media.Problem) -> JsonResponse:
    """A file that did not become a finished transcription, in OpenAI's error shape."""
    task = problem.task
    if problem.kind == problem.TOO_LARGE:
        return openai_error(f"file {problem}", status=413, param="file")
    if problem.kind == problem.NOT_MEDIA:
        return openai_error(f"invalid file: {problem}", param="file")
    if problem.kind == problem.TOO_LONG:
        return openai_error(str(problem), param="file", code="audio_too_long")
    if problem.kind == problem.QUEUE_FULL:
        return openai_error(str(problem), status=429, kind="rate_limit_error", code="queue_limit")
    if problem.kind == problem.STILL_RUNNING and task is not None:
        return openai_error(
            f"the transcription is still running after {problem.waited_s:.0f} s: "
            f"it goes on as task {task.pk} (GET /streaming/ai/tasks/{task.pk})",
            status=504,
            kind="timeout",
        )
    reason = str(problem)
    if reason.startswith(SERVER_FAILURES):
        return openai_error(reason, status=500, kind="server_error")
    return openai_error(reason, param="file")


@api_endpoint("GET", account=_bearer_account, answer=_answer, challenge=None)
def models(request: HttpRequest) -> HttpResponse:
    # "whisper-1" is what clients send by default; any model name runs the installed model.
    names = ["whisper-1", transcripts.model_name()]
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "aitasks"} for name in names]
    return JsonResponse({"object": "list", "data": data})
