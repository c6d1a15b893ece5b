"""Pluggable backends named by a dotted path in settings, as Django's email backends and session
engines are: the speech engine (AITASKS_ENGINE), the moderation model of each category
(AITASKS_MODERATION_BACKENDS) and the text translators (AITASKS_TRANSLATION_BACKEND).

Each is imported with `import_string`, built and loaded once per process, and shared by every
task after that: heavy imports happen in the backend's `load()`, never at import time (the
worker forks). A backend that fails to build or load is not kept: the next task tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

T = TypeVar("T")

_lock = threading.Lock()
_shared: dict[tuple[Hashable, ...], Any] = {}


def backend_class(path: str, setting: str) -> Any:
    """The class `path` names; ImproperlyConfigured, naming `setting`, when it cannot be imported."""
    try:
        return import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"{setting}: cannot import {path}: {error}") from None


def shared(path: str, setting: str, make: Callable[[Any], T], key: tuple[Hashable, ...] = (), load: bool = True) -> T:
    """The backend of `path` made by `make(its class)` and loaded, once per process for
    (`path`, `key`). `load=False` for a backend that loads itself when first used (a translator
    of a pair nobody asks for never loads its model)."""
    with _lock:
        if (path, *key) not in _shared:
            backend = make(backend_class(path, setting))
            if load:
                backend.load()
            _shared[(path, *key)] = backend
        return _shared[(path, *key)]


def forget() -> None:
    """Drop every shared backend: the next call builds and loads anew (tests that change which
    backend a setting names)."""
    with _lock:
        _shared.clear()
