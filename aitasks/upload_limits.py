"""Multipart uploads, refused while they arrive.

Django parses a multipart body when anything first reads `request.POST`, which the CSRF
middleware does before the view runs, and its handlers write each file to a temporary file as
it arrives. This handler, first in FILE_UPLOAD_HANDLERS, decides from the request alone:
anonymous users never get a file written (the login page takes no files), and a signed-in
user's body may be at most the limit of the page it is sent to (the video upload and the
speech-to-text APIs' files: AITASKS_MAX_UPLOAD_MB). A refused upload stops at its first file part, before a byte of it
is written, and the rest of the body is never read; the fields before it (the CSRF token, the
name) are kept, so the view can say what happened. `refusal(request)` is that message.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

from .cues import MAX_BYTES as SUBTITLE_MAX_BYTES

# Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD = 64 * 1024
# The API routes that take a file. They have no session: each view authenticates the request
# (its API key, or AITASKS_ASR_API_USER on /asr) and sets request.user to that account before it
# reads the body, and answers 401 to any other request without reading a byte of it.
API_FILE_ROUTES = frozenset({"openai-transcriptions", "openai-translations", "asr", "asr-detect-language"})
_REFUSAL = "_aitasks_upload_refused"


def refusal(request: HttpRequest) -> str:
    """Why the request's files were refused, or "" when they were not."""
    return getattr(request, _REFUSAL, "")


def body_limit(request: HttpRequest) -> tuple[int, str]:
    """(the most bytes this request's body may have, the message when it has more)."""
    match = getattr(request, "resolver_match", None)
    route = match.url_name if match else None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0, "invalid or missing API key" if route in API_FILE_ROUTES else "Sign in to upload files."
    if route == "videos" or route in API_FILE_ROUTES:
        megabytes = settings.AITASKS_MAX_UPLOAD_MB
        return megabytes * 1024 * 1024 + FORM_OVERHEAD, f"The file is larger than {megabytes} MB."
    if route == "video-subtitles":
        return SUBTITLE_MAX_BYTES + FORM_OVERHEAD, "The subtitle file is larger than 5 MB."
    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE, f"The upload is larger than {megabytes} MB."


class LimitedUploadHandler(FileUploadHandler):
    """Refuses files by Content-Length before they arrive, and by counting while they do."""

    def handle_raw_input(
        self, input_data: Any, META: dict[str, Any], content_length: int, boundary: bytes, encoding: str | None = None
    ) -> None:
        self.limit, self.message = body_limit(self.request)
        self.refused = content_length > self.limit
        self.received = 0
        return None  # Django parses the body, with this handler first in line

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if self.refused:
            self._stop()
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._stop()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file

    def _stop(self) -> None:
        setattr(self.request, _REFUSAL, self.message)
        # connection_reset: Django reads no more of the body.
        raise StopUpload(connection_reset=True)
