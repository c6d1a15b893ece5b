"""One client cannot hold every web thread (issue 22, item 2): the real gunicorn
(gunicorn.conf.py, 2 processes × 4 threads) on 127.0.0.1 under a small, bounded load, while
another client's requests keep answering. No django-q2 worker runs: the queue never moves, as
when the worker is busy with someone else's film.
"""

from __future__ import annotations

import io
import math
import socket
import struct
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.test_service import Service

THREADS = 8  # WEB_WORKERS=2 × WEB_THREADS=4
ATTACKERS = THREADS + 4


def tone_wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(16000)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * n / 16000)) for n in range(int(16000 * seconds)))
        file.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return out.getvalue()


@pytest.fixture
def service(tmp_path: Path) -> Callable[..., Service]:
    started: list[Service] = []

    def start(**settings: str) -> Service:
        service = Service(tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
        service.env |= {"WEB_THREADS": "4", "AITASKS_ASR_API_USER": "bazarr"} | settings
        started.append(service)
        service.manage("migrate", "--noinput", "-v0")
        service.keys = {
            name: service.manage("create_api_key", name, "--create-user").strip().splitlines()[-1]
            for name in ("alice", "bob", "bazarr")
        }
        service.start_web()
        return service

    yield start
    for service in started:
        service.stop()


def others_answer(service: Service, seconds: float) -> list[float]:
    """Another client's requests, one after another for `seconds`: their latencies. Each must
    answer within 3 s."""
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        response = httpx.get(
            service.url + "/streaming/ai/info", headers={"Authorization": f"APIKey {service.keys['bob']}"}, timeout=3
        )
        assert response.status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.2)
    return latencies


