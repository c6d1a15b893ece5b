"""Input of the videos API (Gcore's `/streaming/videos`)."""

from __future__ import annotations

from typing import Any

from django import forms

from .. import languages
from ..models import VideoStatus
from ..pipeline.fetch import FetchPolicy, UnsafeUrl, check_url
from .forms import LanguageField


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
    per_page = forms.IntegerField(min_value=1, max_value=100, required=False)
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
