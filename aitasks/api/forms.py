"""The input of every API endpoint, one form each: the views validate with them, and the
OpenAPI document (openapi.py) describes the fields from them."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings

from .. import languages, transcripts
from ..models import ChineseScript, Status, TaskName, VideoStatus
from ..moderation import backends as moderation_backends
from ..moderation.pipeline import InvalidStopObjects, format_stop_objects, parse_stop_objects
from ..pipeline.fetch import FetchPolicy, UnsafeUrl, check_url

CATEGORIES = moderation_backends.CATEGORIES
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


class WhisperLanguageField(forms.CharField):
    """The other clients' language: Whisper's code (ISO-639-1, `en`), cleaned to our B code;
    with `also_iso639_2`, our own codes are accepted too."""

    def __init__(self, *, also_iso639_2: bool) -> None:
        super().__init__(max_length=8, required=False)
        self.also_iso639_2 = also_iso639_2

    def clean(self, value: Any) -> str:
        code = super().clean(value).strip().lower()
        if not code:
            return ""
        language = languages.from_whisper(code)
        if language is None and self.also_iso639_2:
            try:
                language = languages.get(code)
            except languages.UnknownLanguage:
                pass
        if language is None:
            example = "an ISO-639-1 code" if self.also_iso639_2 else "a Whisper code"
            raise forms.ValidationError(f"unsupported language {code!r}: use {example} such as 'en'")
        return language.code


class TaskCreateForm(forms.Form):
    task_name = forms.CharField(max_length=64)
    url = forms.CharField(max_length=2048, strip=True)
    audio_language = LanguageField(required=False)
    subtitles_language = LanguageField(required=False)
    category = forms.CharField(max_length=32, required=False)
    stop_objects = forms.CharField(max_length=1024, required=False)
    client_user_id = forms.CharField(max_length=256, required=False)
    client_entity_data = forms.CharField(max_length=4096, required=False, strip=False)
    chinese_script = forms.ChoiceField(
        choices=[("", "")] + ChineseScript.choices,
        required=False,
        error_messages={"invalid_choice": f"must be one of {', '.join(ChineseScript.values)}"},
    )

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
        for name in ("audio_language", "subtitles_language", "chinese_script"):
            if data.get(name):
                self.add_error(name, f"{name} is only for transcription tasks")
        category = data.get("category")
        if not category:
            self.add_error("category", f"content-moderation needs a category: {', '.join(CATEGORIES)}")
            return
        if category not in CATEGORIES:
            self.add_error("category", f"category must be one of {', '.join(CATEGORIES)}")
            return
        if category not in moderation_backends.supported_categories():
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
    limit = forms.IntegerField(min_value=1, max_value=settings.AITASKS_MAX_PAGE_SIZE, required=False)
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


# --- the videos API (/streaming/videos) ------------------------------------------------------


def clean_auto_transcribe(value: str) -> str:
    if value in ("", "disable", "auto"):
        return value or "disable"
    try:
        return languages.normalize(value)
    except languages.UnknownLanguage as error:
        raise forms.ValidationError(f"'disable', 'auto' or a language code: {error}") from None


def clean_auto_translate(value: str) -> str:
    if value in ("", "disable", "default"):
        return value or "disable"
    try:
        return ",".join(dict.fromkeys(languages.normalize(code) for code in value.split(",") if code.strip()))
    except languages.UnknownLanguage as error:
        raise forms.ValidationError(f"'disable', 'default' or language codes joined by commas: {error}") from None


class VideoForm(forms.Form):
    name = forms.CharField(max_length=255)
    description = forms.CharField(max_length=4096, required=False)
    origin_url = forms.CharField(max_length=2048, required=False)
    client_user_id = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    auto_transcribe_audio_language = forms.CharField(max_length=16, required=False)
    auto_translate_subtitles_language = forms.CharField(max_length=512, required=False)

    def clean_origin_url(self) -> str:
        url = self.cleaned_data["origin_url"]
        if url:
            try:
                check_url(url, FetchPolicy.from_settings())
            except UnsafeUrl as error:
                raise forms.ValidationError(str(error)) from None
        return url

    def clean_auto_transcribe_audio_language(self) -> str:
        return clean_auto_transcribe(self.cleaned_data["auto_transcribe_audio_language"])

    def clean_auto_translate_subtitles_language(self) -> str:
        return clean_auto_translate(self.cleaned_data["auto_translate_subtitles_language"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        transcribe = data.get("auto_transcribe_audio_language", "disable")
        if data.get("auto_translate_subtitles_language", "disable") != "disable" and transcribe == "disable":
            self.add_error("auto_translate_subtitles_language", "needs auto_transcribe_audio_language")
        return data


class VideoListForm(forms.Form):
    page = forms.IntegerField(min_value=1, max_value=1_000_000, required=False)
    per_page = forms.IntegerField(min_value=1, max_value=settings.AITASKS_MAX_PAGE_SIZE, required=False)
    search = forms.CharField(max_length=200, required=False)
    status = forms.ChoiceField(choices=VideoStatus.choices, required=False)


class SubtitleForm(forms.Form):
    name = forms.CharField(max_length=255, required=False)
    language = LanguageField(required=False)
    vtt = forms.CharField(required=False, strip=False)


class AutoSubtitlesForm(forms.Form):
    auto_transcribe_audio_language = forms.CharField(max_length=16)
    auto_translate_subtitles_language = forms.CharField(max_length=512, required=False)

    def clean_auto_transcribe_audio_language(self) -> str:
        value = clean_auto_transcribe(self.cleaned_data["auto_transcribe_audio_language"])
        if value == "disable":
            raise forms.ValidationError("'auto' or a language code")
        return value

    def clean_auto_translate_subtitles_language(self) -> str:
        return clean_auto_translate(self.cleaned_data["auto_translate_subtitles_language"])


# --- the other clients: OpenAI (/v1/audio/...) and whisper-asr-webservice (/asr) -------------


class AudioForm(forms.Form):
    file = forms.FileField()
    model = forms.CharField(max_length=200)
    language = WhisperLanguageField(also_iso639_2=True)
    prompt = forms.CharField(max_length=4000, required=False, strip=False)
    response_format = forms.ChoiceField(choices=[(name, name) for name in transcripts.OPENAI_FORMATS], required=False)
    temperature = forms.FloatField(min_value=0, max_value=1, required=False)
    stream = forms.CharField(required=False)

    def clean_stream(self) -> str:
        if self.cleaned_data["stream"].strip().lower() in ("true", "1"):
            raise forms.ValidationError("streaming is not supported: send stream=false")
        return ""


def _boolean(value: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False, "": None}.get(value.strip().lower(), None)


class BooleanParam(forms.CharField):
    def __init__(self, default: bool) -> None:
        super().__init__(required=False)
        self.default = default

    def clean(self, value: Any) -> bool:
        text = super().clean(value)
        if text.strip().lower() not in ("true", "1", "false", "0", ""):
            raise forms.ValidationError("must be true or false")
        parsed = _boolean(text)
        return self.default if parsed is None else parsed


class AsrQuery(forms.Form):
    task = forms.ChoiceField(choices=[("transcribe", "transcribe"), ("translate", "translate")], required=False)
    language = WhisperLanguageField(also_iso639_2=False)
    output = forms.ChoiceField(choices=[(name, name) for name in transcripts.ASR_OUTPUTS], required=False)
    encode = BooleanParam(default=True)
    word_timestamps = BooleanParam(default=False)
    vad_filter = BooleanParam(default=False)
    initial_prompt = forms.CharField(max_length=4000, required=False)


class DetectQuery(forms.Form):
    encode = BooleanParam(default=True)
