"""The dashboard's API keys page: a logged-in user creates and revokes their own keys.

A new key is shown once, in the response to the POST that made it: only its SHA-256 is
stored, and the key never goes into the session, a message or a cookie. The response is not
cached.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, required=False, help_text="What uses it, e.g. “CMS import” (optional)."
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_keys_page(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _api_key, new_key = ApiKey.issue(request.user, name=form.cleaned_data["name"])
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    status = 400 if form.errors else 200
    return render(request, "aitasks/api_keys.html", {"form": form, "keys": keys, "new_key": new_key}, status=status)


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey, pk=key_id, user=request.user)
    if api_key.revoked_at is None:
        api_key.revoke()
        messages.success(request, f"Key {api_key.prefix}… revoked: it no longer works.")
    return redirect("api-keys")
