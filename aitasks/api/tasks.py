"""The Gcore-compatible JSON API (see ../shared/api-contract.md).

Routes have no trailing slash (the official SDK sends none). Deterministic errors are 400,
401 or 404 with `{"error": ...}`: never 408/409/429/5xx, which the SDK silently retries.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import queue
from ..http import api_endpoint, error, form_error, json_body
from ..models import Task
from ..models.tasks import TaskQuerySet
from ..moderation import backends as moderation
from ..pipeline import translate
from .forms import NOT_ENABLED, TaskCreateForm, TaskListForm


def _own_task(request: HttpRequest, task_id: str) -> Task | None:
    try:
        pk = uuid.UUID(task_id)
    except ValueError:
        return None
    return Task.objects.for_owner(request.user).filter(pk=pk).first()


def _create(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    form = TaskCreateForm(body)
    if not form.is_valid():
        if form.has_error("category", code=NOT_ENABLED):
            return error(form.errors["category"][0], status=422)
        return form_error(form)
    # The SDK retries a POST on timeouts and 5xx: with an Idempotency-Key, a retry gets the
    # task the first attempt created instead of a duplicate.
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255:
        return error("Idempotency-Key: at most 255 characters")
    if key and (earlier := Task.objects.filter(owner=request.user, idempotency_key=key).first()):
        return _replay(earlier, form.cleaned_data)
    try:
        (task,) = queue.submit(request.user, tasks=[{"idempotency_key": key, **form.cleaned_data}]).tasks
    except queue.QueueFull as full:
        return error(str(full))
    except IntegrityError:  # the same key, created by a concurrent retry a moment ago
        return _replay(Task.objects.get(owner=request.user, idempotency_key=key), form.cleaned_data)
    return JsonResponse({"task_id": str(task.id)})


def _replay(task: Task, request_data: dict[str, Any]) -> HttpResponse:
    sent = {field: value for field, value in request_data.items() if value}
    stored = {field: value for field, value in task.task_data().items() if field != "client_id"}
    if sent != stored:
        return error("Idempotency-Key was already used for a different request")
    return JsonResponse({"task_id": str(task.id)})


@api_endpoint("GET", "POST")
def tasks(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create(request, json_body(request))
    return _list(request)


@api_endpoint("POST")
def transcribe(request: HttpRequest) -> HttpResponse:
    """The older knowledge-base path: a transcription task without `task_name`."""
    body = json_body(request)
    body.setdefault("task_name", "transcription")
    return _create(request, body)


def filter_tasks(queryset: TaskQuerySet, form: TaskListForm) -> TaskQuerySet:
    data = form.cleaned_data
    queryset = queryset.matching(data.get("status") or "", data.get("task_name") or "", data.get("search") or "")
    if data.get("task_id"):
        queryset = queryset.filter(pk=data["task_id"])
    if data.get("date_created"):
        queryset = queryset.filter(created_at__date=data["date_created"])
    ordering = data["ordering"]
    field = {"task_id": "id", "started_at": "created_at"}.get(ordering.lstrip("-"), ordering.lstrip("-"))
    return queryset.sorted_by(field, descending=ordering.startswith("-"))


def _list(request: HttpRequest) -> HttpResponse:
    form = TaskListForm(request.GET)
    if not form.is_valid():
        return form_error(form)
    queryset = filter_tasks(Task.objects.for_owner(request.user), form)
    page = form.cleaned_data.get("page") or 1
    limit = form.limit_value
    count = queryset.count()
    offset = (page - 1) * limit
    results = [task.to_dict(with_result=False) for task in queryset[offset : offset + limit]]
    return JsonResponse(
        {
            "count": count,
            "next": f"page={page + 1}" if offset + limit < count else None,
            "previous": f"page={page - 1}" if page > 1 else None,
            "results": results,
        }
    )


@api_endpoint("GET")
def task_detail(request: HttpRequest, task_id: str) -> HttpResponse:
    task = _own_task(request, task_id)
    if task is None:
        return error("not found", status=404)
    return JsonResponse(task.to_dict())


@api_endpoint("POST")
def cancel(request: HttpRequest, task_id: str) -> HttpResponse:
    task = _own_task(request, task_id)
    if task is None:
        return error("not found", status=404)
    if task.is_final or not task.revoke():
        return error("task already finished")
    return JsonResponse({"result": "task revoked"})


@api_endpoint("GET")
def info(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("type", "language_support")
    if kind == "content_moderation":
        return _moderation_info(request)
    if kind != "language_support":
        return error("type must be 'language_support' or 'content_moderation'")
    audio_language = request.GET.get("audio_language") or None
    subtitles_language = request.GET.get("subtitles_language") or None
    return JsonResponse({"supported": translate.is_supported(audio_language, subtitles_language)})


def _moderation_info(request: HttpRequest) -> HttpResponse:
    """`?type=content_moderation`: the categories this installation scores;
    `&category=X`: `{"supported": bool}` for one of them."""
    supported = moderation.supported_categories()
    category = request.GET.get("category")
    if category is None:
        return JsonResponse({"supported": bool(supported), "categories": supported})
    if category not in moderation.CATEGORIES:
        return error(f"category must be one of {', '.join(moderation.CATEGORIES)}")
    return JsonResponse({"supported": category in supported})
