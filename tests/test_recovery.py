"""Tasks whose worker died are taken back; old results are deleted after the retention period."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from aitasks.models import Status, Task
from aitasks.tasks import HOST, purge_expired, recover_stalled_tasks, workdir_for

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/a.mp4"
DEAD_PID = 4_000_000  # above the kernel's pid_max: no such process


def running(user: object, worker: str, heartbeat_age_s: float = 0, attempts: int = 1) -> Task:
    return Task.objects.create(
        owner=user,
        url=URL,
        status=Status.STARTED,
        worker=worker,
        attempts=attempts,
        started_at=timezone.now(),
        heartbeat_at=timezone.now() - timedelta(seconds=heartbeat_age_s),
    )


def recover(django_capture_on_commit_callbacks: object) -> int:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        return recover_stalled_tasks()


def test_a_task_whose_worker_process_is_gone_is_queued_again(user: object, django_capture_on_commit_callbacks) -> None:
    task = running(user, f"{HOST}:{DEAD_PID}")
    assert recover(django_capture_on_commit_callbacks) == 1
    task.refresh_from_db()
    assert (task.status, task.worker, task.attempts) == (Status.PENDING, "", 1)
    assert "stopped unexpectedly" in task.error
    assert OrmQ.objects.count() == 1


def test_a_task_with_a_live_worker_is_left_alone(user: object, django_capture_on_commit_callbacks) -> None:
    task = running(user, f"{HOST}:{os.getpid()}")
    elsewhere = running(user, "another-host:123")
    assert recover(django_capture_on_commit_callbacks) == 0
    assert Task.objects.get(pk=task.pk).status == Status.STARTED
    assert Task.objects.get(pk=elsewhere.pk).status == Status.STARTED


def test_a_silent_worker_on_another_host_loses_its_task(
    user: object, django_capture_on_commit_callbacks, settings
) -> None:
    task = running(user, "another-host:123", heartbeat_age_s=settings.AITASKS_STALLED_AFTER_S + 5)
    assert recover(django_capture_on_commit_callbacks) == 1
    assert Task.objects.get(pk=task.pk).status == Status.PENDING


def test_a_task_out_of_attempts_fails_instead(user: object, django_capture_on_commit_callbacks, settings) -> None:
    task = running(user, f"{HOST}:{DEAD_PID}", attempts=settings.AITASKS_MAX_RETRIES + 1)
    recover(django_capture_on_commit_callbacks)
    task.refresh_from_db()
    assert task.status == Status.FAILURE
    assert task.completed_at is not None
    assert OrmQ.objects.count() == 0


def test_the_old_worker_cannot_overwrite_a_task_taken_from_it(user: object, django_capture_on_commit_callbacks) -> None:
    task = running(user, f"{HOST}:{DEAD_PID}")
    recover(django_capture_on_commit_callbacks)
    assert task.succeed({"cues": []}, text="late") is False
    assert task.report_progress(50, "transcription") is False
    assert Task.objects.get(pk=task.pk).status == Status.PENDING


def test_the_periodic_jobs_are_scheduled() -> None:
    functions = set(Schedule.objects.values_list("func", flat=True))
    assert {"aitasks.tasks.recover_stalled_tasks", "aitasks.tasks.purge_expired"} <= functions


def test_old_finished_tasks_are_purged_and_recent_ones_kept(user: object, settings) -> None:
    now = timezone.now()
    old = Task.objects.create(owner=user, url=URL, status=Status.SUCCESS, completed_at=now - timedelta(days=40))
    recent = Task.objects.create(owner=user, url=URL, status=Status.SUCCESS, completed_at=now - timedelta(days=10))
    waiting = Task.objects.create(owner=user, url=URL, status=Status.PENDING, created_at=now - timedelta(days=60))
    assert purge_expired() == 1
    assert set(Task.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not Task.objects.filter(pk=old.pk).exists()


def test_leftover_scratch_files_are_removed(user: object, settings) -> None:
    live = running(user, f"{HOST}:{os.getpid()}")
    live_dir = workdir_for(live)
    stray_dir = settings.AITASKS_DATA_DIR / "work" / "0b1f0c5e-dead-4bad-8bad-000000000000"
    for directory in (live_dir, stray_dir):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "origin").write_bytes(b"x" * 100)
        old = timezone.now().timestamp() - settings.AITASKS_STALLED_AFTER_S - 60
        os.utime(directory, (old, old))
    purge_expired()
    assert live_dir.exists()
    assert not stray_dir.exists()
