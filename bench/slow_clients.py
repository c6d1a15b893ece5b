"""Slow and greedy clients against the real gunicorn (issue 22, item 2): what other clients see.

Per scenario a fresh gunicorn (gunicorn.conf.py of --root, SQLite, no django-q2 worker: the
queue never moves, as when the worker is busy) on 127.0.0.1, attackers started, then for
--seconds another client GETs /streaming/ai/info one request after another (a new connection each, 10 s
timeout) and its p50 / max latency and errors are printed, with what the attackers got.

- `a`: N connections send `GET /login` headers a byte every 2 s (a new one when one closes);
- `b`: N concurrent POST /v1/audio/transcriptions of one API key (2 s of audio), each sent
  again as soon as it is answered;
- `b-asr`: the same on /asr with no key (AITASKS_ASR_API_USER set);
- `c`: N keyed uploads to /v1/audio/transcriptions trickling 10 bytes every 2 s.

    .venv/bin/python bench/slow_clients.py [--root CHECKOUT] [--only a,b,b-asr,c]
        [--attackers 12] [--seconds 20]

--root: the checkout whose gunicorn.conf.py and code run (e.g. a worktree of main: before).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import wave
from collections import Counter
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tone_wav(seconds: float = 2.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(16000)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * n / 16000)) for n in range(int(16000 * seconds)))
        file.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return out.getvalue()


class Server:
    def __init__(self, root: Path, directory: Path) -> None:
        self.root, self.port = root, free_port()
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "AITASKS_"))}
        self.env |= {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
            "AITASKS_DATA_DIR": str(directory / "data"),
            "AITASKS_ASR_API_USER": "bazarr",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_WORKERS": "2",
            "WEB_THREADS": "4",
            "PYTHONPATH": str(root),
        }
        if "AITASKS_MODEL_CACHE_DIR" in os.environ:
            self.env["AITASKS_MODEL_CACHE_DIR"] = os.environ["AITASKS_MODEL_CACHE_DIR"]
        self.log = directory / "web.log"
        self.process: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(done.stderr)
        return done.stdout.strip()

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--config", "gunicorn.conf.py"]
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            command, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/login", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not start: " + self.log.read_text()[-2000:])

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


def drip(port: int, head: bytes, body: bytes, stop: threading.Event, seen: Counter, step: int, every: float) -> None:
    """One attacker: sends `head`+`body` `step` bytes every `every` s, reconnecting when closed."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                data, sent = head + body, 0
                if body:  # an upload: the head at once, the body trickled
                    sock.sendall(head)
                    data, sent = body, 0
                while not stop.is_set() and sent < len(data):
                    sock.sendall(data[sent : sent + step])
                    sent += step
                    if stop.wait(every):
                        break
                    sock.setblocking(False)
                    try:
                        answer = sock.recv(200)
                    except BlockingIOError:
                        answer = None
                    sock.setblocking(True)
                    if answer is not None:
                        seen[answer.split(b"\r\n", 1)[0].decode(errors="replace") or "closed"] += 1
                        break
        except OSError as problem:
            seen[type(problem).__name__] += 1
            stop.wait(0.5)


def post_loop(url: str, files: dict, headers: dict, stop: threading.Event, seen: Counter) -> None:
    while not stop.is_set():
        try:
            response = httpx.post(url, files=files, headers=headers, timeout=60)
            seen[str(response.status_code)] += 1
        except httpx.HTTPError as problem:
            seen[type(problem).__name__] += 1


def victim(port: int, seconds: float) -> tuple[list[float], Counter]:
    latencies, errors = [], Counter()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/streaming/ai/info", timeout=10)
            if response.status_code >= 500:
                errors[str(response.status_code)] += 1
        except httpx.HTTPError as problem:
            errors[type(problem).__name__] += 1
        latencies.append(time.monotonic() - started)
        time.sleep(0.1)
    return latencies, errors


def scenario(name: str, server: Server, key: str, attackers: int, seconds: float) -> None:
    port, stop, seen = server.port, threading.Event(), Counter()
    audio = tone_wav()
    boundary = "benchboundary"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode() + audio
    upload_head = (
        f"POST /v1/audio/transcriptions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(multipart) + 100}\r\n\r\n"
    ).encode()
    targets = {
        "a": lambda: drip(
            port, b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 500, b"", stop, seen, 1, 2
        ),
        "b": lambda: post_loop(
            f"http://127.0.0.1:{port}/v1/audio/transcriptions",
            {"file": ("a.wav", audio, "audio/wav"), "model": (None, "whisper-1")},
            {"Authorization": f"Bearer {key}"},
            stop,
            seen,
        ),
        "b-asr": lambda: post_loop(
            f"http://127.0.0.1:{port}/asr?output=txt", {"audio_file": ("a.wav", audio, "audio/wav")}, {}, stop, seen
        ),
        "c": lambda: drip(port, upload_head, multipart, stop, seen, 10, 2),
    }
    threads = [threading.Thread(target=targets[name], daemon=True) for _ in range(attackers)]
    for thread in threads:
        thread.start()
    time.sleep(3)  # the attack in place
    latencies, errors = victim(port, seconds)
    stop.set()
    print(
        f"{name:6} other client: {len(latencies)} requests, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms, errors {sum(errors.values())} {dict(errors) or ''}; "
        f"attackers got {dict(seen)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=HERE)
    parser.add_argument("--only", default="a,b,b-asr,c")
    parser.add_argument("--attackers", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        server = Server(args.root.resolve(), Path(directory))
        server.manage("migrate", "--noinput")
        key = server.manage("create_api_key", "alice", "--create-user")
        server.manage("create_api_key", "bazarr", "--create-user")
        print(f"root {server.root}, {args.attackers} attackers, other client measured for {args.seconds:.0f} s")
        for name in args.only.split(","):
            server.start()
            try:
                scenario(name, server, key, args.attackers, args.seconds)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
