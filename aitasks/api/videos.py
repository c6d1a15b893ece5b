"""Gcore's video API (`/streaming/videos`, `.../subtitles`), as the official SDK uses it.

Videos are copied from an origin URL (or uploaded in the dashboard) into the service's own
storage; `mp4_url` serves the stored file with range requests to its owner. Subtitles are
WebVTT (SRT is accepted and converted); asking for `auto_transcribe_audio_language` instead
of `vtt` starts AI subtitles for the video.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import hosted_videos, queue
from ..cues import InvalidSubtitles, to_vtt
from ..http import api_endpoint, error, form_error, json_body, serve_file
from ..models import Subtitle, Video, VideoStatus
from .forms import AutoSubtitlesForm, SubtitleForm, VideoForm, VideoListForm


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


MAX_ID = 2**63 - 1


def _object_id(value: str) -> int | None:
    """An id from the path: a positive integer the database can hold, else None (404)."""
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID else None


def _own_video(request: HttpRequest, video_id: str) -> Video | None:
    pk = _object_id(video_id)
    return Video.objects.filter(pk=pk, owner=request.user).first() if pk else None


def _not_found() -> JsonResponse:
    return error("not found", status=404)


@api_endpoint("GET", "POST")
def video_collection(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create_video(request)
    form = VideoListForm(request.GET)
    if not form.is_valid():
        return form_error(form)
    queryset = Video.objects.filter(owner=request.user)
    if form.cleaned_data.get("search"):
        term = form.cleaned_data["search"]
        queryset = queryset.filter(Q(name__icontains=term) | Q(description__icontains=term))
    if form.cleaned_data.get("status"):
        queryset = queryset.filter(status=form.cleaned_data["status"])
    page = form.cleaned_data.get("page") or 1
    per_page = form.cleaned_data.get("per_page") or settings.AITASKS_PAGE_SIZE
    total = queryset.count()
    items = queryset[(page - 1) * per_page : page * per_page]
    response = JsonResponse([video.to_dict(_base_url(request)) for video in items], safe=False)
    response["X-Total-Count"] = str(total)
    return response


def _create_video(request: HttpRequest) -> HttpResponse:
    # The SDK wraps the fields in {"video": {...}}; Gcore's how-to posts them flat.
    form = VideoForm(json_body(request, VideoForm, envelope="video"))
    if not form.is_valid():
        return form_error(form)
    if form.cleaned_data.get("origin_url"):
        try:
            video = queue.submit(request.user, copy=form.cleaned_data).video
        except queue.QueueFull as full:
            return error(str(full))
    else:
        video = Video.objects.create(owner=request.user, **form.cleaned_data)
    return JsonResponse(video.to_dict(_base_url(request)))


@api_endpoint("GET", "PATCH", "DELETE")
def video_detail(request: HttpRequest, video_id: str) -> HttpResponse:
    video = _own_video(request, video_id)
    if video is None:
        return _not_found()
    if request.method == "DELETE":
        hosted_videos.delete_video(video)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        fields = json_body(request, VideoForm)
        current = {name: getattr(video, name) for name in VideoForm.base_fields if name != "origin_url"}
        form = VideoForm({**{k: v for k, v in current.items() if v is not None}, **fields})
        if not form.is_valid():
            return form_error(form)
        for name in current:
            setattr(video, name, form.cleaned_data[name])
        video.save()
    return JsonResponse(video.to_dict(_base_url(request)))


@api_endpoint("GET", allow_session=True)
def video_mp4(request: HttpRequest, video_id: str) -> HttpResponse:
    video = _own_video(request, video_id)
    if video is None or not video.has_file:
        return _not_found()
    return serve_file(request, video.file_path)


@api_endpoint("GET", "POST")
def subtitle_collection(request: HttpRequest, video_id: str) -> HttpResponse:
    video = _own_video(request, video_id)
    if video is None:
        return _not_found()
    if request.method == "GET":
        return JsonResponse([subtitle.to_dict() for subtitle in video.subtitles.all()], safe=False)
    body = json_body(request)
    if "auto_transcribe_audio_language" in body and "vtt" not in body:
        return _start_ai_subtitles(video, body)
    form = SubtitleForm(body)
    if not form.is_valid():
        return form_error(form)
    if not form.cleaned_data["language"] or not form.cleaned_data["vtt"]:
        return error("language and vtt are required (or auto_transcribe_audio_language for AI subtitles)")
    try:
        vtt = to_vtt(form.cleaned_data["vtt"])
    except InvalidSubtitles as problem:
        return error(f"vtt: {problem}")
    language = form.cleaned_data["language"]
    subtitle = Subtitle.objects.create(
        video=video, language=language, vtt=vtt, name=form.cleaned_data["name"] or _language_name(language)
    )
    return JsonResponse(subtitle.to_dict())


def _start_ai_subtitles(video: Video, body: dict[str, Any]) -> HttpResponse:
    form = AutoSubtitlesForm(body)
    if not form.is_valid():
        return form_error(form)
    if video.status != VideoStatus.READY:
        return error("the video has no stored file yet: AI subtitles start once it is ready")
    targets = video_targets(form.cleaned_data["auto_translate_subtitles_language"])
    try:
        tasks = hosted_videos.start_ai_subtitles(video, form.cleaned_data["auto_transcribe_audio_language"], targets)
    except queue.QueueFull as full:
        return error(str(full))
    return JsonResponse({"ai_task_ids": [str(task.pk) for task in tasks]})


def video_targets(value: str) -> list[str]:
    return Video(auto_translate_subtitles_language=value).translation_targets()


def _language_name(code: str) -> str:
    from .. import languages

    return languages.get(code).name


@api_endpoint("GET", "PATCH", "DELETE")
def subtitle_detail(request: HttpRequest, video_id: str, subtitle_id: str) -> HttpResponse:
    video_pk, subtitle_pk = _object_id(video_id), _object_id(subtitle_id)
    subtitle = Subtitle.objects.filter(pk=subtitle_pk, video_id=video_pk, video__owner=request.user).first()
    if subtitle is None:
        return _not_found()
    if request.method == "DELETE":
        subtitle.delete()
        return HttpResponse(status=204)
    if request.method == "PATCH":
        form = SubtitleForm(json_body(request))
        if not form.is_valid():
            return form_error(form)
        data = form.cleaned_data
        if data["vtt"]:
            try:
                subtitle.vtt = to_vtt(data["vtt"])
            except InvalidSubtitles as problem:
                return error(f"vtt: {problem}")
        subtitle.name = data["name"] or subtitle.name
        subtitle.language = data["language"] or subtitle.language
        subtitle.save()
    return JsonResponse(subtitle.to_dict())
