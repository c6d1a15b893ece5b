"""A finished task's transcript in the shapes other clients expect: OpenAI's response formats
and whisper-asr-webservice's outputs. Segments are the task's subtitle cues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

from . import languages
from .cues import Cue, full_text, render_srt, render_vtt
from .models import Task
from .results import TranscriptionResult, WordTiming


def model_name() -> str:
    """The Whisper model that runs here, as clients see it (`whisper-base`, or the directory
    name of an operator's model)."""
    name = Path(settings.AITASKS_WHISPER_MODEL).name
    return name if "whisper" in name.lower() else f"whisper-{name}"


def _result(task: Task) -> TranscriptionResult:
    return task.transcription() or TranscriptionResult(cues=())


def spoken_language(task: Task) -> languages.Language | None:
    codes = list(_result(task).languages) or ([task.audio_language] if task.audio_language else [])
    try:
        return languages.get(codes[0]) if codes else None
    except languages.UnknownLanguage:
        return None


def duration_s(task: Task) -> float:
    return round(_result(task).duration_ms / 1000, 3)


def _segments(task: Task, with_words: bool) -> list[dict[str, Any]]:
    words = _result(task).words if with_words else ()
    segments = []
    for index, cue in enumerate(task.cues()):
        segment: dict[str, Any] = {
            "id": index,
            # Whisper's own decoding details are not kept; these are its neutral values.
            "seek": cue.start_ms // 10,
            "start": cue.start_ms / 1000,
            "end": cue.end_ms / 1000,
            "text": cue.text,
            "tokens": [],
            "temperature": 0.0,
            "avg_logprob": 0.0,
            "compression_ratio": 1.0,
            "no_speech_prob": 0.0,
        }
        if with_words:
            segment["words"] = _words_in(words, cue)
        segments.append(segment)
    return segments


def _word(word: WordTiming) -> dict[str, Any]:
    return {"word": word.text.strip(), "start": word.start_ms / 1000, "end": word.end_ms / 1000}


def _words_in(words: tuple[WordTiming, ...], cue: Cue) -> list[dict[str, Any]]:
    return [_word(word) for word in words if cue.start_ms <= word.start_ms < cue.end_ms]


# --- OpenAI ---------------------------------------------------------------------------------

OPENAI_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")


def openai_response(task: Task, response_format: str, granularities: set[str]) -> tuple[str, str]:
    """(content type, body) of /v1/audio/transcriptions and /translations."""
    cues = task.cues()
    if response_format == "text":
        return "text/plain; charset=utf-8", full_text(cues) + "\n"
    if response_format == "srt":
        return "text/plain; charset=utf-8", render_srt(cues)
    if response_format == "vtt":
        return "text/plain; charset=utf-8", render_vtt(cues)
    usage = {"type": "duration", "seconds": duration_s(task)}
    body: dict[str, Any] = {"text": full_text(cues), "model": model_name(), "usage": usage}
    if response_format == "verbose_json":
        language = spoken_language(task)
        body.update(
            task=task.task_options().task,
            language=language.name.lower() if language else "unknown",
            duration=duration_s(task),
        )
        if "segment" in granularities or not granularities:
            body["segments"] = _segments(task, with_words=False)
        if "word" in granularities:
            body["words"] = [_word(word) for word in _result(task).words]
    return "application/json", json.dumps(body, ensure_ascii=False)


# --- whisper-asr-webservice -----------------------------------------------------------------

ASR_OUTPUTS = ("txt", "vtt", "srt", "tsv", "json")


def asr_response(task: Task, output: str, with_words: bool) -> str:
    """The body of whisper-asr-webservice's /asr for `output`."""
    cues = task.cues()
    if output == "vtt":
        return render_vtt(cues)
    if output == "srt":
        return render_srt(cues)
    if output == "tsv":
        rows = [f"{cue.start_ms}\t{cue.end_ms}\t{cue.text.replace(chr(9), ' ')}" for cue in cues]
        return "\n".join(["start\tend\ttext", *rows]) + "\n"
    if output == "json":
        language = spoken_language(task)
        body = {
            "text": full_text(cues),
            "segments": _segments(task, with_words=with_words),
            "language": language.whisper_code if language else None,
        }
        return json.dumps(body, ensure_ascii=False)
    return "".join(cue.text + "\n" for cue in cues)
