"""The whole pipeline for one task, stage after stage, reporting progress as it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import languages
from ..engines import get_engine
from . import audio, fetch, language, speech, subtitles, transcribe, translate

# Progress (percent) at which each stage starts; transcription takes the lion's share.
STAGE_START = {"download": 1, "audio": 20, "speech": 30, "language": 35, "transcription": 40, "subtitles": 95}

# Called with (percent, stage); raises errors.Revoked when the task was cancelled meanwhile.
ProgressReport = Callable[[int, str], None]


@dataclass(frozen=True)
class Job:
    url: str
    workdir: Path
    audio_language: str = ""  # ISO-639-2/B, "" to detect
    subtitles_language: str = ""  # ISO-639-2/B, "" for the spoken language
    max_duration_s: float = 4 * 3600
    fetch_policy: fetch.FetchPolicy = field(default_factory=fetch.FetchPolicy.from_settings)


@dataclass(frozen=True)
class Outcome:
    cues: list[subtitles.Cue]
    languages: list[str]  # ISO-639-2/B: spoken languages by speech time, then the subtitles language
    speech_detected: bool
    duration_ms: int

    def to_result(self) -> dict[str, Any]:
        """What the task stores; the API formats it (see Task.to_dict)."""
        return {
            "cues": [cue.to_dict() for cue in self.cues],
            "languages": self.languages,
            "speech_detected": self.speech_detected,
            "duration_ms": self.duration_ms,
            "quality": subtitles.quality_report(self.cues),
        }


def run_pipeline(job: Job, report: ProgressReport) -> Outcome:
    if job.audio_language:
        translate.plan(job.audio_language, job.subtitles_language)  # refuse an unsupported pair early

    report(STAGE_START["download"], "download")
    origin = job.workdir / "origin"
    download_share = STAGE_START["audio"] - STAGE_START["download"]

    def on_download(done: int, total: int | None) -> None:
        if total:
            report(STAGE_START["download"] + int(download_share * min(done, total) / total), "download")

    fetch.download(job.url, origin, job.fetch_policy, on_download)

    report(STAGE_START["audio"], "audio")
    samples = audio.decode_first_audio_track(origin, job.max_duration_s)
    origin.unlink(missing_ok=True)  # the original is not needed past this point
    duration_ms = audio.duration_ms(samples)

    report(STAGE_START["speech"], "speech")
    windows = speech.group_into_windows(speech.find_speech(samples))
    if not windows:
        spoken = [job.audio_language] if job.audio_language else []
        return Outcome([], spoken, speech_detected=False, duration_ms=duration_ms)

    engine = get_engine()
    report(STAGE_START["language"], "language")
    if job.audio_language:
        source = languages.get(job.audio_language)
        spoken = [source.code]
    else:
        ranking = language.rank(language.identify(engine, samples, language.spread(windows)))
        spoken = [languages.from_whisper(code).code for code, _weight in ranking[:5]]  # type: ignore[union-attr]
        source = languages.get(spoken[0])
    plan = translate.plan(source.code, job.subtitles_language)

    report(STAGE_START["transcription"], "transcription")
    transcription_share = STAGE_START["subtitles"] - STAGE_START["transcription"]
    words = transcribe.transcribe(
        engine,
        samples,
        windows,
        whisper_language=source.whisper_code,
        text_language=plan.target,
        task=plan.whisper_task,
        on_progress=lambda done: report(
            STAGE_START["transcription"] + int(transcription_share * done), "transcription"
        ),
    )

    report(STAGE_START["subtitles"], "subtitles")
    cues = subtitles.build_cues(words)
    result_languages = spoken + ([plan.target] if plan.target not in spoken else [])
    return Outcome(cues, result_languages, speech_detected=bool(cues), duration_ms=duration_ms)
