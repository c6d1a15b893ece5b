"""whisper-asr-webservice-compatible API: POST /asr and POST /detect-language, as Bazarr's
Whisper provider (and Jellyfin plugins, speakr) call them: query parameters, the audio in a
multipart field `audio_file`, with `encode=false` raw 16 kHz mono 16-bit PCM.

Those clients often send no API key: AITASKS_ASR_API_USER names the account that keyless
requests run as; unset, they get 401. A key (`Bearer` or `APIKey`) always works.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import languages, transcripts, upload_limits, uploaded_media
from ..http import api_endpoint, authenticate_bearer, carries_a_key, error
from ..results import TaskOptions
from ..security import client_ip
from .forms import AsrQuery, DetectQuery

# /detect-language looks at the start of the file (whisper-asr-webservice: the first 30 s; our
# language identification spreads its windows over what it gets).
DETECT_SECONDS = 600


def _account(request: HttpRequest) -> Any | None:
    api_key = authenticate_bearer(request)
    if api_key is not None:
        return api_key.user
    if carries_a_key(request) or not settings.AITASKS_ASR_API_USER:
        return None
    request.keyless = True  # its wait slots are counted per client address
    return get_user_model().objects.filter(username=settings.AITASKS_ASR_API_USER, is_active=True).first()


asr_endpoint = api_endpoint("POST", account=_account, challenge="Bearer")


def _query(request: HttpRequest, form_class: type[forms.Form]) -> forms.Form | HttpResponse:
    form = form_class(request.GET)
    if not form.is_valid():
        field, messages = next(iter(form.errors.items()))
        return error(f"{field}: {messages[0]}")
    return form


def _finished_task(
    request: HttpRequest, encode: bool, options: TaskOptions, max_pcm_seconds: float | None = None, **fields: Any
) -> Any:
    """The request's `audio_file` made into a task of its account, waited for: the finished
    task, or the error response."""
    # Keyless requests all run as one account: one client address must not take every slot.
    keyless = getattr(request, "keyless", False)
    holder = f"address:{client_ip(request)}" if keyless else f"account:{request.user.pk}"
    with uploaded_media.wait_slot(holder) as slot:
        if slot is None:
            response = error(uploaded_media.busy_message("this address" if keyless else "this account"), status=429)
            response["Retry-After"] = "5"
            return response
        return _finished_task_in_slot(request, encode, options, max_pcm_seconds, slot=slot, **fields)


def _finished_task_in_slot(
    request: HttpRequest, encode: bool, options: TaskOptions, max_pcm_seconds: float | None, **fields: Any
) -> Any:
    # api_endpoint set request.user before the body is read: the upload handler
    # (aitasks.upload_limits) takes the file from that account, up to its limit. Reading
    # FILES parses the body; only then is a refusal known.
    files = request.FILES
    if refused := upload_limits.refusal(request):
        return error(f"audio_file: {refused}")
    upload = files.get("audio_file")
    if upload is None:
        return error("audio_file: send the audio as a multipart file named audio_file")
    try:
        return uploaded_media.transcribe_and_wait(
            request.user,
            upload,
            upload.name or "audio_file",
            options,
            raw_pcm=not encode,
            max_pcm_seconds=max_pcm_seconds,
            client_user_id="asr",
            **fields,
        )
    except uploaded_media.Problem as problem:
        task = problem.task
        if problem.kind in (problem.TOO_LARGE, problem.NOT_MEDIA, problem.TOO_LONG):
            return error(f"audio_file: {problem}")
        if problem.kind == problem.QUEUE_FULL:
            return error(str(problem), status=429)
        if problem.kind == problem.STILL_RUNNING and task is not None:
            return error(
                f"still running: the task goes on as {task.pk} (GET /streaming/ai/tasks/{task.pk})", status=504
            )
        return error(str(problem))


@asr_endpoint
def asr(request: HttpRequest) -> HttpResponse:
    form = _query(request, AsrQuery)
    if isinstance(form, HttpResponse):
        return form
    data = form.cleaned_data
    translate = data["task"] == "translate"
    options = TaskOptions(
        api="asr",
        task=data["task"] or "transcribe",
        words=bool(data["word_timestamps"]),
        prompt=data["initial_prompt"] or "",
    )
    task = _finished_task(
        request,
        data["encode"],
        options,
        audio_language=data["language"],
        subtitles_language="eng" if translate else "",
    )
    if isinstance(task, HttpResponse):
        return task
    output = data["output"] or "txt"
    body = transcripts.asr_response(task, output, with_words=data["word_timestamps"])
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Asr-Engine"] = "aitasks"
    name = request.FILES["audio_file"].name or "audio"
    response["Content-Disposition"] = f'attachment; filename="{quote(name)}.{output}"'
    response["x-aitasks-task-id"] = str(task.pk)
    return response


@asr_endpoint
def detect_language(request: HttpRequest) -> HttpResponse:
    form = _query(request, DetectQuery)
    if isinstance(form, HttpResponse):
        return form
    options = TaskOptions(api="asr", detect_only=True)
    task = _finished_task(request, form.cleaned_data["encode"], options, DETECT_SECONDS)
    if isinstance(task, HttpResponse):
        return task
    transcription = task.transcription()
    detected = transcription.language_detection if transcription is not None else ()
    if not detected:
        return error("no speech detected")
    language = languages.get(detected[0]["language"])
    return JsonResponse(
        {
            "detected_language": language.name.lower(),
            "language_code": language.whisper_code,
            "confidence": detected[0]["confidence"],
        }
    )
