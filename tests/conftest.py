from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_BASE_DIR = Path(__file__).resolve().parent.parent
# Before Django reads its settings: what the test environment needs, nothing more.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("AITASKS_ALLOWED_PRIVATE_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("AITASKS_DATA_DIR", tempfile.mkdtemp(prefix="aitasks-test-"))
os.environ.setdefault("AITASKS_MODEL_CACHE_DIR", str(_BASE_DIR / "var" / "models"))
# Tests that play a worker's start (post_spawn) must not leave a delivery pool polling the test
# database; the service's own processes (tests/test_service.py) run theirs.
os.environ.setdefault("AITASKS_WEBHOOK_POOL", "false")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from django.test import Client  # noqa: E402

from tests import media  # noqa: E402

ENGLISH_TEXT = (
    "The quick brown fox jumps over the lazy dog. Subtitles make every video accessible to everyone, everywhere."
)
# The words of ENGLISH_TEXT that carry its meaning: a test asserts that most were heard.
ENGLISH_KEY_WORDS = "quick brown fox jumps over lazy dog subtitles make every video accessible everyone everywhere"

ENGLISH_BEFORE = "Good morning everyone. Today we talk about the weather in Berlin and the trains."
GERMAN_MIDDLE = "Guten Morgen. Heute sprechen wir über das Wetter in Berlin und über die Züge der Bahn."
ENGLISH_AFTER = "Thank you very much. See you next week for another episode."
SPANISH_TEXT = "Buenos días a todos. Hoy hablamos del tiempo en Madrid y de los trenes."


