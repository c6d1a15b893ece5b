from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings

from . import languages
from .models import Status, TaskName
from .pipeline.fetch import FetchPolicy, UnsafeUrl, check_url


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
    client_user_id = forms.CharField(max_length=256, required=False)
    client_entity_data = forms.CharField(max_length=4096, required=False, strip=False)

    def clean_task_name(self) -> str:
        task_name = self.cleaned_data["task_name"]
        if task_name == "content-moderation":
            raise forms.ValidationError("content-moderation is not available on this installation")
        if task_name != TaskName.TRANSCRIPTION:
            raise forms.ValidationError("task_name must be 'transcription'")
        return task_name

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
