"""The dashboard's webhooks settings: callback URLs, their signing secrets, recent deliveries.

A signing secret is shown in full once, in the response to the POST that made it (adding the
URL, or rotating its secret), as the API keys page does; afterwards only its last characters.
Unlike an API key it is stored as it is (the worker signs with it), but it never goes into the
session, a message or a cookie, and these responses are not cached.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .. import webhooks
from ..models import Delivery, Webhook
from ..models.webhooks import new_secret

MAX_WEBHOOKS = 10
RECENT_DELIVERIES = 50


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="Callback URL",
        max_length=2048,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/aitasks"}),
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        problem = webhooks.check_callback_url(url)
        if problem:
            raise forms.ValidationError(problem)
        return url


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def webhooks_page(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if Webhook.objects.filter(owner=request.user).count() >= MAX_WEBHOOKS:
            form.add_error(None, f"At most {MAX_WEBHOOKS} callback URLs.")
        else:
            hook = Webhook.objects.create(owner=request.user, url=form.cleaned_data["url"])
            return _page(request, WebhookForm(), shown=hook)
    return _page(request, form)


@never_cache
@login_required
@require_POST
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """A new signing secret for the URL: the old one no longer signs what is sent from now on."""
    hook = get_object_or_404(Webhook, pk=webhook_id, owner=request.user)
    hook.secret = new_secret()
    hook.save(update_fields=["secret"])
    return _page(request, WebhookForm(), shown=hook)


def _page(request: HttpRequest, form: WebhookForm, shown: Webhook | None = None) -> HttpResponse:
    """The page; `shown`: the webhook whose secret this response shows in full, once."""
    hooks = Webhook.objects.filter(owner=request.user)
    deliveries = Delivery.objects.filter(webhook__owner=request.user).select_related("webhook")[:RECENT_DELIVERIES]
    context = {"form": form, "webhooks": hooks, "deliveries": deliveries, "shown": shown}
    return render(request, "aitasks/webhooks.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    get_object_or_404(Webhook, pk=webhook_id, owner=request.user).delete()
    messages.success(request, "Callback URL deleted.")
    return redirect("webhooks")
