"""Stage 1, the fetcher: URL checks, address checks and downloads from real servers on 127.0.0.0/8.

Nothing here may reach another address: a guard records (and refuses) any connection outside
127.0.0.0/8 and any DNS lookup of a name that is neither numeric nor `localhost`, so a
regression in the fetcher fails the test instead of sending traffic.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from aitasks.pipeline import fetch
from aitasks.pipeline.errors import PipelineError, TransientError
from aitasks.pipeline.fetch import FetchPolicy, UnsafeUrl, check_url, download, is_public_address, resolve

MB = 1024 * 1024
LOOPBACK = frozenset({"127.0.0.1", "localhost"})


def policy(**overrides: object) -> FetchPolicy:
    values: dict[str, object] = {"max_bytes": 100 * MB, "allowed_private_hosts": LOOPBACK}
    values.update(overrides)
    return FetchPolicy(**values)  # type: ignore[arg-type]


# --- the guard: no traffic leaves 127.0.0.0/8 -----------------------------------------------


_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _is_numeric_host(host: object) -> bool:
    if not isinstance(host, str):
        return True
    try:
        ipaddress.ip_address(host.split("%")[0])
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)  # glibc parses 2130706433, 0x7f.1, 017700000001 without DNS
        return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[object]]]:
    seen: dict[str, list[object]] = {"connections": [], "lookups": []}

    def connect(sock: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address  # type: ignore[index]
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not ipaddress.ip_address(host).is_loopback:  # type: ignore[arg-type]
            seen["connections"].append(address)
            raise ConnectionRefusedError(f"test guard: no connections outside 127.0.0.0/8 ({host})")
        return _real_connect(sock, address)  # type: ignore[arg-type]

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        if not _is_numeric_host(host) and host != "localhost":
            # The only resolver here is outside 127.0.0.0/8: answer as a DNS failure would.
            seen["lookups"].append(host)
            raise socket.gaierror(socket.EAI_NONAME, "test guard: no DNS")
        return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield seen
    assert seen["connections"] == [], "the fetcher tried to connect outside 127.0.0.0/8"


# --- a server that misbehaves on purpose ------------------------------------------------------


class TrickyServer:
    """A real HTTP server on a loopback address, recording what it receives."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[tuple[str, str]] = []  # (path, Host header)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # a body without Content-Length ends when the connection closes

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Host", "")))
                parts = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(parts.query).items()}
                if parts.path == "/host":
                    body = self.headers.get("Host", "").encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif parts.path == "/accept-encoding":
                    body = self.headers.get("Accept-Encoding", "").encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif parts.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", query["to"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif parts.path == "/undeclared":
                    # `size` bytes with no Content-Length: only counting can stop it.
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b"x" * int(query["size"]))
                elif parts.path == "/trickle":
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    try:
                        for _ in range(20):  # ends by itself, whatever the client does
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(0.3)
                    except OSError:
                        pass
                elif parts.path == "/slow-headers":
                    # the status line, then one header byte at a time: each read is quick
                    try:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                        for byte in b"X-Padding: " + b"a" * 18:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.3)
                    except OSError:
                        pass
                elif parts.path == "/empty":
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def tricky() -> Iterator[TrickyServer]:
    server = TrickyServer()
    yield server
    server.close()


# --- check_url: no network ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/video.mp4",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "example.com/v.mp4",
    ],
)
def test_it_refuses_schemes_other_than_http_and_https(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="url must start with http:// or https://"):
        check_url(url, policy())


@pytest.mark.parametrize("url", ["http://user:secret@example.com/v.mp4", "https://user@example.com/v.mp4"])
def test_it_refuses_credentials_in_the_url(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="must not contain credentials"):
        check_url(url, policy())


@pytest.mark.parametrize(
    "url", ["http://example.com:22/v.mp4", "https://example.com:6379/v.mp4", "http://example.com:0/"]
)
def test_it_refuses_ports_outside_the_allowed_ones(url: str) -> None:
    with pytest.raises(UnsafeUrl, match=r"port \d+ is not allowed"):
        check_url(url, policy())


