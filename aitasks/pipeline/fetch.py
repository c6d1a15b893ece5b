"""Stage 1: download the origin URL to a local file, safely.

The URL comes from a user, so the fetcher must never be turned against the server's own
network: every hop (redirects included) is resolved once, each address is checked, and the
connection goes to the checked address (no second DNS lookup that could be rebound). Only
hosts named in AITASKS_ALLOWED_PRIVATE_HOSTS may be private or loopback.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from .deadline import transport_until
from .errors import PipelineError, TransientError

VIDEO_PAGE_HOSTS = (
    "youtube.com",
    "youtu.be",
    "vimeo.com",
    "dailymotion.com",
    "twitch.tv",
    "tiktok.com",
    "facebook.com",
    "instagram.com",
)
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# IPv6 prefixes that carry an IPv4 address in their last 32 bits, which Python's `is_global`
# judges by the prefix alone: NAT64 (a gateway forwards to the embedded address) and the
# deprecated IPv4-compatible form (routed to the embedded address by some stacks).
EMBEDDED_IPV4_NETWORKS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))
# IPv6 prefixes refused whatever follows, which some Python versions call global: NAT64 for
# local use (RFC 8215, translated to any IPv4 address a site chooses), IPv4-translated
# addresses (SIIT, RFC 2765) and the deprecated site-local prefix (RFC 3879).
NEVER_PUBLIC_IPV6_NETWORKS = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
    ipaddress.IPv6Network("fec0::/10"),
)


class UnsafeUrl(PipelineError):
    pass


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int
    max_redirects: int = 5
    connect_timeout: float = 10
    read_timeout: float = 30
    total_timeout: float = 1800
    allowed_ports: frozenset[int] = frozenset({80, 443, 8080, 8443})
    allowed_private_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls) -> FetchPolicy:
        from django.conf import settings

        return cls(
            max_bytes=settings.AITASKS_MAX_DOWNLOAD_MB * 1024 * 1024,
            max_redirects=settings.AITASKS_MAX_REDIRECTS,
            connect_timeout=settings.AITASKS_CONNECT_TIMEOUT_S,
            read_timeout=settings.AITASKS_READ_TIMEOUT_S,
            total_timeout=settings.AITASKS_DOWNLOAD_TIMEOUT_S,
            allowed_ports=frozenset(settings.AITASKS_ALLOWED_PORTS),
            allowed_private_hosts=frozenset(host.lower() for host in settings.AITASKS_ALLOWED_PRIVATE_HOSTS),
        )

    def trusts(self, host: str) -> bool:
        return host.lower() in self.allowed_private_hosts


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as written in the URL, without brackets
    port: int


def check_url(url: str, policy: FetchPolicy) -> Target:
    """Reject URLs that are not plain http(s) links to a file; no network access."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(f"invalid url: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("url must start with http:// or https://")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("url has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("url must not contain credentials")
    if _is_video_page(host):
        raise UnsafeUrl(f"{host} links are web pages, not video files: give a direct link to an MP4 file (HTTP/HTTPS)")
    if port is None:  # an explicit ":0" is a port to refuse, not the default one
        port = 443 if parts.scheme == "https" else 80
    if port not in policy.allowed_ports and not policy.trusts(host):
        raise UnsafeUrl(f"port {port} is not allowed (an operator can allow it with AITASKS_ALLOWED_PORTS)")
    return Target(url=url.strip(), scheme=parts.scheme, host=host, port=port)


def _is_video_page(host: str) -> bool:
    host = host.lower()
    return any(host == page or host.endswith("." + page) for page in VIDEO_PAGE_HOSTS)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public_address(mapped)
        if address.teredo is not None:
            return False
        if any(address in network for network in NEVER_PUBLIC_IPV6_NETWORKS):
            return False
        if any(address in network for network in EMBEDDED_IPV4_NETWORKS):
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not address.is_multicast


def resolve(target: Target, policy: FetchPolicy) -> str:
    """The one address this hop connects to, after checking every address the host has."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise PipelineError(f"cannot download url: host {target.host} not found") from None
    except UnicodeError:  # a host name IDNA cannot encode ("a..example.com": an empty label)
        raise PipelineError("cannot download url: invalid url") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not policy.trusts(target.host):
        for address in addresses:
            if not is_public_address(address):
                raise UnsafeUrl(
                    f"cannot download url: {target.host} is not a public address"
                    " (an operator can allow a private or local host with AITASKS_ALLOWED_PRIVATE_HOSTS)"
                )
    return str(addresses[0])


def download(
    url: str,
    destination: Path,
    policy: FetchPolicy,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Stream `url` into `destination`; returns the number of bytes written."""
    deadline = time.monotonic() + policy.total_timeout
    # Each socket operation waits at most its own timeout, and none waits past the deadline.
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    transport = transport_until(deadline)
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=timeout, transport=transport) as client:
        for _hop in range(policy.max_redirects + 1):
            target = check_url(url, policy)
            address = resolve(target, policy)
            try:
                request = _pinned_request(client, target, address)
            except httpx.InvalidURL:  # characters httpx refuses in the path or query
                raise PipelineError("cannot download url: invalid url") from None
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise _timed_out(policy, deadline, "the server did not answer in time") from None
            except httpx.HTTPError as error:
                raise TransientError(f"cannot download url: {_describe(error)}") from None
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise PipelineError("cannot download url: redirect without a location")
                    url = urljoin(target.url, location)
                    continue
                _check_status(response)
                return _save(response, destination, policy, deadline, on_progress)
            finally:
                response.close()
    raise PipelineError(f"cannot download url: more than {policy.max_redirects} redirects")


