from __future__ import annotations

from urllib.parse import urlsplit

from django import template

from .. import languages
from ..cues import format_timestamp
from ..models import Task

register = template.Library()


@register.filter
def timecode(ms: int) -> str:
    return format_timestamp(int(ms))


@register.filter
def seconds(value: float | None) -> str:
    """12.3 s, 2 min 05 s, 1 h 02 min: contributed time as people read it."""
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(int(round(value)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def short_url(url: str, length: int = 42) -> str:
    """host/…/file.mp4: enough to recognise a URL in a table cell."""
    parts = urlsplit(url)
    if not parts.netloc:
        return url if len(url) <= length else url[: length - 1] + "…"
    tail = parts.path.rsplit("/", 1)[-1]
    text = f"{parts.netloc}/…/{tail}" if parts.path.count("/") > 1 else f"{parts.netloc}{parts.path}"
    return text if len(text) <= length else text[: length - 1] + "…"


@register.filter
def language_name(code: str) -> str:
    try:
        return languages.get(code).name
    except languages.UnknownLanguage:
        return code


@register.filter
def task_languages(task: Task) -> str:
    """ "German, English → English": the spoken languages (as set, or as detected) and the
    subtitles' language when it is a translation, by name, the same in table and dialog."""
    transcription = task.transcription(with_text=False)
    if task.audio_language:
        spoken = [task.audio_language]
    elif transcription is not None and transcription.language_detection:
        spoken = [share["language"] for share in transcription.language_detection][:3]
    else:
        spoken = list(transcription.languages)[:3] if transcription is not None else []
    text = ", ".join(language_name(code) for code in spoken) or "Auto-detect"
    if task.subtitles_language and task.subtitles_language != task.audio_language:
        text += f" → {language_name(task.subtitles_language)}"
    return text


@register.filter
def task_source(task: Task) -> str:
    """What the task transcribes, as people know it: the hosted video's name, or the URL."""
    if task.video_id is not None and task.video is not None:
        return task.video.name
    if task.video_id is None and task.url.startswith("/streaming/videos/"):
        return "Deleted video"
    return short_url(task.url)


@register.simple_tag
def sort_link(query: str, current: str, column: str) -> str:
    """The query string that sorts by `column`: ascending first, then toggling."""
    direction = f"-{column}" if current == column else column
    prefix = f"{query}&" if query else ""
    return f"?{prefix}sort={direction}"


@register.filter
def minutes(value: object) -> int:
    """Whole minutes of a timedelta (rounded up): "try again in 15 minutes"."""
    total = getattr(value, "total_seconds", lambda: 0)()
    return max(1, -(-int(total) // 60))
