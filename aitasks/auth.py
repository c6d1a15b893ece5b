"""API authentication: `Authorization: APIKey <key>`, scheme in any letter case."""

from __future__ import annotations

from django.http import HttpRequest

from .models import ApiKey


def api_key_from(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "apikey" or not key.strip():
        # One Gcore docs page shows the key in a header named "APIKey"; accept that too.
        key = request.headers.get("APIKey", "")
    return key.strip() or None


def authenticate(request: HttpRequest) -> ApiKey | None:
    key = api_key_from(request)
    return ApiKey.authenticate(key) if key else None


def authenticate_bearer(request: HttpRequest) -> ApiKey | None:
    """For the OpenAI-compatible clients: `Authorization: Bearer <key>`, or the Gcore forms."""
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return ApiKey.authenticate(key.strip())
    return authenticate(request)
