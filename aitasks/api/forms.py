from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings

from .. import languages
from ..engines import moderation as moderation_engines
from ..models import Status, TaskName
from ..pipeline.fetch import FetchPolicy, UnsafeUrl, check_url
from ..pipeline.moderation import InvalidStopObjects, format_stop_objects, parse_stop_objects

CATEGORIES = moderation_engines.CATEGORIES
NOT_ENABLED = "not_enabled"


class LanguageField(forms.CharField):
    """An ISO-639-2 code, B or T, cleaned to the B code."""

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        try:
            return languages.normalize(value)
        except languages.UnknownLanguage as error:
            raise forms.ValidationError(str(error)) from None


class TaskCreateForm(forms.Form):
    task_name = forms.CharField(max_length=64)
    url = forms.CharField(max_length=2048, strip=True)
    audio_language = LanguageField(required=False)
    subtitles_language = LanguageField(required=False)
    category = forms.CharField(max_length=32, required=False)
    stop_objects = forms.CharField(max_length=1024, required=False)
    client_user_id = forms.CharField(max_length=256, required=False)
    client_entity_data = forms.CharField(max_length=4096, required=False, strip=False)

    def clean_task_name(self) -> str:
        task_name = self.cleaned_data["task_name"]
        if task_name not in TaskName.values:
            raise forms.ValidationError("task_name must be 'transcription' or 'content-moderation'")
        return task_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("task_name") == TaskName.CONTENT_MODERATION:
            self._clean_moderation(data)
        elif data.get("task_name"):
            for name in ("category", "stop_objects"):
                if data.get(name):
                    self.add_error(name, f"{name} is only for content-moderation tasks")
        return data

    def _clean_moderation(self, data: dict[str, Any]) -> None:
        for name in ("audio_language", "subtitles_language"):
            if data.get(name):
                self.add_error(name, f"{name} is only for transcription tasks")
        category = data.get("category")
        if not category:
            self.add_error("category", f"content-moderation needs a category: {', '.join(CATEGORIES)}")
            return
        if category not in CATEGORIES:
            self.add_error("category", f"category must be one of {', '.join(CATEGORIES)}")
            return
        if category not in moderation_engines.supported_categories():
            # Gcore answers 422 for an AI feature that is not enabled (api/tasks.py maps this code).
            self.add_error(
                "category",
                forms.ValidationError(
                    f"content moderation category {category!r} is not enabled on this installation",
                    code=NOT_ENABLED,
                ),
            )
            return
        try:
            data["stop_objects"] = format_stop_objects(parse_stop_objects(data.get("stop_objects") or "", category))
        except InvalidStopObjects as problem:
            self.add_error("stop_objects", str(problem))

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            check_url(url, FetchPolicy.from_settings())
        except UnsafeUrl as error:
            raise forms.ValidationError(str(error)) from None
        return url


ORDERINGS = ("task_id", "status", "task_name", "started_at", "created_at")


class TaskListForm(forms.Form):
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False)
    limit = forms.IntegerField(min_value=1, max_value=100, required=False)
    ordering = forms.CharField(required=False)
    status = forms.ChoiceField(choices=Status.choices, required=False)
    task_name = forms.CharField(required=False)
    task_id = forms.CharField(required=False)
    search = forms.CharField(max_length=200, required=False)
    date_created = forms.DateField(
        required=False, input_formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]
    )

    def clean_ordering(self) -> str:
        ordering = self.cleaned_data["ordering"] or "-created_at"
        if ordering.lstrip("-") not in ORDERINGS:
            raise forms.ValidationError(f"ordering must be one of {', '.join(ORDERINGS)}, optionally with '-'")
        return ordering

    def clean_task_id(self) -> uuid.UUID | None:
        task_id = self.cleaned_data["task_id"]
        if not task_id:
            return None
        try:
            return uuid.UUID(task_id)
        except ValueError:
            raise forms.ValidationError("task_id must be a task's UUID") from None

    @property
    def limit_value(self) -> int:
        return self.cleaned_data.get("limit") or settings.AITASKS_PAGE_SIZE
