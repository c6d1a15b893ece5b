"""The Gcore-compatible JSON API (see ../shared/api-contract.md).

Routes have no trailing slash (the official SDK sends none). Deterministic errors are 400,
401 or 404 with `{"error": ...}`: never 408/409/429/5xx, which the SDK silently retries.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .. import work
from ..auth import authenticate
from ..engines import moderation
from ..models import Task
from ..pipeline import translate
from .forms import NOT_ENABLED, TaskCreateForm, TaskListForm

View = Callable[..., HttpResponse]


def error(message: str, status: int = 400, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def form_error(form: Any) -> JsonResponse:
    errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
    field, messages = next(iter(errors.items()))
    return error(f"{field}: {messages[0]}", errors=errors)


class BadRequest(Exception):
    pass


def api_endpoint(*methods: str, allow_session: bool = False) -> Callable[[View], View]:
    """Method check, API key authentication and JSON errors for every API view.

    `allow_session`: a logged-in dashboard user may call it too (media files that a browser's
    <video> element fetches, with no way to send an API key).
    """

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error(f"method {request.method} not allowed", status=405)
                response["Allow"] = ", ".join(methods)
                return response
            api_key = authenticate(request)
            if api_key is not None:
                request.user = api_key.user
            elif not (allow_session and request.user.is_authenticated):
                response = error("invalid or missing API key", status=401)
                response["WWW-Authenticate"] = "APIKey"
                return response
            try:
                return view(request, *args, **kwargs)
            except BadRequest as problem:
                return error(str(problem))

        return wrapper

    return decorator


def json_body(request: HttpRequest, strings_only: bool = True) -> dict[str, Any]:
    """The request's JSON object, with null values dropped; BadRequest says what is wrong."""
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise BadRequest("Content-Type must be application/json")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("malformed JSON body") from None
    except RecursionError:  # thousands of nested arrays: the decoder runs out of stack
        raise BadRequest("malformed JSON body: nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object")
    for key, value in body.items():
        if strings_only and value is not None and not isinstance(value, str):
            raise BadRequest(f"{key}: must be a string")
    return {key: value for key, value in body.items() if value is not None}


def _own_task(request: HttpRequest, task_id: str) -> Task | None:
    try:
        pk = uuid.UUID(task_id)
    except ValueError:
        return None
    return Task.objects.filter(pk=pk, owner=request.user).first()


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
        (task,) = work.submit(request.user, tasks=[{"idempotency_key": key, **form.cleaned_data}]).tasks
    except work.QueueFull as full:
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


def filter_tasks(queryset: QuerySet[Task], form: TaskListForm) -> QuerySet[Task]:
    data = form.cleaned_data
    if data.get("status"):
        queryset = queryset.filter(status=data["status"])
    if data.get("task_name"):
        queryset = queryset.filter(task_name=data["task_name"])
    if data.get("task_id"):
        queryset = queryset.filter(pk=data["task_id"])
    if data.get("date_created"):
        queryset = queryset.filter(created_at__date=data["date_created"])
    if data.get("search"):
        queryset = queryset.filter(search_query(data["search"]))
    ordering = data["ordering"]
    field = {"task_id": "id", "started_at": "created_at"}.get(ordering.lstrip("-"), ordering.lstrip("-"))
    prefix = "-" if ordering.startswith("-") else ""
    return queryset.order_by(prefix + field, "-created_at" if field != "created_at" else "-id")


def search_query(term: str) -> Q:
    term = term.strip()
    query = (
        Q(url__icontains=term)
        | Q(text__icontains=term)
        | Q(task_name__icontains=term)
        | Q(category__iexact=term)  # Gcore's own example: ?search=nsfw
        | Q(status__iexact=term)
        | Q(client_user_id__icontains=term)
        | Q(client_entity_data__icontains=term)
    )
    try:
        query |= Q(pk=uuid.UUID(term))
    except ValueError:
        compact = term.replace("-", "").lower()
        if compact and all(char in "0123456789abcdef" for char in compact):
            query |= Q(id__icontains=compact)
    return query


def _list(request: HttpRequest) -> HttpResponse:
    form = TaskListForm(request.GET)
    if not form.is_valid():
        return form_error(form)
    queryset = filter_tasks(Task.objects.filter(owner=request.user), form)
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


# Where API clients call: error pages there are JSON.
API_PREFIXES = ("/streaming/", "/v1/", "/asr", "/detect-language")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for any URL: JSON for API clients, Django's page elsewhere."""
    if is_api_path(request.path):
        return error("not found", status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Exception("not found"))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 raised outside a view (a bad Host header, a malformed multipart body)."""
    if is_api_path(request.path):
        return error("bad request")
    from django.views.defaults import bad_request as page_bad_request

    return page_bad_request(request, exception or Exception("bad request"))


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error("internal error", status=500)
    from django.views.defaults import server_error as page_server_error

    return page_server_error(request)
