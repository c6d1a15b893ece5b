from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from aitasks import jobs, languages, queue, uploaded_media
from aitasks.api.forms import TaskCreateForm
from aitasks.cues import full_text, render_srt, render_vtt
from aitasks.data_dirs import scratch_folder
from aitasks.engines.base import EngineError
from aitasks.models import Status, Task
from aitasks.pipeline.errors import PipelineError
from aitasks.pipeline.runner import run_pipeline
from aitasks.results import TaskJSON

FORMATS = ("vtt", "srt", "txt", "json")


class ProgressBar:
    """`[#####-----]  45% transcription` on one line of a terminal; a line per stage otherwise."""

    WIDTH = 30

    def __init__(self, stream: OutputWrapper, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.last: tuple[int, str] | None = None

    def __call__(self, percent: int, stage: str) -> None:
        if not self.enabled or (percent, stage) == self.last:
            return
        if not self.tty and self.last is not None and self.last[1] == stage:
            self.last = (percent, stage)
            return
        self.last = (percent, stage)
        filled = self.WIDTH * percent // 100
        bar = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {percent:3d}% {stage}"
        self.stream.write(f"\r{bar:<60}" if self.tty else bar, ending="" if self.tty else "\n")
        self.stream.flush()

    def done(self) -> None:
        self(100, "done")
        if self.enabled and self.tty:
            self.stream.write("")


def render(task: Task, output_format: str) -> str:
    cues = task.cues()
    if output_format == "srt":
        return render_srt(cues)
    if output_format == "txt":
        return full_text(cues) + "\n"
    if output_format == "json":
        return json.dumps(task.result_dict(), ensure_ascii=False, indent=2) + "\n"
    return render_vtt(cues)


class Command(BaseCommand):
    help = (
        "Transcribe (and translate) a media file or an http(s) URL with the service's pipeline, in this process "
        "with a progress bar, or with --queue as a task of the service's queue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", metavar="PATH_OR_URL")
        parser.add_argument("--audio-language", default="", help="ISO-639-2 code of the speech; detected when absent")
        parser.add_argument("--subtitles-language", default="", help="ISO-639-2 code to translate the subtitles to")
        parser.add_argument("--format", dest="output_format", choices=FORMATS, default="vtt")
        parser.add_argument("--output", default="", help="write the subtitles to this file (default: standard output)")
        parser.add_argument("--queue", action="store_true", help="submit to the service's queue and wait for a worker")
        parser.add_argument("--user", default="", help="with --queue: the account the task belongs to")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, source: str, output_format: str, output: str, **options: Any) -> None:
        audio_language = _language(options["audio_language"], "--audio-language")
        subtitles_language = _language(options["subtitles_language"], "--subtitles-language")
        is_url = source.startswith(("http://", "https://"))
        if not is_url and not Path(source).is_file():
            raise CommandError(f"no such file: {source}")
        progress = ProgressBar(self.stderr, enabled=not options["no_progress"])
        if options["queue"]:
            task = self._queued(source, is_url, audio_language, subtitles_language, options["user"], progress)
        else:
            task = self._in_process(source, is_url, audio_language, subtitles_language, progress)
        progress.done()
        text = render(task, output_format)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")

    def _in_process(
        self, source: str, is_url: bool, audio_language: str, subtitles_language: str, progress: ProgressBar
    ) -> Task:
        # An unsaved task: the worker's job from the same fields, the same result formatting as the API's.
        task = Task(url=source, audio_language=audio_language, subtitles_language=subtitles_language)
        # No row says this run is live: its folder's lock does, for the retention purge.
        with scratch_folder("transcribe-") as workdir:
            job = jobs.transcription_job(task, workdir=workdir, local_file=None if is_url else Path(source).resolve())
            try:
                outcome = run_pipeline(job, progress)
            except (PipelineError, EngineError) as error:
                raise CommandError(str(error)) from None
        task.status, task.result = Status.SUCCESS, TaskJSON.dump_result(outcome.to_result())
        return task

    def _queued(
        self,
        source: str,
        is_url: bool,
        audio_language: str,
        subtitles_language: str,
        username: str,
        progress: ProgressBar,
    ) -> Task:
        user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
        if user is None:
            raise CommandError("--queue needs --user, the name of an active account")
        fields = {"audio_language": audio_language, "subtitles_language": subtitles_language}
        try:
            if is_url:
                form = TaskCreateForm({"task_name": "transcription", "url": source, **fields})
                if not form.is_valid():
                    field, messages = next(iter(form.errors.items()))
                    raise CommandError(f"{field}: {messages[0]}")
                (task,) = queue.submit(user, tasks=[form.cleaned_data]).tasks
            else:
                with Path(source).open("rb") as file:
                    task, _duration = uploaded_media.submit_file(user, File(file), Path(source).name, **fields)
        except (PipelineError, queue.QueueFull) as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"task {task.pk} queued for {username}")
        while not task.is_final:
            progress(task.progress, task.stage or task.status.lower())
            time.sleep(0.5)
            task.refresh_from_db()
        if task.status != Status.SUCCESS:
            raise CommandError(f"task {task.pk} {task.status}: {task.error or 'cancelled'}")
        return task


def _language(code: str, option: str) -> str:
    if not code:
        return ""
    try:
        return languages.normalize(code)
    except languages.UnknownLanguage as error:
        raise CommandError(f"{option}: {error}") from None
