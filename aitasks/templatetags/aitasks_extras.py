from __future__ import annotations

from urllib.parse import urlsplit

from django import template

from .. import languages
from ..pipeline.subtitles import format_timestamp

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


@register.simple_tag
def sort_link(query: str, current: str, column: str) -> str:
    """The query string that sorts by `column`: descending first, then toggling."""
    direction = column if current == f"-{column}" else f"-{column}"
    prefix = f"{query}&" if query else ""
    return f"?{prefix}sort={direction}"


@register.filter
def minutes(value: object) -> int:
    """Whole minutes of a timedelta (rounded up): "try again in 15 minutes"."""
    total = getattr(value, "total_seconds", lambda: 0)()
    return max(1, -(-int(total) // 60))
