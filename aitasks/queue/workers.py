"""Who a worker process is, and whether it is still alive.

A task records the worker process that runs it. The name must be unique to that process: two
hosts may share a hostname (containers, cloned machines), and a pid is only meaningful on the
machine and pid namespace where it was taken, during one boot. So a worker's name is

    hostname:pid:place:start

where `place` is a digest of this boot (the kernel's boot id) and pid namespace, and `start` the
process's start time on that boot (a recycled pid has another) or, where /proc cannot tell, a
random token made when the process first names itself. Recovery checks the pid only for a
worker of the same place; any other worker is judged by its heartbeat alone.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from pathlib import Path

HOST = socket.gethostname()[:64]


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _place() -> str:
    boot, namespace = _read("/proc/sys/kernel/random/boot_id"), ""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        pass
    if not boot or not namespace:  # cannot tell machines apart: nobody is local but this process
        return "x" + secrets.token_hex(6)
    return hashlib.sha256(f"{boot} {namespace}".encode()).hexdigest()[:12]


PLACE = _place()


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat)."""
    stat = _read(f"/proc/{pid}/stat")
    fields = stat.rpartition(")")[2].split()  # the name, in parentheses, may hold spaces
    return fields[19] if len(fields) > 19 else ""


_names: dict[int, str] = {}


def this_worker() -> str:
    """This process's name: made once per process (a forked child makes its own)."""
    pid = os.getpid()
    if pid not in _names:
        start = _start_time(pid) or secrets.token_hex(6)
        _names[pid] = f"{HOST}:{pid}:{PLACE}:{start}"
    return _names[pid]


def is_gone(worker: str) -> bool:
    """True only when `worker` ran here (this boot, this pid namespace) and that process no
    longer exists, or its pid now belongs to another process."""
    parts = worker.rsplit(":", 3)
    if len(parts) != 4 or parts[2] != PLACE or not parts[1].isdigit():
        return False
    pid, start = int(parts[1]), parts[3]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    status = _read(f"/proc/{pid}/status")
    if not status:  # no /proc to ask: the heartbeat decides
        return False
    if "\nState:\tZ" in status:  # a killed process nobody has reaped yet
        return True
    return start.isdigit() and _start_time(pid) != start
