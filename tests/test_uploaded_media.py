"""Files sent to the speech-to-text APIs: checked where Django left them, refused before
anything is stored, and stored once (a temporary upload is moved into place, not copied)."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import Client

from aitasks import uploaded_media
from aitasks.data_dirs import upload_directory
from aitasks.models import Status, Task
from aitasks.pipeline import media as pipeline_media
from aitasks.pipeline.audio import decode_first_audio_track
from tests import media

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024


@pytest.fixture
def data_dir(settings: object, tmp_path: Path) -> Path:
    """A storage folder of this test alone, and Django's temporary uploads on its file system."""
    settings.AITASKS_DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(incoming)  # type: ignore[attr-defined]
    return tmp_path / "data"


def pcm(seconds: float) -> bytes:
    return (media.tone(seconds) * 32767).astype("<i2").tobytes()


def test_a_file_over_the_duration_limit_is_refused_before_anything_is_stored(
    data_dir: Path, settings: object, api_key: str, media_dir: Path, user: object
) -> None:
    settings.AITASKS_MAX_DURATION_S = 1  # type: ignore[attr-defined]  # english.mp4 lasts a few seconds
    settings.AITASKS_ASR_API_USER = "alice"  # type: ignore[attr-defined]
    client = Client()
    with (media_dir / "english.mp4").open("rb") as file:
        openai = client.post(
            "/v1/audio/transcriptions", {"file": file, "model": "whisper-1"}, HTTP_AUTHORIZATION=f"Bearer {api_key}"
        )
    assert openai.status_code == 400, openai.content
    assert openai.json()["error"]["param"] == "file"
    assert openai.json()["error"]["message"].startswith("invalid file: media longer than the limit")
    with (media_dir / "english.mp4").open("rb") as file:
        asr = client.post("/asr?output=json", {"audio_file": file})
    assert asr.status_code == 400
    assert asr.json()["error"].startswith("audio_file: media longer than the limit")
    # Raw PCM (encode=false) says its duration by its size: 3 s of it.
    raw = client.post("/asr?encode=false", {"audio_file": SimpleUploadedFile("audio.pcm", pcm(3))})
    assert raw.status_code == 400
    assert raw.json()["error"].startswith("audio_file: media longer than the limit")
    assert not Task.objects.exists()
    assert not (data_dir / "uploads").exists()  # the storage folder was not even made


def test_a_temporary_upload_is_moved_into_place_not_copied(data_dir: Path, media_dir: Path, user: object) -> None:
    content = (media_dir / "english.mp4").read_bytes()
    upload = TemporaryUploadedFile("english.mp4", "video/mp4", len(content), None)
    upload.write(content)
    upload.flush()
    temporary = Path(upload.temporary_file_path())
    inode = temporary.stat().st_ino
    task, duration_ms = uploaded_media.submit_file(user, upload, "english.mp4", audio_language="eng")
    assert duration_ms > 1000
    assert task.upload_path.stat().st_ino == inode  # the same file, renamed
    assert task.upload_path.stat().st_mode & 0o777 == 0o644  # FILE_UPLOAD_PERMISSIONS, not the temporary 0600
    assert task.upload_path.read_bytes() == content
    assert not temporary.exists()
    upload.close()  # as Django closes it at the end of the request: no error for the moved file


def test_an_upload_larger_than_djangos_memory_limit_is_stored_whole(
    data_dir: Path, settings: object, api_key: str, user: object
) -> None:
    settings.AITASKS_SYNC_WAIT_BASE_S = 0  # type: ignore[attr-defined]  # no worker: answer at once
    settings.AITASKS_SYNC_WAIT_FACTOR = 0  # type: ignore[attr-defined]
    path = data_dir.parent / "tone.wav"
    with wave.open(str(path), "wb") as out:  # 100 s of 16 kHz mono: 3.2 MB
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(media.RATE)
        out.writeframes(pcm(100))
    content = path.read_bytes()
    assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE  # type: ignore[attr-defined]  # a temporary file
    with path.open("rb") as file:
        response = Client().post(
            "/v1/audio/transcriptions", {"file": file, "model": "whisper-1"}, HTTP_AUTHORIZATION=f"Bearer {api_key}"
        )
    assert response.status_code == 504, response.content  # queued, and still waiting for a worker
    task = Task.objects.get(owner=user)
    assert task.upload_path.read_bytes() == content
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []  # type: ignore[attr-defined]


def test_the_upload_of_a_task_cancelled_before_a_worker_took_it_is_deleted_at_once(
    data_dir: Path, api: Client, user: object
) -> None:
    upload = SimpleUploadedFile("audio.pcm", pcm(2))
    task, _duration_ms = uploaded_media.submit_file(user, upload, "audio.pcm", raw_pcm=True)
    assert task.status == Status.PENDING and task.upload_path.is_file()
    cancelled = api.post(f"/streaming/ai/tasks/{task.pk}/cancel")
    assert cancelled.json() == {"result": "task revoked"}
    assert not upload_directory(task.pk).exists()  # not a day later, at the purge


def test_the_upload_stays_for_a_retry_and_goes_when_the_task_fails_for_good(data_dir: Path, user: object) -> None:
    upload = SimpleUploadedFile("audio.pcm", pcm(2))
    task, _duration_ms = uploaded_media.submit_file(user, upload, "audio.pcm", raw_pcm=True)
    task.claim("a-worker-that-dies")
    assert task.take_back_stalled("the worker stopped", give_up=False)  # RETRY: the next attempt reads it
    assert task.upload_path.is_file()
    task.claim("another-worker-that-dies")
    assert task.take_back_stalled("the worker stopped", give_up=True)  # FAILURE: nothing will read it
    assert task.status == Status.FAILURE
    assert not upload_directory(task.pk).exists()


def test_a_webm_without_a_declared_duration_is_measured_and_accepted(
    data_dir: Path, settings: object, api_key: str, user: object
) -> None:
    settings.AITASKS_SYNC_WAIT_BASE_S = 0  # type: ignore[attr-defined]  # no worker: answer once queued
    settings.AITASKS_SYNC_WAIT_FACTOR = 0  # type: ignore[attr-defined]
    settings.AITASKS_ASR_API_USER = "alice"  # type: ignore[attr-defined]
    recorded = media.write_webm(data_dir.parent / "recorded.webm", media.tone(3), declared_duration=False)
    with av.open(str(recorded)) as container:
        assert container.duration is None  # what a browser's MediaRecorder writes
    client = Client()
    with recorded.open("rb") as file:
        openai = client.post(
            "/v1/audio/transcriptions", {"file": file, "model": "whisper-1"}, HTTP_AUTHORIZATION=f"Bearer {api_key}"
        )
    assert openai.status_code == 504, openai.content  # queued, and still waiting for a worker
    with recorded.open("rb") as file:
        asr = client.post("/asr?output=json", {"audio_file": file})
    assert asr.status_code != 400, asr.content
    assert Task.objects.filter(owner=user).count() == 2
    assert 2900 <= pipeline_media.probe(recorded, 60).duration_ms <= 3100  # the 3 s it holds
    assert len(decode_first_audio_track(recorded, 60)) / 16000 == pytest.approx(3, abs=0.1)  # as the worker reads it
    # Measured, it is held to the same limit as a file that declares its duration.
    settings.AITASKS_MAX_DURATION_S = 1  # type: ignore[attr-defined]
    with recorded.open("rb") as file:
        refused = client.post("/asr?output=json", {"audio_file": file})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("audio_file: media longer than the limit")
