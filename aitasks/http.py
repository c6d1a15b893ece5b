"""Serving stored media with HTTP range requests (players seek; nothing sits in memory)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

CHUNK = 256 * 1024
# At most 18 digits: any file offset fits, and int() never meets a number of thousands of digits.
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


def serve(request: HttpRequest, path: Path, content_type: str = "video/mp4") -> HttpResponse:
    size = path.stat().st_size
    start, end = 0, size - 1
    status = 200
    header = request.headers.get("Range", "").strip()
    if header:
        match = _RANGE.match(header)
        if not match or (not match[1] and not match[2]):
            return _unsatisfiable(size)
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:  # the last N bytes
            start = max(0, size - int(match[2]))
        if start >= size or start > end:
            return _unsatisfiable(size)
        status = 206
    response = StreamingHttpResponse(_read(path, start, end), status=status, content_type=content_type)
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


def _read(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as file:
        file.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = file.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
