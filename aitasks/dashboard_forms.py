"""Forms of the dashboard (the API's forms are in forms.py and forms_videos.py)."""

from __future__ import annotations

from typing import Any

from django import forms

from . import languages
from .engines.moderation import supported_categories
from .forms import TaskCreateForm
from .models import Status, TaskName, Video, VideoStatus

AUTO = [("", "Auto-detect")]
EXAMPLE_URL = "https://demo-files.gvideo.io/apidocs/spritefright-blender-cut30sec.mp4"


class GenerateTaskForm(TaskCreateForm):
    """The portal's Generate-task form: the API's rules, the portal's labels and widgets."""

    task_name = forms.ChoiceField(
        label="Task type", choices=[("transcription", "Transcribe & translate captions")], initial="transcription"
    )
    url = forms.CharField(
        label="Origin URL",
        max_length=2048,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/video.mp4", "autocomplete": "off"}),
    )
    video = forms.ModelChoiceField(
        label="Or select from uploaded videos", queryset=Video.objects.none(), required=False, empty_label="—"
    )
    audio_language = forms.ChoiceField(label="Audio language", required=False)
    subtitles_language = forms.ChoiceField(label="Subtitles language", required=False)
    category = forms.ChoiceField(label="Moderation category", required=False)
    field_order = ["url", "video", "task_name", "audio_language", "subtitles_language", "category"]

    def __init__(self, *args: Any, owner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("client_user_id", "client_entity_data", "stop_objects"):
            del self.fields[name]
        categories = supported_categories()
        if categories:
            self.fields["task_name"].choices = TaskName.choices
            self.fields["category"].choices = [(c, CATEGORY_LABELS[c]) for c in categories]
        else:
            del self.fields["category"]
        self.fields["audio_language"].choices = AUTO + languages.choices()
        self.fields["subtitles_language"].choices = AUTO + languages.choices()
        self.fields["video"].queryset = Video.objects.filter(owner=owner, status=VideoStatus.READY)

    @property
    def has_videos(self) -> bool:
        return self.fields["video"].queryset.exists()

    def clean_url(self) -> str:
        return super().clean_url() if self.cleaned_data.get("url") else ""

    # The form shows the fields of both task types: each keeps only its own.
    def _only_for(self, task_name: str, field: str) -> str:
        return self.cleaned_data.get(field) or "" if self.cleaned_data.get("task_name") == task_name else ""

    def clean_audio_language(self) -> str:
        return self._only_for(TaskName.TRANSCRIPTION, "audio_language")

    def clean_subtitles_language(self) -> str:
        return self._only_for(TaskName.TRANSCRIPTION, "subtitles_language")

    def clean_category(self) -> str:
        return self._only_for(TaskName.CONTENT_MODERATION, "category")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("url") and not data.get("video") and "url" not in self.errors:
            self.add_error("url", "Enter the URL of an MP4 file, or select an uploaded video.")
        return data


CATEGORY_LABELS = {"nsfw": "NSFW", "hard_nudity": "Hard nudity", "soft_nudity": "Soft nudity", "sport": "Sport"}


SORTS = {
    "created": "created_at",
    "id": "id",
    "url": "url",
    "type": "task_name",
    "language": "audio_language",
    "status": "status",
    "progress": "progress",
    "time": "duration",
}


class TaskFilterForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, required=False)
    status = forms.ChoiceField(label="Status", choices=[("", "All statuses")] + Status.choices, required=False)
    task_name = forms.ChoiceField(
        label="Task type", choices=[("", "All task types")] + TaskName.choices, required=False
    )
    sort = forms.CharField(required=False)
    page = forms.IntegerField(min_value=1, required=False)

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"] or "-created"
        return sort if sort.lstrip("-") in SORTS else "-created"


class VideoUploadForm(forms.Form):
    name = forms.CharField(max_length=255, required=False)
    file = forms.FileField(required=False, label="Video file")
    origin_url = forms.CharField(label="Or copy from URL", max_length=2048, required=False)
    auto_transcribe_audio_language = forms.ChoiceField(
        label="Auto-transcribe", required=False, choices=[("disable", "Off"), ("auto", "On, auto-detect language")]
    )
    auto_translate_subtitles_language = forms.MultipleChoiceField(
        label="Also translate to", required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["auto_transcribe_audio_language"].choices += languages.choices()
        self.fields["auto_translate_subtitles_language"].choices = languages.choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("file") and not data.get("origin_url"):
            raise forms.ValidationError("Choose a video file or give the URL of one.")
        if data.get("file") and data.get("origin_url"):
            raise forms.ValidationError("Choose a file or a URL, not both.")
        if data.get("auto_translate_subtitles_language") and data.get("auto_transcribe_audio_language") == "disable":
            self.add_error("auto_translate_subtitles_language", "Translation needs auto-transcription.")
        return data


class SubtitleUploadForm(forms.Form):
    name = forms.CharField(max_length=255, required=False)
    language = forms.ChoiceField(choices=languages.choices(), initial="eng")
    file = forms.FileField(label="WebVTT or SRT file")