def test_it_accepts_the_allowed_ports_and_the_default_ones() -> None:
    assert check_url("http://example.com/v.mp4", policy()).port == 80
    assert check_url("https://example.com/v.mp4", policy()).port == 443
    assert check_url("http://example.com:8080/v.mp4", policy()).port == 8080
    assert check_url("https://example.com:8443/v.mp4", policy()).port == 8443


def test_it_allows_any_port_on_an_allow_listed_host() -> None:
    assert check_url("http://127.0.0.1:54321/v.mp4", policy()).port == 54321
    with pytest.raises(UnsafeUrl, match="port 54321 is not allowed"):
        check_url("http://127.0.0.1:54321/v.mp4", policy(allowed_private_hosts=frozenset()))


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ",
        "https://vimeo.com/76979871",
        "https://player.vimeo.com/video/76979871",
        "https://WWW.YouTube.com/watch?v=x",
        "https://m.youtube.com./watch?v=x",
    ],
)
def test_it_refuses_video_page_links_and_says_why(url: str) -> None:
    with pytest.raises(UnsafeUrl) as caught:
        check_url(url, policy())
    message = str(caught.value)
    assert "links are web pages, not video files" in message
    assert "direct link to an MP4 file" in message


def test_it_does_not_mistake_lookalike_hosts_for_video_pages() -> None:
    assert check_url("https://notyoutube.com/v.mp4", policy()).host == "notyoutube.com"
    assert check_url("https://youtube.com.example.org/v.mp4", policy()).host == "youtube.com.example.org"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com:99999/", "invalid url"),
        ("http://example.com:port/", "invalid url"),
        ("http://[::1/", "invalid url"),
        ("http:///v.mp4", "url has no host"),
        ("http://", "url has no host"),
        ("", "url must start with"),
    ],
)
def test_it_refuses_invalid_urls_with_a_readable_message(url: str, message: str) -> None:
    with pytest.raises(UnsafeUrl, match=message):
        check_url(url, policy())


def test_it_keeps_the_host_as_written_without_brackets_or_trailing_dot() -> None:
    assert check_url("  http://Example.COM./v.mp4  ", policy()).host == "example.com"
    target = check_url("http://[2606:4700::1111]/v.mp4", policy())
    assert (target.host, target.port, target.url) == ("2606:4700::1111", 80, "http://[2606:4700::1111]/v.mp4")


# --- is_public_address ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "100.127.255.255",
        "224.0.0.1",  # multicast
        "239.255.255.250",
        "0.0.0.0",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "240.0.0.1",  # reserved
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",  # IPv6 multicast
        "ff0e::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::a00:1",  # IPv4-compatible 10.0.0.1
        "2001:db8::1",  # documentation
        "64:ff9b:1::1",  # NAT64 for local use
        "64:ff9b:1:ffff::808:808",
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
        "::ffff:0:808:808",  # IPv4-translated, whatever the address
        "fec0::1",  # site-local
        "feff:ffff::1",
    ],
)
def test_it_refuses_addresses_that_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "93.184.216.34",
        "1.1.1.1",
        "2606:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "2002:808:808::1",
    ],
)
def test_it_accepts_public_addresses(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


# --- resolve ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/v.mp4",
        "http://localhost/v.mp4",
        "http://127.0.0.2/v.mp4",
        "http://10.1.2.3/v.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/v.mp4",
        "http://[::ffff:127.0.0.1]/v.mp4",
        "http://[fe80::1]/v.mp4",
        "http://0.0.0.0/v.mp4",
    ],
)
def test_it_refuses_hosts_that_resolve_to_private_addresses(url: str) -> None:
    strict = policy(allowed_private_hosts=frozenset())
    with pytest.raises(UnsafeUrl, match="is not a public address"):
        resolve(check_url(url, strict), strict)


@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0x7f.1/", "http://017700000001/", "http://0x7f000001/", "http://127.1/"]
)
def test_it_refuses_other_spellings_of_loopback_that_are_not_allow_listed(url: str) -> None:
    # 127.0.0.1 is allow-listed, but only by that name: its other spellings stay refused.
    with pytest.raises(UnsafeUrl, match="is not a public address"):
        resolve(check_url(url, policy()), policy())


