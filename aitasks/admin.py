from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .models import ApiKey, Delivery, Subtitle, Task, Video, Webhook


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "status", "progress", "audio_language", "subtitles_language", "created_at")
    list_filter = ("status", "audio_language", "subtitles_language", "created_at")
    search_fields = ("id", "url", "owner__username", "client_user_id", "text")
    date_hierarchy = "created_at"
    readonly_fields = (
        "id", "owner", "task_name", "url", "audio_language", "subtitles_language", "client_user_id",
        "client_entity_data", "chinese_script", "progress", "stage", "attempts", "error", "result", "text",
        "created_at", "started_at", "completed_at",
    )  # fmt: skip
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tasks are created through the API or the dashboard, which queue them

    @admin.action(description="Cancel the selected unfinished tasks")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        revoked = sum(task.revoke() for task in queryset)
        self.message_user(request, f"{revoked} task(s) cancelled.")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    autocomplete_fields = ("user",)

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, key = ApiKey.issue(obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash = api_key.pk, api_key.prefix, api_key.key_hash
        obj.new_key = key  # for response_add, on this request only

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> HttpResponse:
        """The new key, shown once in the answer to the add form itself: never in a message,
        which Django keeps in a cookie (signed, not encrypted) until the next page."""
        key = getattr(obj, "new_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "New API key",
            "opts": self.opts,
            "api_key": obj,
            "key": key,
        }
        return TemplateResponse(request, "admin/aitasks/apikey/created.html", context)  # never cached: admin


class SubtitleInline(admin.TabularInline):
    model = Subtitle
    fields = ("name", "language", "task", "created_at")
    readonly_fields = ("task", "created_at")
    extra = 0


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "status", "duration_ms", "origin_size", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("name", "owner__username", "origin_url")
    readonly_fields = ("status", "error", "origin_size", "duration_ms", "width", "height", "created_at", "updated_at")
    inlines = [SubtitleInline]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "owner__username")
    # Shown in full once, on the owner's Webhooks page (where "New secret" makes another).
    readonly_fields = ("masked_secret",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "webhook", "task", "state", "attempts", "last_status_code", "created_at", "delivered_at")
    list_filter = ("state",)
    search_fields = ("id", "webhook__url", "task__id")
    readonly_fields = (
        "id", "webhook", "task", "event", "payload", "state", "attempts", "next_attempt_at", "claimed_until",
        "last_status_code", "last_error", "created_at", "delivered_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # deliveries are made when tasks end
