"""Speech engines behind a small interface, chosen by AITASKS_ENGINE (a dotted path).

The engine is built and loaded once per worker process and reused across tasks (aitasks.plugins);
heavy imports happen in `load()`, never at import time (the worker forks).
"""

from __future__ import annotations

from django.conf import settings

from .. import plugins
from .base import SpeechEngine


def get_engine() -> SpeechEngine:
    return plugins.shared(settings.AITASKS_ENGINE, "AITASKS_ENGINE", lambda engine: engine.from_settings())
