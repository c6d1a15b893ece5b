"""Error pages for any URL (portal.urls' handler400, handler404, handler500): JSON where API
clients call, which the API's own routes say (api/urls.py), Django's pages elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from .api.urls import API_PREFIXES
from .http import error


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 for any URL: JSON for API clients, Django's page elsewhere."""
    if is_api_path(request.path):
        return error("not found", status=404)
    return defaults.page_not_found(request, exception or Exception("not found"))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 raised outside a view (a bad Host header, a malformed multipart body)."""
    if is_api_path(request.path):
        return error("bad request")
    return defaults.bad_request(request, exception or Exception("bad request"))


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error("internal error", status=500)
    return defaults.server_error(request)
