"""CTranslate2 replicas fed from threads: how a batch is cut, how threads are planned, same results."""

from __future__ import annotations

import os

import numpy as np
import pytest
from django.conf import settings

from aitasks.engines.replicas import SplitBatches, plan_threads, split_sizes
from aitasks.engines.whisper import FasterWhisperEngine
from tests import media
from tests.conftest import ENGLISH_TEXT, SPANISH_TEXT
from tests.heard import assert_heard


def test_a_batch_is_cut_into_nearly_equal_runs_in_order() -> None:
    assert split_sizes(8, 2) == [4, 4]
    assert split_sizes(5, 2) == [3, 2]
    assert split_sizes(3, 4) == [1, 1, 1]
    assert split_sizes(1, 4) == [1]


def test_replicas_and_threads_share_the_cores() -> None:
    assert plan_threads(cores=2, workers=0, threads=0) == (2, 2)
    assert plan_threads(cores=4, workers=0, threads=0) == (4, 2)
    assert plan_threads(cores=16, workers=0, threads=0) == (4, 8)
    assert plan_threads(cores=1, workers=0, threads=0) == (1, 1)
    assert plan_threads(cores=8, workers=1, threads=0) == (1, 8)  # the old default: one replica, all cores
    assert plan_threads(cores=8, workers=0, threads=3) == (4, 3)
    assert plan_threads(cores=2, workers=2, threads=1) == (2, 1)


def engine_with(replicas: int) -> FasterWhisperEngine:
    engine = FasterWhisperEngine(
        "base", settings.AITASKS_MODEL_CACHE_DIR, device="cpu", cpu_workers=replicas, cpu_threads=1
    )
    engine.load()
    return engine


def test_two_replicas_identify_languages_as_one_does() -> None:
    clips = [media.speak(ENGLISH_TEXT), media.speak(SPANISH_TEXT, voice="es", speed=140), media.tone(2.0)]
    one, two = engine_with(1), engine_with(2)
    assert isinstance(two._whisper.model.inner, SplitBatches) and two._whisper.model.num_workers == 2
    samples = np.concatenate(clips)
    ends = np.cumsum([len(clip) for clip in clips]) / media.RATE
    spans = [(end - len(clip) / media.RATE, end) for clip, end in zip(clips, ends, strict=True)]
    alone, split = one.detect_languages(samples, spans), two.detect_languages(samples, spans)
    for first, second in zip(alone, split, strict=True):
        assert max(first, key=first.get) == max(second, key=second.get)
        assert all(abs(first[code] - second.get(code, 0.0)) < 0.02 for code in first)
    assert max(split[1], key=split[1].get) == "spa"  # in batch order


@pytest.mark.slow
def test_two_replicas_transcribe_a_batch_of_windows_in_order() -> None:
    english = media.speak(ENGLISH_TEXT)
    speech = np.concatenate([english, media.silence(3.0), english, media.silence(3.0), english])
    seconds = len(english) / media.RATE
    clips = [(start, start + seconds) for start in (0.0, seconds + 3.0, 2 * seconds + 6.0)]
    words = [
        word for segment in engine_with(2).transcribe(speech, clips, "eng", "transcribe") for word in segment.words
    ]
    for start, end in clips:  # each window heard, its words within it
        inside = [word.text for word in words if start * 1000 - 500 <= word.start_ms <= end * 1000 + 500]
        assert_heard(" ".join(inside), "quick brown fox jumps over lazy dog")
    assert all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:], strict=False))


def test_worker_processes_share_the_cores_among_their_replicas(settings: object) -> None:
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 2}
    settings.AITASKS_WHISPER_CPU_WORKERS = settings.AITASKS_WHISPER_CPU_THREADS = 0
    engine = FasterWhisperEngine.from_settings()  # not loaded: only its plan
    cores = max(1, (os.cpu_count() or 1) // 2)
    assert (engine.cpu_workers, engine.cpu_threads) == plan_threads(cores, 0, 0)
    settings.AITASKS_WHISPER_CPU_WORKERS, settings.AITASKS_WHISPER_CPU_THREADS = 1, 3
    engine = FasterWhisperEngine.from_settings()
    assert (engine.cpu_workers, engine.cpu_threads) == (1, 3)  # named settings win
