"""Web plumbing shared by every audience: API authentication, the JSON answer to a bad
request, the `api_endpoint` decorator, and serving stored media with range requests (the error
pages are in aitasks.error_pages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse, UnreadablePostError
from django.views.decorators.csrf import csrf_exempt

from .models import ApiKey

View = Callable[..., HttpResponse]

# --- authentication -------------------------------------------------------------------------


def api_key_from(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "apikey" or not key.strip():
        # One Gcore docs page shows the key in a header named "APIKey"; accept that too.
        key = request.headers.get("APIKey", "")
    return key.strip() or None


def carries_a_key(request: HttpRequest) -> bool:
    """Whether the request says who it is, in any header a key may come in: then the key
    alone decides, and a wrong one is refused, never taken for a keyless request."""
    return any(request.headers.get(name, "").strip() for name in ("Authorization", "APIKey"))


def authenticate(request: HttpRequest) -> ApiKey | None:
    key = api_key_from(request)
    return ApiKey.authenticate(key) if key else None


def authenticate_bearer(request: HttpRequest) -> ApiKey | None:
    """For the OpenAI-compatible clients: `Authorization: Bearer <key>`, or the Gcore forms."""
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return ApiKey.authenticate(key.strip())
    return authenticate(request)


# --- errors and JSON input ------------------------------------------------------------------


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


Answer = Callable[[str, int], JsonResponse]


def api_key_account(request: HttpRequest) -> Any | None:
    """The account of the request's API key (`Authorization: APIKey <key>`), or None."""
    api_key = authenticate(request)
    return api_key.user if api_key is not None else None


def api_endpoint(
    *methods: str,
    allow_session: bool = False,
    account: Callable[[HttpRequest], Any | None] = api_key_account,
    answer: Answer = lambda message, status: error(message, status=status),
    challenge: str | None = "APIKey",
) -> Callable[[View], View]:
    """Method check, authentication and errors for every API view, before its body is read.

    `account`: who the request runs as (None: 401); `answer`: the error shape of that API
    (Gcore's `{"error": …}` unless told); `challenge`: the WWW-Authenticate scheme of a 401.
    `allow_session`: a logged-in dashboard user may call it too (media files that a browser's
    <video> element fetches, with no way to send an API key).
    """

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = answer(f"method {request.method} not allowed", 405)
                response["Allow"] = ", ".join(methods)
                return _before_the_body(request, response)
            user = account(request)
            if user is not None:
                # Set before anything reads the body: the upload handler's limit is this account's.
                request.user = user
            elif not (allow_session and request.user.is_authenticated):
                response = answer("invalid or missing API key", 401)
                if challenge:
                    response["WWW-Authenticate"] = challenge
                return _before_the_body(request, response)
            try:
                return view(request, *args, **kwargs)
            except BadRequest as problem:
                return answer(str(problem), 400)
            except UnreadablePostError:
                # The client went away, or sent its body too slowly (aitasks.web_worker).
                return answer("the request body did not arrive in time", 408)

        return wrapper

    return decorator


# The WSGI environ key by which a view asks that the connection close after its answer.
CLOSE_CONNECTION = "aitasks.close_connection"


def _before_the_body(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An answer given without reading the request's body (a refusal must not wait for an
    upload). The server has to skip what is left of it to read the next request on the
    connection; gunicorn gives up past 64 KB and closes it, after saying keep-alive, and the
    client's next request dies. So the connection closes, and the answer says so."""
    try:
        has_body = int(request.META.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        has_body = True
    if has_body or request.META.get("HTTP_TRANSFER_ENCODING"):
        request.META[CLOSE_CONNECTION] = True
    return response


def close_connections_when_asked(application: Callable[..., Any]) -> Callable[..., Any]:
    """The WSGI application (portal.wsgi), closing the connection after an answer whose view
    asked for it (CLOSE_CONNECTION). An application may not send a Connection header itself:
    gunicorn drops it, wsgiref refuses it. gunicorn's start_response belongs to its response,
    which can be told to close (and then says `Connection: close`); elsewhere nothing is done
    (Django's development server reads the rest of the body itself)."""

    def closing(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
            if environ.get(CLOSE_CONNECTION) and callable(force_close):
                force_close()
            return start_response(status, headers, exc_info)

        return application(environ, start)

    return closing


def json_body(request: HttpRequest, form: type[forms.Form] | None = None, envelope: str = "") -> dict[str, Any]:
    """The request's JSON object, null values dropped; BadRequest says what is wrong.

    Without `form`, every value must be a string. With it, the body is that form's input: the
    fields the form does not know are dropped (the SDK sends many Gcore fields that do not
    apply here) and each other value must be of the JSON type its field takes (a number for an
    IntegerField, a string otherwise). `envelope`: the fields may come wrapped in an object
    under that name (the SDK's `{"video": {...}}`).
    """
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
    if envelope and body.get(envelope) is not None:
        body = body[envelope]
        if not isinstance(body, dict):
            raise BadRequest(f"{envelope}: must be an object")
    fields = {key: value for key, value in body.items() if value is not None}
    if form is None:
        for key, value in fields.items():
            if not isinstance(value, str):
                raise BadRequest(f"{key}: must be a string")
        return fields
    known = {key: value for key, value in fields.items() if key in form.base_fields}
    for key, value in known.items():
        if isinstance(form.base_fields[key], forms.IntegerField):
            if not isinstance(value, int) or isinstance(value, bool):
                raise BadRequest(f"{key}: must be an integer")
        elif not isinstance(value, str):
            raise BadRequest(f"{key}: must be a string")
    return known


# --- media with range requests ---------------------------------------------------------------

CHUNK = 256 * 1024
# At most 18 digits: any file offset fits, and int() never meets a number of thousands of digits.
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


def serve_file(request: HttpRequest, path: Path, content_type: str = "video/mp4") -> HttpResponse:
    """Serve stored media with HTTP range requests (players seek; nothing sits in memory)."""
    size = path.stat().st_size
    start, end = 0, size - 1
    status = 200
    header = request.headers.get("Range", "").strip()
    if header:
        match = _RANGE.match(header)
        if not match or (not match[1] and not match[2]):
            return _unsatisfiable(size)
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # the last N bytes
            start = max(0, size - int(match[2]))
        if start >= size or start > end:
            return _unsatisfiable(size)
        status = 206
    response = StreamingHttpResponse(_read(path, start, end), status=status, content_type=content_type)
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


def _read(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as file:
        file.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = file.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
