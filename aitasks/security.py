"""Web security plumbing: the Content-Security-Policy header and the client's address.

Django 5.2 has no Content-Security-Policy of its own (6.0 has); one fixed policy needs no
nonces, since no page has inline scripts or styles.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt came from, for login throttling.

    Behind a TLS proxy every request comes from the proxy: the client is the last address in
    X-Forwarded-For, the one the proxy appended (the ones before it are the client's to make up).
    """
    if settings.BEHIND_TLS_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