def test_it_resolves_allow_listed_private_hosts() -> None:
    assert resolve(check_url("http://127.0.0.1:8000/v.mp4", policy()), policy()) == "127.0.0.1"
    assert resolve(check_url("http://LocalHost:8000/v.mp4", policy()), policy()) == "127.0.0.1"


def test_it_resolves_a_public_address_to_itself_without_any_lookup(network_guard: dict[str, list[object]]) -> None:
    assert resolve(check_url("http://8.8.8.8/v.mp4", policy()), policy()) == "8.8.8.8"
    assert resolve(check_url("http://[2606:4700::1111]/v.mp4", policy()), policy()) == "2606:4700::1111"
    assert network_guard["lookups"] == []


def test_it_refuses_a_host_when_any_of_its_addresses_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(UnsafeUrl, match="videos.example is not a public address"):
        resolve(check_url("http://videos.example/v.mp4", policy()), policy())


def test_it_reports_a_host_that_does_not_exist() -> None:
    with pytest.raises(PipelineError, match="host no-such-host.invalid not found") as caught:
        resolve(check_url("http://no-such-host.invalid/v.mp4", policy()), policy())
    assert caught.value.permanent


# --- download ---------------------------------------------------------------------------------


def test_it_saves_the_file_byte_for_byte(media_server: object, media_dir: Path, tmp_path: Path) -> None:
    progress: list[tuple[int, int | None]] = []
    destination = tmp_path / "origin"
    written = download(media_server.url("english.mp4"), destination, policy(), lambda *args: progress.append(args))  # type: ignore[attr-defined]
    original = (media_dir / "english.mp4").read_bytes()
    assert destination.read_bytes() == original
    assert written == len(original)
    assert progress[-1] == (len(original), len(original))


# A fresh interpreter downloads the bomb and reports its own peak memory: the test process's
# peak is that of every test before it.
_DOWNLOAD_IN_A_FRESH_PROCESS = """
import json, sys, time
from pathlib import Path
from aitasks.pipeline.fetch import FetchPolicy, download
from aitasks.pipeline.errors import PipelineError
url, destination = sys.argv[1], Path(sys.argv[2])
started = time.monotonic()
try:
    size, error = download(url, destination, FetchPolicy(max_bytes=2048 << 20, allowed_private_hosts=frozenset({"127.0.0.1"}))), ""
except PipelineError as problem:
    size, error = 0, str(problem)
# VmHWM: this process's own peak (ru_maxrss would carry the parent's over exec).
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"size": size, "error": error, "seconds": time.monotonic() - started, "peak_mb": peak_kb / 1024}))
"""


def _download_in_a_fresh_process(url: str, destination: Path) -> dict[str, object]:
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _DOWNLOAD_IN_A_FRESH_PROCESS, url, str(destination)],
        cwd=root, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_a_gzip_bomb_is_refused_unopened_in_little_memory_and_time(media_server: object, tmp_path: Path) -> None:
    # 1.8 KB sent with Content-Encoding: gzip, gzip, 1 GiB inflated: nothing is inflated.
    from tests import media

    media.gzip_bomb()  # built before the clock starts
    outcome = _download_in_a_fresh_process(media_server.url("gzip-bomb"), tmp_path / "origin")  # type: ignore[attr-defined]
    assert "the server sent the file compressed (Content-Encoding: gzip, gzip)" in outcome["error"]
    assert outcome["peak_mb"] < 150, outcome
    assert outcome["seconds"] < 5, outcome
    assert not (tmp_path / "origin").exists()


def test_compressed_bytes_without_a_content_encoding_are_stored_as_sent(media_server: object, tmp_path: Path) -> None:
    from tests import media

    outcome = _download_in_a_fresh_process(media_server.url("gzip-bomb-undeclared"), tmp_path / "origin")  # type: ignore[attr-defined]
    assert outcome["size"] == len(media.gzip_bomb()) < 4096, outcome
    assert (tmp_path / "origin").read_bytes() == media.gzip_bomb()
    assert outcome["peak_mb"] < 150, outcome


