"""The dashboard's webhooks settings: callback URLs, their signing secrets, recent deliveries."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .. import webhooks
from ..models import Delivery, Webhook

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


@login_required
@require_http_methods(["GET", "POST"])
def webhooks_page(request: HttpRequest) -> HttpResponse:
    form = WebhookForm()
    hooks = Webhook.objects.filter(owner=request.user)
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid() and hooks.count() >= MAX_WEBHOOKS:
            form.add_error(None, f"At most {MAX_WEBHOOKS} callback URLs.")
        if form.is_valid():
            Webhook.objects.create(owner=request.user, url=form.cleaned_data["url"])
            messages.success(request, "Callback URL added: finished tasks are posted to it.")
            return redirect("webhooks")
    deliveries = Delivery.objects.filter(webhook__owner=request.user).select_related("webhook")[:RECENT_DELIVERIES]
    context = {"form": form, "webhooks": hooks, "deliveries": deliveries}
    return render(request, "aitasks/webhooks.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    get_object_or_404(Webhook, pk=webhook_id, owner=request.user).delete()
    messages.success(request, "Callback URL deleted.")
    return redirect("webhooks")
