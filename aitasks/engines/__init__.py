"""Speech engines behind a small interface, chosen by AITASKS_ENGINE (a dotted path).

The engine is built and loaded once per worker process and reused across tasks; heavy
imports happen in `load()`, never at import time (the worker forks).
"""

from __future__ import annotations

import functools
import threading

from django.conf import settings
from django.utils.module_loading import import_string

from .base import SpeechEngine

_lock = threading.Lock()


@functools.cache
def _engine_for(path: str) -> SpeechEngine:
    engine = import_string(path).from_settings()
    engine.load()
    return engine


def get_engine() -> SpeechEngine:
    with _lock:
        return _engine_for(settings.AITASKS_ENGINE)
