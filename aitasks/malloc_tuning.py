"""glibc's malloc, tuned for the worker process: transparent huge pages, at most 2 arenas.

The model's buffers are large and short-lived: on huge pages the worker spends less CPU per
task (bench/README.md: 2-18 % measured, more on short clips), and with at most 2 malloc
arenas its peak memory stays under 1.2 GB on 231 s of speech even with the extra threads of
the CPU replicas (1239 MB with glibc's defaults, 1014 MB tuned). glibc reads these tunables
only when a process starts, so `manage.py qcluster` starts itself again with them
(`reexec_tuned`); glibc < 2.35 ignores hugetlb. Setting GLIBC_TUNABLES yourself (even empty)
wins.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

TUNABLES = "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=2"


def tuned_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with the worker's malloc tunables, unless it names its own."""
    return {**environ} if "GLIBC_TUNABLES" in environ else {**environ, "GLIBC_TUNABLES": TUNABLES}


def reexec_tuned(argv: list[str]) -> None:
    """Start this Python program again with the tunables (no return), unless already set."""
    if "GLIBC_TUNABLES" in os.environ or not sys.platform.startswith("linux"):
        return
    os.execve(sys.executable, [sys.executable, *argv], tuned_environment(os.environ))