def drip(port: int, head: bytes, body: bytes, every: float, stop: threading.Event, answers: list[bytes]) -> None:
    """Send `head` a byte (and then `body` 10 bytes) every `every` s until the server answers or
    closes, or `stop`."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        pieces = [head[i : i + 1] for i in range(len(head))] if not body else [head]
        pieces += [body[i : i + 10] for i in range(0, len(body), 10)]
        for piece in pieces:
            try:
                sock.sendall(piece)
            except OSError:
                break
            sock.settimeout(every)
            try:
                answer = sock.recv(200)
            except TimeoutError:
                if stop.is_set():
                    return
                continue
            except OSError:
                answer = b""
            answers.append(answer)
            return


def attack(service: Service, head: bytes, body: bytes = b"") -> tuple[threading.Event, list[threading.Thread], list]:
    stop, answers = threading.Event(), []
    threads = [
        threading.Thread(target=drip, args=(service.port, head, body, 0.5, stop, answers), daemon=True)
        for _ in range(ATTACKERS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    return stop, threads, answers


def test_clients_dripping_request_headers_hold_no_thread_and_are_cut_off(service: Callable[..., Service]) -> None:
    web = service(AITASKS_HEADER_TIMEOUT_S="3")
    head = b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 100 + b"\r\n\r\n"
    stop, threads, answers = attack(web, head)
    latencies = others_answer(web, 5)
    assert max(latencies) < 2
    for thread in threads:
        thread.join(timeout=5)
    stop.set()
    assert len(answers) == ATTACKERS  # every one cut off, none served: they were still sending
    assert all(answer.startswith(b"HTTP/1.1 408") or answer == b"" for answer in answers)


def test_uploads_trickling_their_body_are_cut_off_and_others_keep_answering(service: Callable[..., Service]) -> None:
    # Enough wait slots for every trickler: only the body's pace stops them here, so for its 1 s
    # of grace they may hold every thread (one account holds at most 2 with the default slots).
    web = service(AITASKS_BODY_TIMEOUT_S="1", AITASKS_SYNC_WAITS_PER_ACCOUNT="50")
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n' + tone_wav(1)
    head = (
        "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {web.keys['alice']}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(body) + 8}\r\n\r\n"
    ).encode()
    stop, threads, answers = attack(web, head, body)
    latencies = others_answer(web, 6)
    assert max(latencies) < 2.5
    for thread in threads:
        thread.join(timeout=5)
    stop.set()
    assert len(answers) == ATTACKERS
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers), answers


def _post_audio(web: Service, path: str, key: str | None, audio: bytes, results: list, timeout: float = 15) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    field = "file" if path.startswith("/v1") else "audio_file"
    started = time.monotonic()
    response = httpx.post(
        web.url + path,
        files={field: ("a.wav", audio, "audio/wav"), "model": (None, "whisper-1")},
        headers=headers,
        timeout=timeout,
    )
    results.append((response, time.monotonic() - started))


def _in_background(*args: object) -> tuple[threading.Thread, list]:
    results: list = []
    thread = threading.Thread(target=_post_audio, args=(*args, results), daemon=True)
    thread.start()
    return thread, results


def test_a_third_waiting_request_of_one_account_is_refused_at_once_while_another_account_waits(
    service: Callable[..., Service],
) -> None:
    web = service(AITASKS_SYNC_WAIT_BASE_S="4", AITASKS_SYNC_WAIT_FACTOR="0")
    audio = tone_wav(1)
    waiting = [_in_background(web, "/v1/audio/transcriptions", web.keys["alice"], audio) for _ in range(2)]
    time.sleep(1.5)
    third: list = []
    _post_audio(web, "/v1/audio/transcriptions", web.keys["alice"], audio, third)
    (refused, took) = third[0]
    assert refused.status_code == 429 and took < 1
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert refused.json()["error"]["code"] == "concurrent_requests"
    others: list = []
    _post_audio(web, "/v1/audio/transcriptions", web.keys["bob"], audio, others)
    assert others[0][0].status_code == 504  # waited its 4 s, and goes on as a task
    assert "/streaming/ai/tasks/" in others[0][0].json()["error"]["message"]
    for thread, results in waiting:
        thread.join()
        assert results[0][0].status_code == 504
    # Their slots are free again.
    again: list = []
    _post_audio(web, "/v1/audio/transcriptions", web.keys["alice"], audio, again)
    assert again[0][0].status_code == 504


def test_keyless_asr_requests_are_counted_per_client_address(service: Callable[..., Service]) -> None:
    web = service(AITASKS_SYNC_WAIT_BASE_S="4", AITASKS_SYNC_WAIT_FACTOR="0")
    audio = tone_wav(1)
    waiting = [_in_background(web, "/asr?output=txt", None, audio) for _ in range(2)]
    time.sleep(1.5)
    third: list = []
    _post_audio(web, "/asr?output=txt", None, audio, third)
    assert third[0][0].status_code == 429 and third[0][1] < 1
    assert "this address" in third[0][0].json()["error"]
    keyed: list = []  # the same account with its key is not that address's
    _post_audio(web, "/asr?output=txt", web.keys["bazarr"], audio, keyed)
    assert keyed[0][0].status_code == 504
    for thread, _results in waiting:
        thread.join()


def test_a_file_longer_than_the_sync_apis_take_is_refused_up_front_and_no_wait_outlasts_the_cap(
    service: Callable[..., Service],
) -> None:
    web = service(
        AITASKS_SYNC_WAIT_BASE_S="2",
        AITASKS_SYNC_WAIT_FACTOR="3",
        AITASKS_SYNC_WAIT_MAX_S="4",
        AITASKS_SYNC_MAX_AUDIO_S="2",
    )
    results: list = []
    _post_audio(web, "/v1/audio/transcriptions", web.keys["alice"], tone_wav(3), results, timeout=5)
    response, took = results[0]  # 3 s of audio > 2 s
    assert response.status_code == 400 and took < 2
    assert response.json()["error"]["code"] == "audio_too_long"
    assert "POST /streaming/ai/tasks" in response.json()["error"]["message"]
    _post_audio(web, "/asr?output=txt", web.keys["alice"], tone_wav(3), results, timeout=5)
    assert results[1][0].status_code == 400 and "AITASKS_SYNC_MAX_AUDIO_S" in results[1][0].json()["error"]
    _post_audio(web, "/v1/audio/transcriptions", web.keys["alice"], tone_wav(2), results, timeout=15)
    response, took = results[2]  # accepted; its wait, 2 + 3 × 2 s = 8 s, is cut to 4 s (no worker runs)
    assert response.status_code == 504 and 3.5 < took < 7.5, took
    _post_audio(web, "/detect-language", web.keys["alice"], tone_wav(3), results, timeout=15)
    assert results[3][0].status_code == 504  # language identification takes any length: queued, waited for
