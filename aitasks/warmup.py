"""Warm the speech engine up when a worker process starts, so the first task does not pay for it.

Loading the model, the VAD's ONNX session and CTranslate2's first calls (memory pools, kernels)
cost a few seconds: a worker pays them once at start, on a second of synthetic audio, before
it takes its first task. A failure here is only logged: the task that needs the engine reports
it (EngineError → FAILURE with a readable reason).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from .engines import get_engine
from .pipeline import speech
from .pipeline.audio import SAMPLE_RATE

logger = logging.getLogger(__name__)


def warm_up_tone() -> np.ndarray:
    """A second of 220 Hz at 16 kHz: not speech, so there is nothing to decode."""
    seconds = np.arange(SAMPLE_RATE, dtype=np.float32) / SAMPLE_RATE
    return (0.1 * np.sin(2 * np.pi * 220 * seconds)).astype(np.float32)


def warm_up() -> float:
    """Load the engine and run each of its stages once; the seconds it took."""
    started = time.monotonic()
    tone = warm_up_tone()
    speech.find_speech(tone)
    engine = get_engine()
    # A window alone and two at once: on the CPU they run on different model replicas
    # (engines/replicas.py), each with its own first-call costs.
    for clips in ([(0.0, 1.0)], [(0.0, 0.5), (0.5, 1.0)]):
        engine.detect_languages(tone, clips)
        for _segment in engine.transcribe(tone, clips, "eng", "transcribe"):
            pass
    return time.monotonic() - started


def warm_up_quietly() -> None:
    try:
        logger.info("speech engine warm in %.1f s", warm_up())
    except Exception:  # the first task reports what is wrong with the engine
        logger.exception("speech engine warm-up failed")
