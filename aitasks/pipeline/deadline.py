"""A network for httpx in which no read or write waits past a download's deadline.

httpx's timeouts apply to each socket operation: a server that sends its response headers one
byte every few seconds never trips the read timeout, and the header phase happens inside
`client.send()`, before the download loop can look at the clock. Here every read, write,
connect and TLS handshake waits at most until the deadline, so the total timeout holds from
the first byte sent to the last byte received.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _until(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _until(self._deadline, timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float) -> None:
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _until(self._deadline, timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        raise httpcore.ConnectError("the fetcher connects over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def transport_until(deadline: float) -> httpx.HTTPTransport:
    """An httpx transport whose connections never wait past `deadline` (time.monotonic())."""
    transport = httpx.HTTPTransport(trust_env=False)
    pool = transport._pool  # httpx builds its httpcore pool with no way to pass a network backend
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpcore version has no _network_backend: pin httpcore 1.x")
    pool._network_backend = DeadlineBackend(deadline)
    return transport


def _until(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the download's total time is up")
    return remaining if timeout is None else min(timeout, remaining)