@pytest.fixture(autouse=True)
def _test_settings(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    # The manifest storage needs collectstatic; tests render templates without it.
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SQLite tests run on a file, as the service does (WAL, waiting for locks), not in memory:
    an in-memory database shared between threads (the live server, the browser tests' worker)
    fails at once with "database table is locked" where a file waits its turn."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        settings_dict["TEST"]["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


# --- rows and clients: the builders every test file uses -------------------------------------

# Port 9 (discard) on loopback: a URL the form accepts and no test ever fetches.
TASK_URL = "http://127.0.0.1:9/a.mp4"


@pytest.fixture
def user(django_user_model: object) -> object:
    return django_user_model.objects.create_user("alice", password="correct horse battery staple")  # type: ignore[attr-defined]


@pytest.fixture
def other_user(django_user_model: object) -> object:
    return django_user_model.objects.create_user("mallory", password="another long passphrase")  # type: ignore[attr-defined]


def make_key(owner: object, name: str = "") -> str:
    """A new API key of `owner`: the key itself, as the client sends it."""
    from aitasks.models import ApiKey

    return ApiKey.issue(owner, name=name)[1]


def api_client(owner: object) -> Client:
    """A test client that sends an API key of `owner`, as the SDK does."""
    return Client(HTTP_AUTHORIZATION=f"APIKey {make_key(owner)}")


def signed_in(owner: object) -> Client:
    """A test client signed in to the dashboard as `owner`."""
    client = Client()
    client.force_login(owner)  # type: ignore[arg-type]
    return client


def make_task(owner: object, **fields: object) -> object:
    """A task row: the fields given, TASK_URL and the model's defaults for the rest."""
    from aitasks.models import Task

    fields.setdefault("url", TASK_URL)
    return Task.objects.create(owner=owner, **fields)


def make_video(owner: object, file: Path | bytes | None = None, **fields: object) -> object:
    """A video row; with `file` (a media file to copy, or bytes), stored and READY."""
    from aitasks.models import Video, VideoStatus

    fields.setdefault("name", "Keynote")
    if file is not None:
        fields.setdefault("status", VideoStatus.READY)
    video = Video.objects.create(owner=owner, **fields)
    if file is not None:
        video.directory.mkdir(parents=True, exist_ok=True)
        video.file_path.write_bytes(file if isinstance(file, bytes) else Path(file).read_bytes())
    return video


@pytest.fixture
def api_key(user: object) -> str:
    return make_key(user)


@pytest.fixture
def api(api_key: str) -> Client:
    """A test client that sends alice's API key, as the SDK does."""
    return Client(HTTP_AUTHORIZATION=f"APIKey {api_key}")


@pytest.fixture
def editor(user: object) -> Client:
    """A test client signed in to the dashboard as alice."""
    return signed_in(user)


class MediaServer:
    """A real HTTP server on 127.0.0.1 serving files from a folder, plus a few misbehaving paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, directory=str(server.root), **kwargs)  # type: ignore[arg-type]

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path.startswith("/status/"):
                    self.send_response(int(path.rsplit("/", 1)[1]))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path.startswith("/redirect/"):
                    # /redirect/N/name: N more hops, then the file `name`
                    _, _, hops, name = path.split("/", 3)
                    target = f"/redirect/{int(hops) - 1}/{name}" if int(hops) > 1 else f"/{name}"
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path.startswith("/slow/"):
                    # /slow/S/name: wait S seconds, then serve the file `name`
                    _, _, seconds, name = path.split("/", 3)
                    time.sleep(float(seconds))
                    self.path = "/" + name
                    super().do_GET()
                elif path == "/trickle":
                    # a server that never stops sending, one byte at a time
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.end_headers()
                    try:
                        for _ in range(600):
                            self.wfile.write(b"\0")
                            self.wfile.flush()
                            time.sleep(0.2)
                    except OSError:
                        pass
                elif path == "/loop":
                    self.send_response(302)
                    self.send_header("Location", "/loop")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif path == "/gzip-bomb":
                    # ~2 KB on the wire, 1 GiB for a client that inflates it
                    body = media.gzip_bomb()
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.send_header("Content-Encoding", "gzip, gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif path == "/gzip-bomb-undeclared":
                    # the same bytes without the header: a file like any other, stored as sent
                    body = media.gzip_bomb()
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif path == "/huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.send_header("Content-Length", str(50 * 1024**3))
                    self.end_headers()
                else:
                    super().do_GET()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that hang up early (size limits, timeouts) are the point of some tests

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def add(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return self.url(name)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fixture media made once per session: espeak-ng speech in MP4 files."""
    root = tmp_path_factory.mktemp("media")
    speech = np.concatenate([media.silence(0.8), media.speak(ENGLISH_TEXT), media.silence(0.6)])
    media.write_mp4(root / "english.mp4", [speech])
    media.write_mp4(root / "silence.mp4", [media.silence(4)])
    # English → German → English, for code-switching (espeak's "de+m3" voice: Whisper hears
    # the plain "de" voice as Thai), and Spanish for translation.
    media.write_mp4(
        root / "code-switching.mp4",
        [
            np.concatenate(
                [
                    media.silence(0.5),
                    media.speak(ENGLISH_BEFORE),
                    media.silence(0.8),
                    media.speak(GERMAN_MIDDLE, voice="de+m3", speed=130),
                    media.silence(0.8),
                    media.speak(ENGLISH_AFTER),
                    media.silence(0.5),
                ]
            )
        ],
    )
    spanish = media.speak(SPANISH_TEXT, voice="es", speed=140)
    media.write_mp4(root / "spanish.mp4", [np.concatenate([media.silence(0.5), spanish, media.silence(0.5)])])
    noise = (np.random.default_rng(7).standard_normal(6 * media.RATE) * 0.1).astype(np.float32)
    media.write_mp4(root / "noise.mp4", [noise])
    melody = np.concatenate([media.tone(0.4, frequency) for frequency in (262, 294, 330, 349, 392, 440, 494, 523) * 2])
    media.write_mp4(root / "melody.mp4", [melody])
    # 40 s of music before anyone speaks: Whisper's own language ID looks at the first 30 s only.
    intro = np.concatenate([melody] * 7)[: 40 * media.RATE]
    media.write_mp4(root / "late-speech.mp4", [np.concatenate([intro, media.silence(0.5), speech])])
    media.write_mp4(root / "video-only.mp4", [], video=True)
    (root / "page.html").write_bytes(b"<!doctype html><title>Not a video</title><p>Hello</p>")
    (root / "empty.mp4").write_bytes(b"")
    whole = (root / "english.mp4").read_bytes()
    (root / "truncated.mp4").write_bytes(whole[: len(whole) // 3])
    return root


@pytest.fixture(scope="session")
def media_server(media_dir: Path) -> Iterator[MediaServer]:
    server = MediaServer(media_dir)
    yield server
    server.close()


def wait_for(predicate: object, timeout: float = 60, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def run_queued_tasks(limit: int = 100) -> int:
    """Do what a django-q2 worker does with the ORM broker's queue: take each message in
    order, unpack the signed package and call its function. Returns how many ran."""
    from django.utils.module_loading import import_string
    from django_q.models import OrmQ

    ran = 0
    while ran < limit and (message := OrmQ.objects.order_by("id").first()) is not None:
        package = message.task
        message.delete()
        function = import_string(package["func"]) if isinstance(package["func"], str) else package["func"]
        function(*package["args"], **package["kwargs"])
        ran += 1
    return ran


@pytest.fixture
def queue_worker() -> Iterator[None]:
    """The queue's worker, in a thread: takes each queued message as django-q2 would, while a
    live server's request waits for its task."""
    stop = threading.Event()

    def loop() -> None:
        from django.db import connection

        while not stop.is_set():
            run_queued_tasks()
            stop.wait(0.2)
        connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=60)
