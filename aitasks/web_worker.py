"""gunicorn's threaded worker, with slow clients kept off its threads.

gunicorn's gthread worker hands a connection to a thread as soon as its first byte arrives
(or after 5 s) and then reads the request head and body from a blocking socket without any
time limit: a dozen clients sending a byte every few seconds hold every thread, and everyone
else waits. gunicorn has no setting for it, so this worker (gunicorn.conf.py's worker_class):

- reads the request head in the worker's event loop, with no thread, and hands the connection
  to a thread only once the whole head is there; a head still incomplete
  AITASKS_HEADER_TIMEOUT_S after its first byte could arrive is answered 408 and closed;
- drains a body the application left unread only as far as it has already arrived, and
  closes a connection (waiting for the client's last bytes, as RFC 9112 9.6 asks) in the event
  loop too, where gunicorn would hold a thread for 5 s or its event loop for 2 s;
- lets a thread read the rest (the body) only as fast as the client keeps sending: after
  AITASKS_BODY_TIMEOUT_S of grace, at least AITASKS_BODY_MIN_RATE bytes a second on average
  (Apache's mod_reqtimeout works the same way), else the read fails and the connection closes.

Behind a buffering proxy (README, "Deployment") neither ever triggers: the proxy sends whole
requests at once. HTTPS served by gunicorn itself and HTTP/2 keep gunicorn's own path.
"""

from __future__ import annotations

import errno
import selectors
import socket
import time
from collections import deque
from functools import partial
from typing import Any

from django.conf import settings
from gunicorn.http.errors import NoMoreData
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

HEAD_END = b"\r\n\r\n"
# gunicorn's own figures for a closing connection: how long and how much to read of what the
# client still sends, so that the kernel does not reset the connection under the last answer.
LINGER_S = 2.0
LINGER_BYTES = 65536
REQUEST_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class TooSlow(NoMoreData):
    """The client sends its request slower than the least rate allowed. A NoMoreData, so
    gunicorn closes the connection as it does for a client that went away."""

    def __str__(self) -> str:
        return "the request arrives too slowly"


class PacedSocket:
    """The socket a request is read from, each read given only the time the client has left:
    `grace` seconds from the start of the request, plus 1 s for every `min_rate` bytes sent."""

    def __init__(self, sock: socket.socket, grace: float, min_rate: float) -> None:
        self.sock, self.grace, self.min_rate = sock, grace, min_rate
        self.restart()

    def restart(self) -> None:
        self.started = time.monotonic()
        self.received = 0

    def recv(self, size: int) -> bytes:
        allowed = self.started + self.grace + self.received / self.min_rate - time.monotonic()
        if allowed <= 0:
            raise TooSlow()
        prior = self.sock.gettimeout()
        self.sock.settimeout(allowed if prior is None else min(prior, allowed))
        try:
            data = self.sock.recv(size)
        except TimeoutError:
            raise TooSlow() from None
        finally:
            self.sock.settimeout(prior)
        self.received += len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class SlowClientsWorker(ThreadWorker):
    def init_process(self) -> None:
        self.heads: deque[TConn] = deque()  # in deadline order: all have the same timeout
        self.lingering: deque[TConn] = deque()  # likewise
        super().init_process()  # loads the app (Django's settings), then runs the loop

    def run(self) -> None:
        self.header_timeout = settings.AITASKS_HEADER_TIMEOUT_S
        self.body_grace = settings.AITASKS_BODY_TIMEOUT_S
        self.body_min_rate = settings.AITASKS_BODY_MIN_RATE
        # The parser refuses a longer head itself (400); buffering it all first is pointless.
        self.max_head = (
            self.cfg.limit_request_line + self.cfg.limit_request_fields * (self.cfg.limit_request_field_size + 2) + 4
        )
        try:
            super().run()
        finally:
            # Its threads die with it: the slots they held are free (aitasks.models.waits).
            from .models.waits import WaitSlot, this_process

            WaitSlot.objects.filter(process=this_process()).delete()

    def accept(self, listener: socket.socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        if self.cfg.is_ssl or negotiation.prior_knowledge_allowed(self.cfg, client_addr):
            client_sock.setblocking(True)
            self.enqueue_req(conn)  # gunicorn's own path: the TLS handshake needs a thread
            return
        self.read_head_of(conn)

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        """A kept-alive connection's next request: its head is read here too."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.read_head_of(conn)

    def read_head_of(self, conn: TConn) -> None:
        conn.sock.setblocking(False)
        conn.head = bytearray()
        conn.head_deadline = time.monotonic() + self.header_timeout
        self.heads.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_head_readable, conn))
        self.on_head_readable(conn, conn.sock)  # the head often came with the connection

    def on_head_readable(self, conn: TConn, client: socket.socket) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop_head(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.head += data
        # Search only what could hold a new end of the head.
        if HEAD_END in conn.head[-(len(data) + 3) :] or len(conn.head) > self.max_head:
            self._drop_head(conn)
            conn.data_ready = True  # no more waiting for a first byte in the thread
            self.enqueue_req(conn)

    def _drop_head(self, conn: TConn) -> None:
        self.poller.unregister(conn.sock)
        self.heads.remove(conn)

    def finish_request(self, conn: TConn, fs: Any) -> None:
        done = not fs.cancelled() and fs.exception() is None
        if done and fs.result() is False and not self.cfg.is_ssl and not conn.is_http2:
            self.nr_conns -= 1
            self.linger(conn)
            return
        super().finish_request(conn, fs)

    def linger(self, conn: TConn) -> None:
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_linger_readable, conn))
        except (OSError, ValueError, KeyError):
            conn.close()
            return
        conn.linger_deadline = time.monotonic() + LINGER_S
        conn.lingered = 0
        self.lingering.append(conn)

    def on_linger_readable(self, conn: TConn, client: socket.socket) -> None:
        try:
            data = conn.sock.recv(LINGER_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        conn.lingered += len(data)
        if not data or conn.lingered >= LINGER_BYTES:
            self._end_linger(conn)

    def _end_linger(self, conn: TConn) -> None:
        self.poller.unregister(conn.sock)
        self.lingering.remove(conn)
        conn.close()

    def _keepalive_after(self, conn: TConn, keepalive: bool) -> bool:
        if not keepalive:
            return False
        # Only what has already arrived: a body still on its way closes the connection (in
        # the event loop) rather than hold this thread.
        return bool(conn.parser.finish_body(deadline=time.monotonic() + 0.05))

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        while self.lingering and self.lingering[0].linger_deadline <= now:
            self._end_linger(self.lingering[0])
        now = time.monotonic()
        while self.heads and self.heads[0].head_deadline <= now:
            conn = self.heads[0]
            self._drop_head(conn)
            self.nr_conns -= 1
            try:
                conn.sock.send(REQUEST_TIMEOUT)  # non-blocking: the socket's buffer takes it
            except OSError:
                pass
            conn.close()

    def handle(self, conn: TConn) -> Any:
        head = getattr(conn, "head", None)
        if head is not None:
            conn.head = None
            conn.sock.setblocking(True)
            try:
                conn.init()
            except OSError:
                return False
            conn.parser.unreader.unread(bytes(head))
        unreader = getattr(conn.parser, "unreader", None)
        if unreader is not None and hasattr(unreader, "sock"):
            if not isinstance(unreader.sock, PacedSocket):
                unreader.sock = PacedSocket(unreader.sock, self.body_grace, self.body_min_rate)
            unreader.sock.restart()
        return super().handle(conn)
