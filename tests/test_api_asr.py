"""whisper-asr-webservice's API as Bazarr's Whisper provider calls it (custom_libs/subliminal_patch/
providers/whisperai.py): `requests` posting raw 16 kHz mono 16-bit PCM as `audio_file`, with
`encode=false`, to a live server on 127.0.0.1, and no API key."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import requests

from aitasks import transcripts
from aitasks.models import Status, Task
from tests import media
from tests.conftest import ENGLISH_TEXT, SPANISH_TEXT, make_task
from tests.heard import assert_heard

pytestmark = pytest.mark.django_db(transaction=True)

KEY_WORDS = "quick brown fox jumps lazy dog subtitles video"


def pcm(samples: np.ndarray) -> bytes:
    """What Bazarr's ffmpeg call produces: -f s16le -acodec pcm_s16le -ac 1 -ar 16000."""
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


@pytest.fixture(scope="module")
def english_pcm() -> bytes:
    return pcm(np.concatenate([media.silence(0.5), media.speak(ENGLISH_TEXT), media.silence(0.5)]))


@pytest.fixture
def bazarr(live_server: object, user: object, settings: object) -> requests.Session:
    """Bazarr's session: a User-Agent and nothing else; keyless requests run as alice."""
    settings.AITASKS_ASR_API_USER = "alice"  # type: ignore[attr-defined]
    session = requests.Session()
    session.headers["User-Agent"] = "Subliminal/2.1.0"
    session.endpoint = live_server.url  # type: ignore[attr-defined]
    return session


