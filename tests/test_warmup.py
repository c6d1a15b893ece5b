"""The engine warms up when a worker process starts; a broken engine is logged, never raised."""

from __future__ import annotations

import logging

import pytest

from aitasks.engines import get_engine
from aitasks.engines.whisper import FasterWhisperEngine
from aitasks.warmup import warm_up, warm_up_quietly


class MissingModelEngine(FasterWhisperEngine):
    """The real engine, under its own name (get_engine caches per name), for a model path that
    does not exist: an operator's typo in AITASKS_WHISPER_MODEL."""


def test_warm_up_loads_the_engine_and_runs_each_stage() -> None:
    seconds = warm_up()
    assert seconds > 0
    engine = get_engine()
    assert engine._whisper is not None and engine._batched is not None  # loaded once, reused by tasks


def test_a_broken_engine_is_logged_at_warm_up_and_left_to_the_task(
    settings: object, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AITASKS_WHISPER_MODEL = str(tmp_path / "no-such-model")
    settings.AITASKS_ENGINE = "tests.test_warmup.MissingModelEngine"
    with caplog.at_level(logging.ERROR, logger="aitasks.warmup"):
        warm_up_quietly()
    assert "speech engine warm-up failed" in caplog.text
    assert "not found" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("enabled", [True, False])
def test_a_starting_worker_warms_up_unless_told_not_to(
    settings: object, tmp_path: object, caplog: pytest.LogCaptureFixture, enabled: bool
) -> None:
    from django_q.signals import post_spawn

    settings.AITASKS_WARM_UP = enabled
    settings.AITASKS_WHISPER_MODEL = str(tmp_path / "no-such-model")  # fails fast, and says so in the log
    settings.AITASKS_ENGINE = "tests.test_warmup.MissingModelEngine"
    with caplog.at_level(logging.ERROR, logger="aitasks.warmup"):
        post_spawn.send(sender="django_q", proc_name="Process-1")  # what django-q2 sends in a new worker
    assert ("speech engine warm-up failed" in caplog.text) is enabled