def test_it_asks_for_the_file_as_it_is(tricky: TrickyServer, tmp_path: Path) -> None:
    download(tricky.url("/accept-encoding"), tmp_path / "origin", policy())
    assert (tmp_path / "origin").read_bytes() == b"identity"


def test_it_reports_http_404_as_a_permanent_failure(media_server: object, tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="^cannot download url: HTTP 404$") as caught:
        download(media_server.url("status/404"), tmp_path / "origin", policy())  # type: ignore[attr-defined]
    assert not isinstance(caught.value, TransientError)
    assert caught.value.permanent


@pytest.mark.parametrize("status", [503, 429, 502])
def test_it_reports_overloaded_servers_as_transient(media_server: object, tmp_path: Path, status: int) -> None:
    with pytest.raises(TransientError, match=f"cannot download url: HTTP {status}") as caught:
        download(media_server.url(f"status/{status}"), tmp_path / "origin", policy())  # type: ignore[attr-defined]
    assert not caught.value.permanent


def test_it_follows_redirects_up_to_the_limit(media_server: object, media_dir: Path, tmp_path: Path) -> None:
    destination = tmp_path / "origin"
    download(media_server.url("redirect/3/english.mp4"), destination, policy(max_redirects=3))  # type: ignore[attr-defined]
    assert destination.read_bytes() == (media_dir / "english.mp4").read_bytes()


def test_it_refuses_one_redirect_more_than_the_limit(media_server: object, tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="more than 3 redirects"):
        download(media_server.url("redirect/4/english.mp4"), tmp_path / "origin", policy(max_redirects=3))  # type: ignore[attr-defined]


def test_it_refuses_a_redirect_loop(media_server: object, tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="more than 5 redirects"):
        download(media_server.url("loop"), tmp_path / "origin", policy())  # type: ignore[attr-defined]


def test_it_refuses_a_declared_size_over_the_limit_at_once(media_server: object, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(PipelineError, match="^file larger than 100 MB$"):
        download(media_server.url("huge"), tmp_path / "origin", policy())  # type: ignore[attr-defined]
    assert time.monotonic() - started < 2
    assert not (tmp_path / "origin").exists() or (tmp_path / "origin").stat().st_size == 0


def test_it_refuses_an_undeclared_body_over_the_limit(tricky: TrickyServer, tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="^file larger than 1 MB$"):
        download(tricky.url(f"/undeclared?size={3 * MB}"), tmp_path / "origin", policy(max_bytes=MB))
    assert (tmp_path / "origin").stat().st_size <= MB


def test_it_accepts_an_undeclared_body_within_the_limit(tricky: TrickyServer, tmp_path: Path) -> None:
    assert download(tricky.url(f"/undeclared?size={MB}"), tmp_path / "origin", policy(max_bytes=MB)) == MB


def test_it_refuses_a_file_bigger_than_a_tiny_limit(media_server: object, tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="file larger than 0 MB"):
        download(media_server.url("english.mp4"), tmp_path / "origin", policy(max_bytes=1000))  # type: ignore[attr-defined]


def test_it_refuses_an_empty_file(tricky: TrickyServer, tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="^file is empty$"):
        download(tricky.url("/empty"), tmp_path / "origin", policy())


def test_it_refuses_a_redirect_to_a_private_address_without_connecting(tmp_path: Path) -> None:
    # Served on 127.0.0.2 too, so that a connection there would be seen.
    first, second = TrickyServer("127.0.0.1"), TrickyServer("127.0.0.2")
    try:
        only_localhost = policy(allowed_private_hosts=frozenset({"localhost"}), allowed_ports=frozenset({second.port}))
        target = second.url("/host", host="127.0.0.2")
        with pytest.raises(UnsafeUrl, match="127.0.0.2 is not a public address"):
            download(first.url(f"/redirect?to={target}", host="localhost"), tmp_path / "origin", only_localhost)
        assert [path for path, _ in first.requests] == [f"/redirect?to={target}"]
        assert second.requests == []
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/v.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "http://0x0a000001/",
    ],
)
def test_it_refuses_a_redirect_to_a_network_address_without_connecting(
    tricky: TrickyServer, tmp_path: Path, location: str, network_guard: dict[str, list[object]]
) -> None:
    with pytest.raises(UnsafeUrl, match="is not a public address"):
        download(tricky.url(f"/redirect?to={location}"), tmp_path / "origin", policy())
    assert network_guard["connections"] == []


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("file:///etc/passwd", "url must start with http"),
        ("http://www.youtube.com/watch?v=x", "not video files"),
        ("http://user:pw@example.com/", "credentials"),
        ("http://example.com:25/", "port 25 is not allowed"),
    ],
)
def test_it_checks_every_redirect_like_the_first_url(
    tricky: TrickyServer, tmp_path: Path, location: str, message: str
) -> None:
    with pytest.raises(UnsafeUrl, match=message):
        download(tricky.url(f"/redirect?to={location}"), tmp_path / "origin", policy())


