"""The dashboard: the Customer Portal's "AI tasks" page, and the videos pages.

Every page works without JavaScript; with htmx, the table refreshes itself while tasks run,
the Generate form answers in place and task details open in a dialog.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import DurationField, ExpressionWrapper, F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from . import uploads, videos, work
from .api import search_query
from .cues import InvalidSubtitles, full_text, render_srt, render_vtt, to_vtt
from .dashboard_forms import (
    EXAMPLE_URL,
    SORTS,
    GenerateTaskForm,
    SubtitleUploadForm,
    TaskFilterForm,
    VideoAiSubtitlesForm,
    VideoUploadForm,
)
from .models import UNFINISHED_STATUSES, FlaggedFrame, Status, Subtitle, Task, TaskName, Video, VideoStatus
from .pipeline import media
from .pipeline.errors import PipelineError

PAGE_SIZE = 20


# --- AI tasks ------------------------------------------------------------------------------


def _filtered_tasks(request: HttpRequest, form: TaskFilterForm) -> QuerySet[Task]:
    tasks = (
        Task.objects.filter(owner=request.user)
        .select_related("video")
        .annotate(duration=ExpressionWrapper(F("completed_at") - F("started_at"), output_field=DurationField()))
    )
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("q"):
        tasks = tasks.filter(search_query(data["q"]))
    if data.get("status"):
        tasks = tasks.filter(status=data["status"])
    if data.get("task_name"):
        tasks = tasks.filter(task_name=data["task_name"])
    sort = data.get("sort") or "-created"
    field = SORTS[sort.lstrip("-")]
    ordering = F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
    return tasks.order_by(ordering, "-created_at")


def _table_context(request: HttpRequest) -> dict[str, Any]:
    form = TaskFilterForm(request.GET)
    page = Paginator(_filtered_tasks(request, form), PAGE_SIZE).get_page(request.GET.get("page"))
    query = {key: value for key, value in request.GET.items() if key in ("q", "status", "task_name", "sort") and value}
    sort = (form.cleaned_data.get("sort") if form.is_valid() else None) or "-created"
    return {
        "filter_form": form,
        "page": page,
        "tasks": list(page.object_list),
        "polling": any(task.status in UNFINISHED_STATUSES for task in page.object_list),
        "sort": sort,
        "query": urlencode(query),
        "query_without_sort": urlencode({k: v for k, v in query.items() if k != "sort"}),
        "page_query": urlencode({**query, "page": page.number}),
        "columns": [
            ("id", "ID"),
            ("url", "Video"),
            ("type", "Task type"),
            ("language", "Languages"),
            ("status", "Status"),
            ("progress", "Progress"),
            ("created", "Created"),
            ("time", "Contributed time"),
        ],
    }


@login_required
@require_GET
def tasks_page(request: HttpRequest) -> HttpResponse:
    context = _table_context(request)
    if request.htmx and request.htmx.target == "tasks-table":
        response = render(request, "aitasks/_tasks_table.html", context)
        if request.htmx.trigger == "tasks-table" and not context["polling"]:
            # Everything visible has finished: the last refresh, then htmx stops asking.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    initial = {"url": EXAMPLE_URL} if request.GET.get("example") else None
    context["form"] = GenerateTaskForm(owner=request.user, initial=initial)
    context["example_url"] = EXAMPLE_URL
    return render(request, "aitasks/tasks.html", context)


@login_required
@require_POST
def create_task(request: HttpRequest) -> HttpResponse:
    form = GenerateTaskForm(request.POST, owner=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        video = data.pop("video")
        try:
            if video is not None and data["task_name"] == TaskName.CONTENT_MODERATION:
                videos.start_moderation(video, data["category"])
            elif video is not None:
                videos.start_ai_subtitles(
                    video,
                    data["audio_language"] or "auto",
                    [data["subtitles_language"]] if data["subtitles_language"] else [],
                )
            else:
                work.submit(request.user, tasks=[data])
        except work.QueueFull as full:
            form.add_error(None, f"{full}.")
    if form.is_valid():
        if not request.htmx:
            messages.success(request, "Task created: it appears in the table below.")
            return redirect("tasks")
        form = GenerateTaskForm(owner=request.user)
        context = {**_table_context(request), "form": form, "example_url": EXAMPLE_URL, "created": True}
        return render(request, "aitasks/_generate_response.html", context)
    status = 200 if request.htmx else 400
    if request.htmx:
        return render(request, "aitasks/_generate_form.html", {"form": form, "example_url": EXAMPLE_URL}, status=status)
    context = {**_table_context(request), "form": form, "example_url": EXAMPLE_URL}
    return render(request, "aitasks/tasks.html", context, status=status)


def _own_task(request: HttpRequest, task_id: uuid.UUID) -> Task:
    return get_object_or_404(Task, pk=task_id, owner=request.user)


LIVE_PART = "task-live"  # the part of the task details that refreshes itself while the task runs


@login_required
@require_GET
def task_detail(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    task = _own_task(request, task_id)
    if request.htmx and request.htmx.target == LIVE_PART:
        response = render(request, "aitasks/_task_live.html", _task_context(task))
        if task.is_final:
            # The finished task's last refresh (result, player, downloads); htmx stops asking.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return _render_task(request, task)


def _render_task(request: HttpRequest, task: Task) -> HttpResponse:
    template = "aitasks/_task_dialog.html" if request.htmx else "aitasks/task_detail.html"
    return render(request, template, _task_context(task))


def _task_context(task: Task) -> dict[str, Any]:
    response_json = task.to_dict()
    return {
        "task": task,
        "cues": task.cues(),
        "request_json": json.dumps(task.task_data(), indent=2, ensure_ascii=False),
        "response_json": json.dumps(response_json, indent=2, ensure_ascii=False),
        "video_src": _playable_source(task),
        "language_detection": (task.result or {}).get("language_detection", []),
        "flagged_frames": task.flagged_frames.defer("jpeg") if task.task_name == TaskName.CONTENT_MODERATION else [],
    }


def _playable_source(task: Task) -> str | None:
    """Where the player finds the video: our stored file, or the origin URL of an MP4."""
    if task.status != Status.SUCCESS:
        return None
    if task.video_id is not None:
        return reverse("api-video-mp4", args=[task.video_id]) if task.video and task.video.has_file else None
    if task.upload:
        return None  # a file sent to the OpenAI or ASR API, deleted once transcribed
    path = task.url.split("?", 1)[0].lower()
    return task.url if path.endswith((".mp4", ".m4v", ".webm", ".mov")) else None


@login_required
@require_GET
def flagged_frame(request: HttpRequest, task_id: uuid.UUID, frame_number: int) -> HttpResponse:
    """The JPEG of a frame a content-moderation task flagged, to the task's owner only."""
    frame = get_object_or_404(FlaggedFrame, task_id=task_id, task__owner=request.user, frame_number=frame_number)
    response = HttpResponse(bytes(frame.jpeg), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


DOWNLOADS = {
    "vtt": ("text/vtt; charset=utf-8", render_vtt),
    "srt": ("application/x-subrip; charset=utf-8", render_srt),
    "txt": ("text/plain; charset=utf-8", lambda cues: full_text(cues) + "\n"),
}


@login_required
@require_GET
def task_download(request: HttpRequest, task_id: uuid.UUID, kind: str) -> HttpResponse:
    task = _own_task(request, task_id)
    if kind not in DOWNLOADS or task.status != Status.SUCCESS:
        raise Http404("no such download")
    content_type, render_file = DOWNLOADS[kind]
    response = HttpResponse(render_file(task.cues()), content_type=content_type)
    if "inline" not in request.GET:  # the player's <track> reads it inline
        response["Content-Disposition"] = f'attachment; filename="{_file_stem(task)}.{kind}"'
    return response


def _file_stem(task: Task) -> str:
    name = (
        Path(task.url.split("?", 1)[0]).stem if task.video_id is None else (task.video.name if task.video else "video")
    )
    language = task.subtitles_language or ((task.result or {}).get("languages") or ["und"])[0]
    return f"{slugify(name)[:60] or 'subtitles'}.{language}"


@login_required
@require_http_methods(["GET", "POST"])
def task_cancel(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """GET asks "Cancel this task?" (in the dialog, or as a page without JavaScript); POST cancels."""
    task = _own_task(request, task_id)
    if request.method == "GET":
        if task.is_final:
            return redirect("task-detail", task_id=task.pk)
        template = "aitasks/_task_cancel.html" if request.htmx else "aitasks/task_cancel.html"
        return render(request, template, {"task": task})
    cancelled = task.revoke()
    task.refresh_from_db()
    if request.htmx:  # the dialog shows the new status in place
        return _render_task(request, task)
    if cancelled:
        messages.success(request, "Task cancelled.")
    else:
        messages.error(request, "The task had already finished.")
    return redirect("task-detail", task_id=task.pk)


# --- videos --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def videos_page(request: HttpRequest) -> HttpResponse:
    form = VideoUploadForm()
    if request.method == "POST":
        form = VideoUploadForm(request.POST, request.FILES, refused=uploads.refusal(request))
        if form.is_valid():
            video = _add_video(request, form)
            if video is not None:
                messages.success(request, f"“{video.name}” added.")
                return redirect("video-detail", video_id=video.pk)
    user_videos = Video.objects.filter(owner=request.user)
    polling = user_videos.filter(status__in=[VideoStatus.PENDING]).exists()
    context = {"form": form, "videos": user_videos, "polling": polling}
    if request.htmx and request.htmx.target == "videos-table":
        response = render(request, "aitasks/_videos_table.html", context)
        if not polling:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "aitasks/videos.html", context, status=400 if form.errors else 200)


def _add_video(request: HttpRequest, form: VideoUploadForm) -> Video | None:
    data = form.cleaned_data
    upload = data.get("file")
    name = data.get("name") or (Path(upload.name).stem if upload else Path(data["origin_url"].split("?")[0]).stem)
    fields = {
        "name": name[:255] or "Untitled video",
        "auto_transcribe_audio_language": data.get("auto_transcribe_audio_language") or "disable",
        "auto_translate_subtitles_language": ",".join(data.get("auto_translate_subtitles_language") or []) or "disable",
    }
    if upload is None:
        from .forms_videos import VideoForm

        api_form = VideoForm({**fields, "origin_url": data["origin_url"]})
        if not api_form.is_valid():
            for field, errors in api_form.errors.items():
                form.add_error("origin_url" if field == "origin_url" else None, errors)
            return None
        try:
            return work.submit(request.user, copy=api_form.cleaned_data).video
        except work.QueueFull as full:
            form.add_error(None, f"{full}.")
            return None
    if upload.size > settings.AITASKS_MAX_UPLOAD_MB * 1024 * 1024:
        form.add_error("file", f"The file is larger than {settings.AITASKS_MAX_UPLOAD_MB} MB.")
        return None
    # Django streamed the upload to a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE): move it on.
    scratch = Path(tempfile.mkdtemp(dir=_scratch_dir())) / "upload"
    try:
        with scratch.open("wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        try:
            # A file that is not a video is refused before anything is kept.
            media.probe(scratch, settings.AITASKS_MAX_DURATION_S)
        except PipelineError as error:
            form.add_error("file", f"This file cannot be used: {error}. Choose a video file (MP4, WebM, MOV…).")
            return None
        video = Video.objects.create(owner=request.user, **fields)
        videos.store_file(video, scratch)
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)
    video.refresh_from_db()
    if video.status == VideoStatus.ERROR:
        messages.error(request, f"The file was not accepted: {video.error}.")
    elif video.error:  # stored, but its auto-transcription did not fit in the queue
        messages.error(request, f"The video was stored; {video.error}.")
    return video


def _scratch_dir() -> Path:
    directory = settings.AITASKS_DATA_DIR / "work"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _own_video(request: HttpRequest, video_id: int) -> Video:
    return get_object_or_404(Video, pk=video_id, owner=request.user)


@login_required
@require_GET
def video_detail(request: HttpRequest, video_id: int) -> HttpResponse:
    video = _own_video(request, video_id)
    tasks = video.ai_tasks.all()
    context = {
        "video": video,
        "subtitles": video.subtitles.all(),
        "tasks": tasks,
        "subtitle_form": SubtitleUploadForm(),
        "ai_form": VideoAiSubtitlesForm(auto_id="gen_%s"),
        "polling": video.status == VideoStatus.PENDING or any(t.status in UNFINISHED_STATUSES for t in tasks),
    }
    return render(request, "aitasks/video_detail.html", context)


@login_required
@require_POST
def video_subtitles(request: HttpRequest, video_id: int) -> HttpResponse:
    """Upload a subtitle file, or start AI subtitles, for a video."""
    video = _own_video(request, video_id)
    if "generate" in request.POST:
        ai_form = VideoAiSubtitlesForm(request.POST)
        if video.status != VideoStatus.READY:
            messages.error(request, "AI subtitles start once the video is ready.")
        elif not ai_form.is_valid():
            messages.error(request, f"AI subtitles were not started: {ai_form.first_error()}")
        else:
            audio = ai_form.cleaned_data["audio_language"] or "auto"
            target = ai_form.cleaned_data["subtitles_language"]
            try:
                videos.start_ai_subtitles(video, audio, [target] if target else [])
            except work.QueueFull as full:
                messages.error(request, f"{full}.")
            else:
                messages.success(request, "AI subtitles started: they appear here when the task succeeds.")
        return redirect("video-detail", video_id=video.pk)
    form = SubtitleUploadForm(request.POST, request.FILES)
    if refused := uploads.refusal(request):
        messages.error(request, f"The subtitles were not accepted: {refused}")
    elif form.is_valid():
        try:
            vtt = to_vtt(form.cleaned_data["file"].read(6 * 1024 * 1024).decode("utf-8-sig", errors="replace"))
        except InvalidSubtitles as problem:
            messages.error(request, f"The subtitles were not accepted: {problem}.")
        else:
            language = form.cleaned_data["language"]
            from . import languages

            Subtitle.objects.create(
                video=video, language=language, vtt=vtt, name=form.cleaned_data["name"] or languages.get(language).name
            )
            messages.success(request, "Subtitles added.")
    else:
        messages.error(request, "Choose a language and a WebVTT or SRT file.")
    return redirect("video-detail", video_id=video.pk)


@login_required
@require_GET
def subtitle_file(request: HttpRequest, video_id: int, subtitle_id: int) -> HttpResponse:
    subtitle = get_object_or_404(Subtitle, pk=subtitle_id, video_id=video_id, video__owner=request.user)
    response = HttpResponse(subtitle.vtt, content_type="text/vtt; charset=utf-8")
    if "inline" not in request.GET:
        name = f"{slugify(subtitle.video.name)[:60] or 'video'}.{subtitle.language}.vtt"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def subtitle_delete(request: HttpRequest, video_id: int, subtitle_id: int) -> HttpResponse:
    subtitle = get_object_or_404(Subtitle, pk=subtitle_id, video_id=video_id, video__owner=request.user)
    subtitle.delete()
    messages.success(request, "Subtitles deleted.")
    return redirect("video-detail", video_id=video_id)


@login_required
@require_POST
def video_delete(request: HttpRequest, video_id: int) -> HttpResponse:
    video = _own_video(request, video_id)
    videos.delete_video(video)
    messages.success(request, "Video deleted.")
    return redirect("videos")
