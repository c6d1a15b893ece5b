"""CTranslate2 replicas fed from threads: how a batch is cut, how threads are planned, same results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    # (replicas, threads each, solo threads): never more threads than cores in a batch, and a
    # window alone on all the cores (up to 8) when the replicas' threads do not cover them.
    assert plan_threads(cores=2, workers=0, threads=0) == (2, 1, 2)
    assert plan_threads(cores=4, workers=0, threads=0) == (4, 1, 4)
    assert plan_threads(cores=16, workers=0, threads=0) == (4, 4, 8)
    assert plan_threads(cores=1, workers=0, threads=0) == (1, 1, 0)
    assert plan_threads(cores=8, workers=1, threads=0) == (1, 8, 0)  # the old default: one replica, all cores
    assert plan_threads(cores=8, workers=0, threads=3) == (4, 3, 8)
    assert plan_threads(cores=2, workers=2, threads=2) == (2, 2, 0)  # the replicas already cover the cores


class Recorder:
    """Stands in for a CTranslate2 model: records which rows each call got, answers per row."""

    def __init__(self, name: str, calls: list[tuple[str, str, list[int]]]) -> None:
        self.name, self.calls = name, calls

    def _rows(self, features: object) -> list[int]:
        return [int(row[0, 0]) for row in np.asarray(features)]

    def encode(self, features: object, to_cpu: bool = False) -> object:
        import ctranslate2

        rows = self._rows(features)
        self.calls.append((self.name, "encode", rows))
        return ctranslate2.StorageView.from_array(np.asarray(features) * 10)

    def generate(self, features: object, prompts: list[object], **options: object) -> list[str]:
        rows = self._rows(features)
        self.calls.append((self.name, "generate", rows))
        return [f"{self.name}:{row}" for row in rows]


def test_a_window_alone_and_the_encoder_rows_left_over_go_to_the_solo_model() -> None:
    import ctranslate2

    calls: list[tuple[str, str, list[int]]] = []
    split = SplitBatches(Recorder("replica", calls), 2, solo=Recorder("solo", calls))

    def batch(size: int) -> object:
        return ctranslate2.StorageView.from_array(
            np.arange(size, dtype=np.float32)[:, None, None] * np.ones((1, 2, 3), np.float32)
        )

    encoded = np.asarray(split.encode(batch(5)))
    assert [int(row[0, 0]) for row in encoded] == [0, 10, 20, 30, 40]  # in batch order
    assert sorted(calls) == [("replica", "encode", [0, 1]), ("replica", "encode", [2, 3]), ("solo", "encode", [4])]
    calls.clear()
    # The decoder's cost per window falls with the batch: its rows stay with the replicas.
    assert split.generate(batch(5), [[1]] * 5) == ["replica:0", "replica:1", "replica:2", "replica:3", "replica:4"]
    assert sorted(calls) == [("replica", "generate", [0, 1, 2]), ("replica", "generate", [3, 4])]
    calls.clear()
    split.encode(batch(1))
    assert split.generate(batch(1), [[1]]) == ["solo:0"]
    assert calls == [("solo", "encode", [0]), ("solo", "generate", [0])]
    calls.clear()
    split.encode(batch(4))  # nothing left over
    assert sorted(calls) == [("replica", "encode", [0, 1]), ("replica", "encode", [2, 3])]


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
    assert (two._whisper.model.inner._solo is not None) == ((os.cpu_count() or 1) > 1)  # a window alone: all cores
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


def whisper_cores_with(**environment: str) -> int:
    """AITASKS_WHISPER_CORES as settings.py resolves it in a process started with `environment`."""
    env = {name: value for name, value in os.environ.items() if name != "AITASKS_WHISPER_CORES"}
    answer = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.AITASKS_WHISPER_CORES)"],
        env={**env, **environment},
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(answer.stdout)


def test_worker_processes_share_the_cores_among_their_replicas(settings: object) -> None:
    cores = max(1, (os.cpu_count() or 1) // 2)
    assert whisper_cores_with(AITASKS_WORKERS="2") == cores
    assert whisper_cores_with(AITASKS_WORKERS="2", AITASKS_WHISPER_CORES="3") == 3  # named cores win
    settings.AITASKS_WHISPER_CORES = cores
    settings.AITASKS_WHISPER_CPU_WORKERS = settings.AITASKS_WHISPER_CPU_THREADS = 0
    engine = FasterWhisperEngine.from_settings()  # not loaded: only its plan
    assert (engine.cpu_workers, engine.cpu_threads, engine.solo_threads) == plan_threads(cores, 0, 0)
    settings.AITASKS_WHISPER_CPU_WORKERS, settings.AITASKS_WHISPER_CPU_THREADS = 1, 3
    engine = FasterWhisperEngine.from_settings()
    assert (engine.cpu_workers, engine.cpu_threads) == (1, 3)  # named settings win
