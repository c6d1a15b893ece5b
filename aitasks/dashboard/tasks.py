"""The dashboard's "AI tasks" pages, as in Gcore's Customer Portal.

Every page works without JavaScript; with htmx, the table refreshes itself while tasks run,
the Generate form answers in place and task details open in a dialog.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import DurationField, ExpressionWrapper, F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from .. import hosted_videos, queue
from ..cues import full_text, render_srt, render_vtt
from ..models import UNFINISHED_STATUSES, FlaggedFrame, Status, Task, TaskName
from ..models.tasks import TaskQuerySet
from .forms import (
    EXAMPLE_URL,
    SORTS,
    GenerateTaskForm,
    TaskFilterForm,
)


def _filtered_tasks(request: HttpRequest, form: TaskFilterForm) -> TaskQuerySet:
    tasks = (
        Task.objects.for_owner(request.user)
        .select_related("video")
        .annotate(duration=ExpressionWrapper(F("completed_at") - F("started_at"), output_field=DurationField()))
    )
    data = form.cleaned_data if form.is_valid() else {}
    tasks = tasks.matching(data.get("status") or "", data.get("task_name") or "", data.get("q") or "")
    sort = data.get("sort") or "-created"
    return tasks.sorted_by(SORTS[sort.lstrip("-")], descending=sort.startswith("-"))


def _table_context(request: HttpRequest) -> dict[str, Any]:
    form = TaskFilterForm(request.GET)
    page = Paginator(_filtered_tasks(request, form), settings.AITASKS_DASHBOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
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
                hosted_videos.start_moderation(video, data["category"])
            elif video is not None:
                hosted_videos.start_ai_subtitles(
                    video,
                    data["audio_language"] or "auto",
                    [data["subtitles_language"]] if data["subtitles_language"] else [],
                    chinese_script=data["chinese_script"],
                )
            else:
                queue.submit(request.user, tasks=[data])
        except queue.QueueFull as full:
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
    return get_object_or_404(Task.objects.for_owner(request.user), pk=task_id)


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
    transcription = task.transcription()
    return {
        "task": task,
        "cues": list(transcription.subtitles) if transcription is not None else [],
        "request_json": json.dumps(task.task_data(), indent=2, ensure_ascii=False),
        "response_json": json.dumps(response_json, indent=2, ensure_ascii=False),
        "video_src": _playable_source(task),
        "language_detection": transcription.language_detection if transcription is not None else (),
        "moderation": task.moderation(),
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
    transcription = task.transcription(with_text=False)
    spoken = transcription.languages if transcription is not None else ()
    language = task.subtitles_language or (spoken[0] if spoken else "und")
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
