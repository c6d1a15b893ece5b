"""Forms of the dashboard (the API's forms are in aitasks/api/forms.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from .. import languages
from ..api.forms import TaskCreateForm
from ..models import ChineseScript, Status, TaskName, Video, VideoStatus
from ..moderation.backends import supported_categories
from ..pipeline import translate

AUTO = [("", "Auto-detect")]
SAME_AS_AUDIO = [("", "Auto-detect (the spoken language)")]


def translation_choices() -> list[tuple[str, str]]:
    """(code, name) of the languages this installation can translate subtitles into."""
    return [(code, languages.get(code).name) for code in translate.targets()]


def offer_only_translations(field: forms.ChoiceField, blank: list[tuple[str, str]]) -> None:
    """The widget offers only the targets this installation can produce; the field still
    accepts every known language, so that clean() refuses the others in plain words (a
    transcription in the spoken language, audio = subtitles, is always possible)."""
    field.choices = blank + languages.choices()
    field.widget.choices = blank + translation_choices()


def refuse_untranslatable(form: forms.Form, field: str, audio_language: str | None, targets: list[str | None]) -> None:
    """Adds to `field` why each subtitles language of `targets` cannot be written from
    `audio_language` ("" or None: detected) on this installation."""
    for target in filter(None, targets):
        if problem := translate.refusal(audio_language or None, target):
            form.add_error(field, problem)


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
    chinese_script = forms.ChoiceField(label="Chinese script", required=False)
    # The API's fields that the portal does not show (None removes an inherited field).
    client_user_id = None
    client_entity_data = None
    stop_objects = None
    field_order = ["url", "video", "task_name", "audio_language", "subtitles_language", "chinese_script", "category"]

    def __init__(self, *args: Any, owner: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = supported_categories()
        if categories:
            self.fields["task_name"].choices = TaskName.choices
            self.fields["category"].choices = [(c, CATEGORY_LABELS[c]) for c in categories]
        else:
            del self.fields["category"]
        self.fields["audio_language"].choices = AUTO + languages.choices()
        offer_only_translations(self.fields["subtitles_language"], SAME_AS_AUDIO)
        default = ChineseScript(settings.AITASKS_CHINESE_SCRIPT).label
        self.fields["chinese_script"].choices = [("", f"This installation's ({default})")] + ChineseScript.choices
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

    def clean_chinese_script(self) -> str:
        return self._only_for(TaskName.TRANSCRIPTION, "chinese_script")

    def clean_category(self) -> str:
        return self._only_for(TaskName.CONTENT_MODERATION, "category")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("url") and not data.get("video") and "url" not in self.errors:
            self.add_error("url", "Enter the URL of an MP4 file, or select an uploaded video.")
        refuse_untranslatable(self, "subtitles_language", data.get("audio_language"), [data.get("subtitles_language")])
        return data


CATEGORY_LABELS = {"nsfw": "NSFW", "hard_nudity": "Hard nudity", "soft_nudity": "Soft nudity", "sport": "Sport"}


class VideoAiSubtitlesForm(forms.Form):
    """AI subtitles for a hosted video (its page's form): the same language rules."""

    audio_language = forms.ChoiceField(label="Audio language", required=False)
    subtitles_language = forms.ChoiceField(label="Subtitles language", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["audio_language"].choices = AUTO + languages.choices()
        offer_only_translations(self.fields["subtitles_language"], SAME_AS_AUDIO)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        refuse_untranslatable(self, "subtitles_language", data.get("audio_language"), [data.get("subtitles_language")])
        return data

    def first_error(self) -> str:
        field, errors = next(iter(self.errors.items()))
        label = self.fields[field].label if field in self.fields else ""
        return f"{label}: {errors[0]}" if label else errors[0]


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
        label="Also translate to", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, refused: str = "", **kwargs: Any) -> None:
        """`refused`: why the upload handler stopped the file before it arrived (upload_limits.py)."""
        super().__init__(*args, **kwargs)
        self.refused = refused
        self.fields["auto_transcribe_audio_language"].choices += languages.choices()
        offer_only_translations(self.fields["auto_translate_subtitles_language"], [])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.refused:
            self.add_error("file", self.refused)
            return data
        if not data.get("file") and not data.get("origin_url"):
            raise forms.ValidationError("Choose a video file or give the URL of one.")
        if data.get("file") and data.get("origin_url"):
            raise forms.ValidationError("Choose a file or a URL, not both.")
        if data.get("auto_translate_subtitles_language") and data.get("auto_transcribe_audio_language") == "disable":
            self.add_error("auto_translate_subtitles_language", "Translation needs auto-transcription.")
        else:
            audio = data.get("auto_transcribe_audio_language")
            targets = data.get("auto_translate_subtitles_language") or []
            refuse_untranslatable(self, "auto_translate_subtitles_language", "" if audio == "auto" else audio, targets)
        return data


class SubtitleUploadForm(forms.Form):
    name = forms.CharField(max_length=255, required=False)
    language = forms.ChoiceField(choices=languages.choices(), initial="eng")
    file = forms.FileField(label="WebVTT or SRT file")
