"""The whole pipeline for one task, stage after stage, reporting progress as it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..cues import Cue
from ..engines import get_engine
from ..results import LanguageShare, TranscriptionResult, WordTiming
from . import audio, fetch, language, script, speech, subtitles, transcribe, translate, word_times

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
    # A video stored by this service: read it in place instead of downloading `url`.
    local_file: Path | None = None
    # Stop after language identification (whisper-asr-webservice's /detect-language).
    detect_only: bool = False
    # A client's hints to the decoder (OpenAI's `prompt` and `temperature`, /asr's `initial_prompt`).
    prompt: str = ""
    temperature: float = 0.0
    fetch_policy: fetch.FetchPolicy = field(default_factory=fetch.FetchPolicy.from_settings)
    chinese_script: str = field(default_factory=lambda: _setting("AITASKS_CHINESE_SCRIPT", "simplified"))


@dataclass(frozen=True)
class Outcome:
    cues: list[Cue]
    languages: list[str]  # ISO-639-2/B: spoken languages by speech time, then the subtitles language
    speech_detected: bool
    duration_ms: int
    language_detection: list[LanguageShare] = field(default_factory=list)
    words: list[transcribe.TimedWord] = field(default_factory=list)

    def to_result(self, with_words: bool = False) -> TranscriptionResult:
        """What the task stores (aitasks.results). Word timings only when a client asked for
        them (OpenAI's verbose_json): they are most of the size."""
        return TranscriptionResult(
            cues=tuple(self.cues),
            languages=tuple(self.languages),
            speech_detected=self.speech_detected,
            duration_ms=self.duration_ms,
            quality=subtitles.quality_report(self.cues),
            language_detection=tuple(self.language_detection),
            words=tuple(WordTiming(word.start_ms, word.end_ms, word.text) for word in self.words) if with_words else (),
        )


def run_pipeline(job: Job, report: ProgressReport) -> Outcome:
    # How to write subtitles from each spoken language; a language the client named is planned
    # now, so that an unsupported pair is refused before the download.
    plans = (
        {job.audio_language: translate.plan(job.audio_language, job.subtitles_language)} if job.audio_language else {}
    )

    if job.local_file is None:
        report(STAGE_START["download"], "download")
        origin = job.workdir / "origin"
        download_share = STAGE_START["audio"] - STAGE_START["download"]

        def on_download(done: int, total: int | None) -> None:
            if total:
                report(STAGE_START["download"] + int(download_share * min(done, total) / total), "download")

        fetch.download(job.url, origin, job.fetch_policy, on_download)
    else:
        origin = job.local_file

    report(STAGE_START["audio"], "audio")
    samples = audio.decode_first_audio_track(origin, job.max_duration_s)
    if job.local_file is None:
        origin.unlink(missing_ok=True)  # the downloaded original is not needed past this point
    duration_ms = audio.duration_ms(samples)

    report(STAGE_START["speech"], "speech")
    regions = speech.find_speech(samples)
    if not regions:
        spoken = [job.audio_language] if job.audio_language else []
        return Outcome([], spoken, speech_detected=False, duration_ms=duration_ms)

    engine = get_engine()
    report(STAGE_START["language"], "language")
    if job.audio_language:
        spoken_plan = language.fixed(regions, job.audio_language)
    else:
        spoken_plan = language.plan(engine, samples, regions)
    spoken = spoken_plan.spoken()
    if job.detect_only:
        return Outcome(
            [], spoken, speech_detected=True, duration_ms=duration_ms, language_detection=spoken_plan.report()
        )
    for code in spoken:
        if code not in plans:
            plans[code] = translate.plan(code, job.subtitles_language)

    report(STAGE_START["transcription"], "transcription")
    windows = spoken_plan.windows(len(samples))
    total_s = sum(window.seconds for window, _code in windows) or 1.0
    share = STAGE_START["subtitles"] - STAGE_START["transcription"]
    words: list[transcribe.TimedWord] = []
    done_s = 0.0
    # One batched pass per language: each stretch of speech is decoded in its own language.
    for code, plan in plans.items():
        own = [window for window, window_code in windows if window_code == code]
        own_s = sum(window.seconds for window in own)
        base = done_s

        def on_progress(fraction: float, base: float = base, own_s: float = own_s) -> None:
            report(STAGE_START["transcription"] + int(share * (base + own_s * fraction) / total_s), "transcription")

        heard = transcribe.transcribe(
            engine,
            samples,
            own,
            language=code,
            text_language=plan.whisper_output,
            task=plan.whisper_task,
            on_progress=on_progress,
            regions=[span for span, span_code in spoken_plan.regions if span_code == code],
            prompt=job.prompt,
            temperature=job.temperature,
        )
        heard = word_times.settle(heard, samples)
        if plan.text_translator is not None:
            report(STAGE_START["transcription"] + int(share * (base + own_s) / total_s), "translation")
            heard = translate.translate_words(heard, plan.text_translator)
        words.extend(heard)
        done_s += own_s
    words.sort(key=lambda word: word.start_ms)
    words = script.one_script(words, job.chinese_script)

    report(STAGE_START["subtitles"], "subtitles")
    cues = subtitles.build_cues(words)
    target = job.subtitles_language
    result_languages = spoken[:5] + ([target] if target and target not in spoken[:5] else [])
    return Outcome(
        cues,
        result_languages,
        speech_detected=bool(cues),
        duration_ms=duration_ms,
        language_detection=spoken_plan.report(),
        words=words,
    )


def _setting(name: str, default: str) -> str:
    from django.conf import settings

    return getattr(settings, name, default)
