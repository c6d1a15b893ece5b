"""Tasks whose worker died are taken back; old results are deleted after the retention period."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import OrmQ, Schedule

from aitasks.models import Status, Task, VideoStatus
from aitasks.queue.workers import HOST, PLACE, this_worker
from aitasks.results import TranscriptionResult
from aitasks.worker import purge_expired, recover_stalled_tasks
from tests.conftest import TASK_URL, make_task, make_video

pytestmark = pytest.mark.django_db
URL = TASK_URL
ROOT = Path(__file__).resolve().parent.parent
DEAD_PID = 4_000_000  # above the kernel's pid_max: no such process
DEAD_HERE = f"{HOST}:{DEAD_PID}:{PLACE}:123"  # a worker of this machine whose process is gone


def running(user: object, worker: str, heartbeat_age_s: float = 0, attempts: int = 1) -> Task:
    return make_task(
        user,
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
    task = running(user, DEAD_HERE)
    assert recover(django_capture_on_commit_callbacks) == 1
    task.refresh_from_db()
    assert (task.status, task.worker, task.attempts) == (Status.PENDING, "", 1)
    assert "stopped unexpectedly" in task.error
    assert OrmQ.objects.count() == 1


def test_a_task_with_a_live_worker_is_left_alone(user: object, django_capture_on_commit_callbacks) -> None:
    task = running(user, this_worker())
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
    task = running(user, DEAD_HERE, attempts=settings.AITASKS_MAX_RETRIES + 1)
    recover(django_capture_on_commit_callbacks)
    task.refresh_from_db()
    assert task.status == Status.FAILURE
    assert task.completed_at is not None
    assert OrmQ.objects.count() == 0


def test_the_old_worker_cannot_overwrite_a_task_taken_from_it(user: object, django_capture_on_commit_callbacks) -> None:
    task = running(user, DEAD_HERE)
    recover(django_capture_on_commit_callbacks)
    assert task.succeed(TranscriptionResult(cues=())) is False
    assert task.report_progress(50, "transcription") is False
    assert Task.objects.get(pk=task.pk).status == Status.PENDING


def test_the_periodic_jobs_are_scheduled_by_paths_that_import() -> None:
    functions = set(Schedule.objects.values_list("func", flat=True))
    assert {"aitasks.worker.recover_stalled_tasks", "aitasks.worker.purge_expired"} <= functions
    for function in functions:
        assert callable(import_string(function))


def test_old_finished_tasks_are_purged_and_recent_ones_kept(user: object, settings) -> None:
    now = timezone.now()
    old = make_task(user, status=Status.SUCCESS, completed_at=now - timedelta(days=40))
    recent = make_task(user, status=Status.SUCCESS, completed_at=now - timedelta(days=10))
    waiting = make_task(user, status=Status.PENDING, created_at=now - timedelta(days=60))
    assert purge_expired() == 1
    assert set(Task.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not Task.objects.filter(pk=old.pk).exists()


def test_leftover_scratch_files_are_removed(user: object, settings) -> None:
    live = running(user, this_worker())
    live_dir = live.workdir
    stray_dir = settings.AITASKS_DATA_DIR / "work" / "0b1f0c5e-dead-4bad-8bad-000000000000"
    for directory in (live_dir, stray_dir):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "origin").write_bytes(b"x" * 100)
        old = timezone.now().timestamp() - settings.AITASKS_STALLED_AFTER_S - 60
        os.utime(directory, (old, old))
    purge_expired()
    assert live_dir.exists()
    assert not stray_dir.exists()


def _age(directory: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(directory, (old, old))


def test_the_scratch_folder_of_a_video_copy_that_runs_long_is_kept(user: object, settings) -> None:
    copying = make_video(user, origin_url=TASK_URL, status=VideoStatus.PENDING, copier=this_worker())
    waiting = make_video(user, origin_url=TASK_URL, status=VideoStatus.PENDING)  # no copier: nothing runs
    folders = [settings.AITASKS_DATA_DIR / "work" / f"video-{video.pk}" for video in (copying, waiting)]
    for folder in folders:
        folder.mkdir(parents=True)
        (folder / "origin").write_bytes(b"x" * 100)  # a download going on for longer than the stall margin
        _age(folder, settings.AITASKS_STALLED_AFTER_S + 60)
    purge_expired()
    assert (folders[0] / "origin").exists()
    assert not folders[1].exists()


@pytest.mark.django_db(transaction=True)
def test_the_transcribe_commands_folder_is_kept_while_it_runs_and_removed_once_its_process_is_gone(
    media_dir: Path, tmp_path: Path, settings
) -> None:
    work = settings.AITASKS_DATA_DIR / "work"
    kept: list[bool] = []

    class PurgeMidway(io.StringIO):
        # The progress bar writes between stages: the run is under way, its folder is older than
        # the stall margin (a long file takes hours), and the daily purge comes.
        def write(self, text: str) -> int:
            if "speech" in text and not kept:
                (folder,) = work.glob("transcribe-*")
                _age(folder, settings.AITASKS_STALLED_AFTER_S + 60)
                purge_expired()
                kept.append(folder.exists())
            return super().write(text)

    output = tmp_path / "silence.json"
    stderr = PurgeMidway()
    call_command(
        "transcribe", str(media_dir / "silence.mp4"), "--format", "json", "--output", str(output), stderr=stderr
    )
    assert kept == [True]
    assert json.loads(output.read_text())["speech_detected"] is False
    assert not any(work.glob("transcribe-*"))

    # A run killed on the spot leaves its folder behind; nothing holds it any more.
    code = (
        "import os, django; django.setup()\n"
        "from aitasks.data_dirs import scratch_folder\n"
        "with scratch_folder('transcribe-') as folder:\n"
        "    print(folder, flush=True); os._exit(9)\n"
    )
    env = os.environ | {"AITASKS_DATA_DIR": str(settings.AITASKS_DATA_DIR)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 9, done.stderr
    left = Path(done.stdout.strip())
    assert left.is_dir() and left.parent == work
    _age(left, settings.AITASKS_STALLED_AFTER_S + 60)
    purge_expired()
    assert not left.exists()


# --- worker names: one per process, and per machine boot -----------------------------------


def test_a_live_task_of_a_worker_on_another_machine_with_the_same_hostname_is_left_alone(
    user: object, django_capture_on_commit_callbacks
) -> None:
    # Same hostname, a pid that does not exist here: only the heartbeat can tell, and it is fresh.
    elsewhere = running(user, f"{HOST}:{DEAD_PID}:{'0' * 12}:456")
    assert recover(django_capture_on_commit_callbacks) == 0
    assert Task.objects.get(pk=elsewhere.pk).status == Status.STARTED


def test_a_pid_recycled_by_another_process_does_not_keep_a_dead_workers_task(
    user: object, django_capture_on_commit_callbacks
) -> None:
    host, pid, place, start = this_worker().split(":")
    recycled = running(user, f"{host}:{pid}:{place}:{int(start) + 1}")  # this pid, another process
    assert recover(django_capture_on_commit_callbacks) == 1
    assert Task.objects.get(pk=recycled.pk).status == Status.PENDING


def test_each_worker_process_has_its_own_name() -> None:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(2) as pool:
        names = set(pool.map(_name_of_this_process, range(4)))
    assert this_worker() not in names and len(names) >= 2
    for name in names | {this_worker()}:
        host, pid, place, start = name.split(":")
        assert (host, place) == (HOST, PLACE) and pid.isdigit() and start


def _name_of_this_process(_: int) -> str:
    import time

    time.sleep(0.2)  # both pool processes take a share
    return this_worker()


# --- tasks whose message was lost -------------------------------------------------------------


def waiting(user: object, status: Status, age_s: float) -> Task:
    return make_task(user, status=status, queued_at=timezone.now() - timedelta(seconds=age_s))


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.PENDING, Status.RETRY])
def test_a_task_waiting_too_long_for_a_worker_is_sent_again(
    user: object, status: Status, settings, django_capture_on_commit_callbacks
) -> None:
    stuck = waiting(user, status, settings.AITASKS_REQUEUE_AFTER_S + 5)
    recent = waiting(user, Status.PENDING, settings.AITASKS_REQUEUE_AFTER_S - 60)
    assert recover(django_capture_on_commit_callbacks) == 1
    stuck.refresh_from_db()
    assert stuck.status == Status.PENDING and stuck.queued_at > timezone.now() - timedelta(seconds=60)
    assert [message.task["args"] for message in OrmQ.objects.all()] == [(str(stuck.pk),)]
    assert Task.objects.get(pk=recent.pk).status == Status.PENDING
    assert recover(django_capture_on_commit_callbacks) == 0  # sent again once per period, not every run


def test_a_worker_starting_recovers_lost_messages(user: object, settings) -> None:
    from django_q.signals import post_spawn

    stuck = waiting(user, Status.PENDING, settings.AITASKS_REQUEUE_AFTER_S + 5)
    post_spawn.send(sender="django_q", proc_name="Worker-1")
    assert [message.task["args"] for message in OrmQ.objects.all()] == [(str(stuck.pk),)]


def test_a_copy_whose_message_was_lost_or_whose_worker_died_is_queued_again(
    user: object, settings, django_capture_on_commit_callbacks
) -> None:
    from aitasks.models import Video, VideoStatus

    old = timezone.now() - timedelta(seconds=settings.AITASKS_REQUEUE_AFTER_S + 5)
    lost = make_video(user, name="lost", origin_url=URL, status=VideoStatus.PENDING, queued_at=old)
    orphan = make_video(
        user, name="orphan", origin_url=URL, status=VideoStatus.PENDING, copier=DEAD_HERE, copy_attempts=1
    )
    live = make_video(
        user, name="live", origin_url=URL, status=VideoStatus.PENDING, copier=this_worker(), copy_attempts=1
    )
    assert recover(django_capture_on_commit_callbacks) == 2
    assert sorted(message.task["args"] for message in OrmQ.objects.all()) == [(lost.pk,), (orphan.pk,)]
    assert Video.objects.get(pk=orphan.pk).copier == ""
    assert Video.objects.get(pk=live.pk).copier == this_worker()