def test_bazarr_detects_the_language_then_transcribes_to_srt(
    bazarr: requests.Session, english_pcm: bytes, queue_worker: None, user: object
) -> None:
    endpoint = bazarr.endpoint  # type: ignore[attr-defined]
    detected = bazarr.post(
        f"{endpoint}/detect-language", params={"encode": "false"}, files={"audio_file": english_pcm}, timeout=(5, 120)
    )
    assert detected.status_code == 200, detected.text
    assert detected.json()["detected_language"] == "english"
    assert detected.json()["language_code"] == "en"
    assert 0 < detected.json()["confidence"] <= 1

    answer = bazarr.post(
        f"{endpoint}/asr",
        params={"task": "transcribe", "language": "en", "output": "srt", "encode": "false"},
        files={"audio_file": english_pcm},
        timeout=(5, 120),
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="audio_file.srt"'
    assert answer.text.startswith("1\n00:00:0") and " --> " in answer.text
    assert_heard(answer.text, KEY_WORDS)
    # Two ordinary tasks of the keyless account, their uploads deleted.
    tasks = Task.objects.filter(owner=user)
    assert [task.status for task in tasks] == [Status.SUCCESS, Status.SUCCESS]
    assert not any(task.upload_path.exists() for task in tasks)


@pytest.mark.slow
def test_bazarr_translates_spanish_to_english(bazarr: requests.Session, queue_worker: None) -> None:
    spanish = pcm(np.concatenate([media.silence(0.5), media.speak(SPANISH_TEXT, voice="es", speed=140)]))
    answer = bazarr.post(
        f"{bazarr.endpoint}/asr",  # type: ignore[attr-defined]
        params={"task": "translate", "language": "es", "output": "srt", "encode": "false"},
        files={"audio_file": spanish},
        timeout=(5, 120),
    )
    assert answer.status_code == 200, answer.text
    assert_heard(answer.text, "good morning today talk about")


@pytest.mark.slow
def test_an_encoded_file_gets_json_with_word_timestamps(
    bazarr: requests.Session, media_dir: Path, queue_worker: None
) -> None:
    answer = bazarr.post(
        f"{bazarr.endpoint}/asr",  # type: ignore[attr-defined]
        params={"output": "json", "word_timestamps": "true", "vad_filter": "true"},
        files={"audio_file": ("talk.mp4", (media_dir / "english.mp4").read_bytes())},
        timeout=(5, 120),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["language"] == "en"
    assert_heard(body["text"], KEY_WORDS)
    words = [word for segment in body["segments"] for word in segment["words"]]
    assert len(words) >= len(ENGLISH_TEXT.split()) * 0.6


def test_keyless_requests_get_401_unless_the_operator_names_an_account(
    live_server: object, english_pcm: bytes, api_key: str, settings: object
) -> None:
    settings.AITASKS_ASR_API_USER = ""  # type: ignore[attr-defined]
    refused = requests.post(f"{live_server.url}/asr", params={"encode": "false"}, files={"audio_file": english_pcm})
    assert refused.status_code == 401
    assert refused.json() == {"error": "invalid or missing API key"}
    # A key always works (here the request is then refused for its bad parameter, not its key).
    keyed = requests.post(
        f"{live_server.url}/asr",
        params={"output": "docx"},
        files={"audio_file": english_pcm},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert keyed.status_code == 400
    assert keyed.json()["error"].startswith("output:")
    # A wrong key is refused even when keyless requests are allowed.
    settings.AITASKS_ASR_API_USER = "alice"  # type: ignore[attr-defined]
    wrong = requests.post(
        f"{live_server.url}/detect-language", files={"audio_file": english_pcm}, headers={"Authorization": "Bearer x"}
    )
    assert wrong.status_code == 401


def test_the_queue_limit_holds_with_a_clear_error(
    bazarr: requests.Session, english_pcm: bytes, settings: object, user: object
) -> None:
    settings.AITASKS_QUEUE_LIMIT = 1  # type: ignore[attr-defined]
    make_task(user, status=Status.PENDING)
    uploads = settings.AITASKS_DATA_DIR / "uploads"  # type: ignore[attr-defined]
    before = set(uploads.iterdir()) if uploads.is_dir() else set()
    endpoint = bazarr.endpoint  # type: ignore[attr-defined]
    limited = bazarr.post(f"{endpoint}/asr", params={"encode": "false"}, files={"audio_file": english_pcm})
    assert limited.status_code == 429
    assert limited.json() == {"error": "Queue limit reached (1), try later"}
    assert Task.objects.filter(owner=user).count() == 1
    assert (set(uploads.iterdir()) if uploads.is_dir() else set()) == before  # the file was not kept


def test_bad_requests_get_a_clear_error(bazarr: requests.Session, media_dir: Path, user: object) -> None:
    endpoint = bazarr.endpoint  # type: ignore[attr-defined]
    not_media = bazarr.post(f"{endpoint}/asr", files={"audio_file": (media_dir / "page.html").read_bytes()})
    assert not_media.status_code == 400
    assert not_media.json() == {"error": "audio_file: file is not a media file"}
    empty = bazarr.post(f"{endpoint}/asr", params={"encode": "false"}, files={"audio_file": b""})
    assert empty.status_code == 400
    missing = bazarr.post(f"{endpoint}/asr", data={"task": "transcribe"})
    assert missing.json()["error"].startswith("audio_file:")
    language = bazarr.post(f"{endpoint}/asr", params={"language": "klingon"}, files={"audio_file": b"x"})
    assert language.json()["error"].startswith("language:")
    assert bazarr.get(f"{endpoint}/asr").status_code == 405
    assert not Task.objects.filter(owner=user).exists()


def test_each_output_format_renders_the_tasks_cues(user: object) -> None:
    task = make_task(
        user,
        url="upload:talk.wav",
        status=Status.SUCCESS,
        result={
            "cues": [
                {"start": 500, "end": 2100, "lines": ["Hello there,", "general."], "language": "eng"},
                {"start": 2500, "end": 4000, "lines": ["Tab\there."], "language": "eng"},
            ],
            "words": [[500, 900, " Hello"], [950, 1400, " there,"], [1500, 2100, " general."], [2500, 4000, " Tab"]],
            "languages": ["eng"],
            "speech_detected": True,
            "duration_ms": 4200,
        },
    )
    assert transcripts.asr_response(task, "txt", False) == "Hello there, general.\nTab\there.\n"
    assert (
        transcripts.asr_response(task, "tsv", False)
        == "start\tend\ttext\n500\t2100\tHello there, general.\n2500\t4000\tTab here.\n"
    )
    assert transcripts.asr_response(task, "vtt", False).startswith(
        "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.100\nHello there,\ngeneral.\n"
    )
    assert transcripts.asr_response(task, "srt", False).startswith("1\n00:00:00,500 --> 00:00:02,100\n")
    body = json.loads(transcripts.asr_response(task, "json", True))
    assert body["language"] == "en"
    assert body["segments"][0]["start"] == 0.5 and body["segments"][0]["end"] == 2.1
    assert [word["word"] for word in body["segments"][0]["words"]] == ["Hello", "there,", "general."]
    verbose = json.loads(transcripts.openai_response(task, "verbose_json", {"word"})[1])
    assert verbose["duration"] == 4.2 and verbose["language"] == "english" and "segments" not in verbose
    assert [word["start"] for word in verbose["words"]] == [0.5, 0.95, 1.5, 2.5]


def test_a_wrong_key_is_refused_whatever_header_carries_it(
    live_server: object, english_pcm: bytes, api_key: str, settings: object
) -> None:
    settings.AITASKS_ASR_API_USER = "alice"  # type: ignore[attr-defined]  # keyless requests are allowed
    for headers in ({"APIKey": "wrong"}, {"Authorization": "APIKey wrong"}, {"Authorization": "Bearer wrong"}):
        wrong = requests.post(
            f"{live_server.url}/asr", params={"encode": "false"}, files={"audio_file": english_pcm}, headers=headers
        )
        assert wrong.status_code == 401, headers
        assert wrong.json() == {"error": "invalid or missing API key"}
    # The right key in that header is the account's (refused here for its bad parameter, not its key).
    keyed = requests.post(
        f"{live_server.url}/asr",
        params={"output": "docx"},
        files={"audio_file": english_pcm},
        headers={"APIKey": api_key},
    )
    assert keyed.status_code == 400
    assert keyed.json()["error"].startswith("output:")
