"""`bin/manage transcribe`: the pipeline in this process with a progress bar, or --queue."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from aitasks.models import Status, Task
from tests.heard import assert_heard


def test_it_runs_the_pipeline_in_process_with_a_progress_bar(media_dir: Path, tmp_path: Path) -> None:
    stderr, output = io.StringIO(), tmp_path / "silence.json"
    call_command(
        "transcribe", str(media_dir / "silence.mp4"), "--format", "json", "--output", str(output), stderr=stderr
    )
    result = json.loads(output.read_text())
    assert result["speech_detected"] is False and result["subtitles"] == []
    lines = stderr.getvalue().splitlines()
    assert lines[:3] == [
        "[######------------------------]  20% audio",
        "[#########---------------------]  30% speech",
        "[##############################] 100% done",
    ]
    assert lines[-1] == f"wrote {output}"


@pytest.mark.slow
def test_it_transcribes_a_file_in_process_to_srt(media_dir: Path, tmp_path: Path) -> None:
    stderr = io.StringIO()
    output = tmp_path / "talk.srt"
    call_command(
        "transcribe", str(media_dir / "english.mp4"), "--format", "srt", "--output", str(output), stderr=stderr
    )
    srt = output.read_text()
    assert srt.startswith("1\n00:00:0") and " --> " in srt
    assert_heard(srt, "quick brown fox jumps lazy dog subtitles video")
    progress = stderr.getvalue()
    for stage in ("audio", "speech", "language", "transcription", "subtitles", "100% done"):
        assert stage in progress  # one line per stage when not on a terminal
    assert not any((media_dir / "english.mp4").parent.glob("transcribe-*"))


@pytest.mark.django_db(transaction=True)
def test_it_queues_a_task_for_an_account_and_waits_for_the_worker(
    media_dir: Path, user: object, queue_worker: None
) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(
        "transcribe", str(media_dir / "silence.mp4"), "--queue", "--user", "alice", "--format", "json",
        stdout=stdout, stderr=stderr,
    )  # fmt: skip
    task = Task.objects.get(owner=user)
    assert task.status == Status.SUCCESS and task.url == "upload:silence.mp4"
    assert f"task {task.pk} queued for alice" in stderr.getvalue()
    assert json.loads(stdout.getvalue())["speech_detected"] is False


@pytest.mark.django_db
def test_it_explains_what_is_wrong(media_dir: Path, user: object) -> None:
    with pytest.raises(CommandError, match="file is not a media file"):
        call_command("transcribe", str(media_dir / "page.html"), "--no-progress")
    with pytest.raises(CommandError, match="no such file"):
        call_command("transcribe", "/nonexistent.mp4")
    with pytest.raises(CommandError, match="--audio-language: unknown language code 'xx'"):
        call_command("transcribe", str(media_dir / "english.mp4"), "--audio-language", "xx")
    with pytest.raises(CommandError, match="--queue needs --user"):
        call_command("transcribe", str(media_dir / "english.mp4"), "--queue")
    with pytest.raises(CommandError, match="url: url has no host"):
        call_command("transcribe", "http://", "--queue", "--user", "alice")
    assert not Task.objects.exists()