def test_it_sends_the_urls_host_to_the_checked_address(tricky: TrickyServer, tmp_path: Path) -> None:
    download(tricky.url("/host", host="localhost"), tmp_path / "origin", policy())
    assert (tmp_path / "origin").read_text() == f"localhost:{tricky.port}"


def test_it_connects_to_the_address_it_checked_not_to_a_second_lookup(
    tricky: TrickyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the first answer passes the check, later ones point elsewhere.
    answers = iter(["127.0.0.1", "127.0.0.3", "127.0.0.3"])
    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        if host != "videos.example":
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    trusted = policy(allowed_private_hosts=frozenset({"videos.example"}))
    download(tricky.url("/host", host="videos.example"), tmp_path / "origin", trusted)
    assert (tmp_path / "origin").read_text() == f"videos.example:{tricky.port}"
    assert lookups == ["videos.example"]


def test_it_gives_up_on_a_server_that_trickles_past_the_total_timeout(tricky: TrickyServer, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(TransientError, match="took longer than 1 s"):
        download(tricky.url("/trickle"), tmp_path / "origin", policy(total_timeout=1, read_timeout=2))
    assert time.monotonic() - started < 3


def test_the_total_timeout_holds_while_a_server_trickles_its_headers(tricky: TrickyServer, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(TransientError, match="took longer than 1 s"):
        download(tricky.url("/slow-headers"), tmp_path / "origin", policy(total_timeout=1, read_timeout=2))
    assert time.monotonic() - started < 2
    assert not (tmp_path / "origin").exists()


def test_it_reports_a_refused_connection_as_transient(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(TransientError, match="connection refused or failed"):
        download(f"http://127.0.0.1:{port}/v.mp4", tmp_path / "origin", policy())


def test_from_settings_reads_the_allow_list_in_lower_case(settings: object) -> None:
    settings.AITASKS_ALLOWED_PRIVATE_HOSTS = ["LocalHost", "127.0.0.1"]  # type: ignore[attr-defined]
    settings.AITASKS_MAX_DOWNLOAD_MB = 7  # type: ignore[attr-defined]
    from_settings = FetchPolicy.from_settings()
    assert from_settings.allowed_private_hosts == frozenset({"localhost", "127.0.0.1"})
    assert from_settings.max_bytes == 7 * MB
    assert from_settings.trusts("LOCALHOST")


def test_the_module_keeps_the_video_page_hosts_in_lower_case() -> None:
    assert all(host == host.lower() for host in fetch.VIDEO_PAGE_HOSTS)


def test_it_brackets_an_ipv6_host_in_the_host_header(tmp_path: Path) -> None:
    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = self.headers.get("Host", "").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    try:
        server = Server(("::1", 0), Handler)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        download(f"http://[::1]:{port}/", tmp_path / "origin", policy(allowed_private_hosts=frozenset({"::1"})))
        assert (tmp_path / "origin").read_text() == f"[::1]:{port}"
    finally:
        server.shutdown()
        server.server_close()
