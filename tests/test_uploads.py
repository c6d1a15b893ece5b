"""Uploads are refused while they arrive: a live server gets the start of a multipart body over
a real socket and must answer before the rest is sent, with nothing written to disk."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from aitasks.models import Task, Video
from tests.conftest import make_video, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "a" * 32  # a valid CSRF secret: the same in the cookie and in the form
BOUNDARY = "aitasksboundary"
MB = 1024 * 1024


@pytest.fixture
def upload_dir(settings: object, tmp_path: Path) -> Path:
    """Where Django writes uploads that it keeps on disk while it reads them."""
    directory = tmp_path / "uploads"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)  # type: ignore[attr-defined]
    return directory


def session_cookie(user: object) -> str:
    return signed_in(user).cookies["sessionid"].value


def multipart_head(fields: dict[str, str], file_field: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in {"csrfmiddlewaretoken": CSRF, **fields}.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    return "".join(parts).encode()


def post_slowly(
    live_server: object,
    path: str,
    head: bytes,
    body_size: int,
    upload_dir: Path,
    cookie: str = "",
    authorization: str = "",
) -> tuple[bytes, int, int]:
    """Send the headers and the first 256 KB of a `body_size` body, then wait for an answer.
    Returns (the answer, bytes sent, the largest size the upload dir reached meanwhile)."""
    url = urlsplit(live_server.url)  # type: ignore[attr-defined]
    cookies = f"csrftoken={CSRF}" + (f"; sessionid={cookie}" if cookie else "")
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {body_size}\r\n"
        + (f"Authorization: {authorization}\r\n" if authorization else "")
        + f"Cookie: {cookies}\r\nConnection: close\r\n\r\n"
    ).encode()
    first = head + b"\0" * (256 * 1024 - len(head))
    largest = 0
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        connection.sendall(request + first)
        sent = len(first)
        connection.settimeout(0.2)
        answer = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and b"\r\n\r\n" not in answer:
            largest = max(largest, sum(f.stat().st_size for f in upload_dir.iterdir() if f.is_file()))
            try:
                answer += connection.recv(65536)
            except TimeoutError:
                continue
        head_end = answer.find(b"\r\n\r\n") + 4
        length = next(
            (
                int(line.split(b":")[1])
                for line in answer[:head_end].split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        connection.settimeout(2)
        try:
            while len(answer) < head_end + length and (chunk := connection.recv(65536)):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer, sent, largest


def test_an_anonymous_multipart_post_to_login_writes_nothing(live_server: object, upload_dir: Path) -> None:
    head = multipart_head({"username": "alice", "password": "x"}, "file")
    answer, sent, largest = post_slowly(live_server, "/login", head, 50 * MB, upload_dir)
    assert answer.startswith(b"HTTP/1.1 ") and not answer.startswith(b"HTTP/1.1 5"), answer[:200]
    assert sent < MB  # answered while 49 MB were still to come
    assert largest == 0
    assert list(upload_dir.iterdir()) == []


def test_a_video_over_the_upload_limit_is_refused_while_it_arrives(
    live_server: object, upload_dir: Path, user: object, settings: object
) -> None:
    settings.AITASKS_MAX_UPLOAD_MB = 5  # type: ignore[attr-defined]
    head = multipart_head({"name": "too big", "auto_transcribe_audio_language": "disable"}, "file")
    answer, sent, largest = post_slowly(live_server, "/videos", head, 60 * MB, upload_dir, session_cookie(user))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"The file is larger than 5 MB." in answer
    assert sent < MB and largest == 0
    assert not Video.objects.exists()


def test_a_subtitle_file_over_5_mb_is_refused_while_it_arrives(
    live_server: object, upload_dir: Path, user: object
) -> None:
    video = make_video(user, name="Keynote")
    head = multipart_head({"name": "", "language": "eng"}, "file")
    path = f"/videos/{video.pk}/subtitles"
    answer, sent, largest = post_slowly(live_server, path, head, 20 * MB, upload_dir, session_cookie(user))
    assert answer.startswith(b"HTTP/1.1 302"), answer[:300]
    assert sent < MB and largest == 0
    assert not video.subtitles.exists()


def test_an_upload_within_the_limit_still_works(editor: Client, user: object, media_dir: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("talk.mp4", (media_dir / "english.mp4").read_bytes(), content_type="video/mp4")
    response = editor.post("/videos", {"file": upload, "auto_transcribe_audio_language": "disable"})
    assert response.status_code == 302
    assert Video.objects.get(owner=user).name == "talk"


def test_a_keyless_speech_to_text_upload_is_answered_401_before_its_body_is_read(
    live_server: object, upload_dir: Path, settings: object, user: object
) -> None:
    settings.AITASKS_ASR_API_USER = ""  # type: ignore[attr-defined]
    for path, field, authorization in [
        ("/asr?encode=false", "audio_file", ""),
        ("/v1/audio/transcriptions", "file", ""),
        ("/v1/audio/transcriptions", "file", "Bearer not-a-key"),
    ]:
        head = multipart_head({"model": "whisper-1"}, field)
        answer, sent, largest = post_slowly(live_server, path, head, 50 * MB, upload_dir, authorization=authorization)
        assert answer.startswith(b"HTTP/1.1 401"), (path, answer[:300])
        assert b"invalid or missing API key" in answer
        assert sent < MB and largest == 0
    assert list(upload_dir.iterdir()) == []
    assert not Task.objects.exists()


def test_a_speech_to_text_file_over_the_upload_limit_is_refused_while_it_arrives(
    live_server: object, upload_dir: Path, settings: object, api_key: str, user: object
) -> None:
    settings.AITASKS_MAX_UPLOAD_MB = 5  # type: ignore[attr-defined]
    settings.AITASKS_ASR_API_USER = "alice"  # type: ignore[attr-defined]
    head = multipart_head({"model": "whisper-1"}, "file")
    path = "/v1/audio/transcriptions"
    answer, sent, largest = post_slowly(live_server, path, head, 60 * MB, upload_dir, authorization=f"Bearer {api_key}")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b'"message": "The file is larger than 5 MB."' in answer and b'"param": "file"' in answer
    assert sent < MB and largest == 0
    # Keyless, as the account AITASKS_ASR_API_USER names.
    answer, sent, largest = post_slowly(live_server, "/asr", multipart_head({}, "audio_file"), 60 * MB, upload_dir)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b'{"error": "audio_file: The file is larger than 5 MB."}' in answer
    assert sent < MB and largest == 0
    assert not Task.objects.exists()


def test_an_api_key_may_send_a_file_larger_than_a_form_page_takes(settings: object, api_key: str, user: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB  # type: ignore[attr-defined]  # other pages' limit
    upload = SimpleUploadedFile("noise.wav", b"\1" * (3 * MB))
    response = Client().post(
        "/v1/audio/transcriptions",
        {"file": upload, "model": "whisper-1"},
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    # Received whole and looked at: not refused by its size.
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"].startswith("invalid file:")
    assert not Task.objects.exists()


@pytest.fixture
def editor(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client