def _timed_out(policy: FetchPolicy, deadline: float, what: str) -> TransientError:
    """The error for a timeout: the whole download's, once past the deadline, else one wait's."""
    if time.monotonic() >= deadline:
        return TransientError(f"cannot download url: took longer than {policy.total_timeout:.0f} s")
    return TransientError(f"cannot download url: {what}")


def _pinned_request(client: httpx.Client, target: Target, address: str) -> httpx.Request:
    headers = {
        "Accept": "video/*, audio/*, */*;q=0.5",
        # The file as it is: a compressed answer inflates without bound (1.8 KB of gzip
        # in gzip is 1 GiB of zeros), and media files are compressed already.
        "Accept-Encoding": "identity",
        "User-Agent": "aitasks-fetcher/1",
    }
    return pinned_request(client, target, address, "GET", headers)


def pinned_request(
    client: httpx.Client,
    target: Target,
    address: str,
    method: str,
    headers: dict[str, str],
    content: bytes | None = None,
) -> httpx.Request:
    """A request to `target` that connects to `address` (checked by `resolve`), for the
    fetcher and for anything else that calls a user's URL (webhooks)."""
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port != (443 if target.scheme == "https" else 80):
        host_header += f":{target.port}"
    request = client.build_request(
        method,
        target.url,
        headers={"Host": host_header, **headers},
        content=content,
        extensions={"sni_hostname": target.host},
    )
    # Connect to the address that was checked; Host and TLS name stay those of the URL.
    request.url = request.url.copy_with(host=address)
    return request


def _check_status(response: httpx.Response) -> None:
    if response.status_code == 200:
        return
    message = f"cannot download url: HTTP {response.status_code}"
    if response.status_code in RETRYABLE_STATUSES:
        raise TransientError(message)
    raise PipelineError(message)


def _save(
    response: httpx.Response,
    destination: Path,
    policy: FetchPolicy,
    deadline: float,
    on_progress: Callable[[int, int | None], None] | None,
) -> int:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise PipelineError(
            f"cannot download url: the server sent the file compressed (Content-Encoding: {encoding[:40]}); "
            "give a link that serves the file as it is"
        )
    too_large = f"file larger than {policy.max_bytes // (1024 * 1024)} MB"
    declared = _content_length(response)
    if declared is not None and declared > policy.max_bytes:
        raise PipelineError(too_large)
    written = 0
    try:
        with destination.open("wb") as file:
            # The bytes as they arrive, never decoded: the limit counts what the server sent.
            # Past the deadline, the transport's next read times out.
            for chunk in response.iter_raw():
                written += len(chunk)
                if written > policy.max_bytes:
                    raise PipelineError(too_large)
                file.write(chunk)
                if on_progress:
                    on_progress(written, declared)
    except httpx.TimeoutException:
        raise _timed_out(policy, deadline, "the server stopped sending data") from None
    except httpx.HTTPError as error:
        raise TransientError(f"cannot download url: {_describe(error)}") from None
    if written == 0:
        raise PipelineError("file is empty")
    return written


def _content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "connection refused or failed"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the server broke the connection"
    return type(error).__name__
