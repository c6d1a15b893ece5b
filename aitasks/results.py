"""What a task stores as JSON, typed: its result (a transcription's or a content moderation's),
its options, and the detections of a flagged frame; `TaskJSON` is the one class that writes and
reads them. Nobody else looks inside the stored JSON: the API, the dashboard, the other
clients' formats and the videos' tracks read these types.

Times are integer milliseconds. There is room for what is coming: each word and cue may name
its speaker, and a transcription keeps edited revisions of its subtitles beside the AI's
original (what is shown is the latest revision, or the original while there is none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NotRequired, TypedDict

from .cues import Cue

# --- the stored shapes --------------------------------------------------------------------


class CueJSON(TypedDict):
    start: int
    end: int
    lines: list[str]
    language: str
    speaker: NotRequired[str]
    settings: NotRequired[str]  # WebVTT cue settings ("line:0 align:start")


class WordJSON(TypedDict):
    start: int
    end: int
    text: str
    speaker: NotRequired[str]


class LanguageShare(TypedDict):
    """One spoken language of a transcription: how much of the speech, how sure."""

    language: str  # ISO-639-2/B
    speech_seconds: float
    confidence: float


class RevisionJSON(TypedDict):
    cues: list[CueJSON]
    created_at: str  # ISO 8601, UTC
    author: str


class TranscriptionJSON(TypedDict):
    cues: list[CueJSON]
    languages: list[str]
    speech_detected: bool
    duration_ms: int
    quality: dict[str, int]
    language_detection: list[LanguageShare]
    words: NotRequired[list[WordJSON]]
    revisions: NotRequired[list[RevisionJSON]]


class ModerationFrameJSON(TypedDict):
    frame_number: int
    time_ms: int
    label: str
    confidence: float


class ModerationJSON(TypedDict):
    category: str
    detected: bool
    detection_results: list[str]
    frames: list[ModerationFrameJSON]
    frames_scored: int
    interval_s: float
    stopped_by: str | None


class DetectionJSON(TypedDict):
    label: str
    confidence: float


class OptionsJSON(TypedDict, total=False):
    api: str
    task: str
    words: bool
    detect_only: bool
    prompt: str
    temperature: float


# --- transcription ------------------------------------------------------------------------


@dataclass(frozen=True)
class WordTiming:
    """A word where it is spoken (kept when a client asked for word timestamps)."""

    start_ms: int
    end_ms: int
    text: str  # with the leading space Whisper writes where the language uses spaces
    speaker: str = ""


@dataclass(frozen=True)
class Revision:
    """Subtitles edited by a person, kept beside the AI's original."""

    cues: tuple[Cue, ...]
    created_at: str
    author: str = ""


@dataclass(frozen=True)
class TranscriptionResult:
    cues: tuple[Cue, ...]  # the AI's subtitles, as the pipeline wrote them
    # ISO-639-2/B: the spoken languages by speech time, then the subtitles' language.
    languages: tuple[str, ...] = ()
    speech_detected: bool = False
    duration_ms: int = 0
    quality: Mapping[str, int] = field(default_factory=dict)  # subtitles.quality_report
    language_detection: tuple[LanguageShare, ...] = ()
    words: tuple[WordTiming, ...] = ()
    revisions: tuple[Revision, ...] = ()

    @property
    def subtitles(self) -> tuple[Cue, ...]:
        """The subtitles as shown and served: the latest revision, else the AI's."""
        return self.revisions[-1].cues if self.revisions else self.cues

    def revised(self, cues: Iterable[Cue], created_at: str, author: str = "") -> TranscriptionResult:
        """This result with `cues` as its latest revision; the AI's original stays."""
        return replace(self, revisions=(*self.revisions, Revision(tuple(cues), created_at, author)))

    def search_text(self) -> str:
        """The words a search finds the task by (Task.text)."""
        return " ".join(cue.text for cue in self.subtitles)


# --- content moderation -------------------------------------------------------------------

# Gcore names the flag of each category's result model ("nsfw_detected", "nudity_detected").
DETECTED_KEY = {"nsfw": "nsfw_detected", "hard_nudity": "nudity_detected", "soft_nudity": "nudity_detected"}


@dataclass(frozen=True)
class ModerationFrame:
    """One label found on one frame, above its threshold."""

    frame_number: int
    time_ms: int
    label: str
    confidence: float


@dataclass(frozen=True)
class ModerationResult:
    category: str
    detected: bool
    detection_results: tuple[str, ...]  # the labels found, in the category's order
    frames: tuple[ModerationFrame, ...]
    frames_scored: int
    interval_s: float
    stopped_by: str | None = None  # the stop object that ended the scan

    def to_api(self) -> dict[str, Any]:
        """The result in the shape of Gcore's result model for its category."""
        return {
            DETECTED_KEY.get(self.category, f"{self.category}_detected"): self.detected,
            "detection_results": list(self.detection_results),
            "frames": [
                {"confidence": frame.confidence, "frame_number": frame.frame_number, "label": frame.label}
                for frame in self.frames
            ],
        }

    def search_text(self) -> str:
        return " ".join(self.detection_results)


@dataclass(frozen=True)
class Detection:
    """A label a moderation backend found in a picture, with its confidence (0..1)."""

    label: str
    confidence: float


# --- options ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskOptions:
    """What the OpenAI- and whisper-asr-webservice-compatible clients asked for beyond Gcore's
    fields."""

    api: str = ""  # "openai" or "asr": the API the task came through
    task: str = "transcribe"  # "transcribe", or "translate" (to English)
    words: bool = False  # keep word timings in the result (verbose_json, word_timestamps)
    detect_only: bool = False  # stop after language identification (/detect-language)
    prompt: str = ""  # names and spellings the decoder should expect
    temperature: float = 0.0  # where the decoder's temperature fallback starts


# --- the one reader and writer ------------------------------------------------------------


class TaskJSON:
    """Writes and reads what a task stores as JSON. Reading tolerates what older versions
    stored: results without a cue language, word timings as [start, end, text] lists."""

    # results

    @classmethod
    def dump_result(cls, result: TranscriptionResult | ModerationResult) -> dict[str, Any]:
        if isinstance(result, ModerationResult):
            return cls.dump_moderation(result)
        return cls.dump_transcription(result)

    @classmethod
    def dump_transcription(cls, result: TranscriptionResult) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if result.words:
            data["words"] = [cls.dump_word(word) for word in result.words]
        data.update(
            cues=[cls.dump_cue(cue) for cue in result.cues],
            languages=list(result.languages),
            speech_detected=result.speech_detected,
            duration_ms=result.duration_ms,
            quality=dict(result.quality),
            language_detection=[dict(share) for share in result.language_detection],
        )
        if result.revisions:
            data["revisions"] = [
                {
                    "cues": [cls.dump_cue(cue) for cue in revision.cues],
                    "created_at": revision.created_at,
                    "author": revision.author,
                }
                for revision in result.revisions
            ]
        return data

    @classmethod
    def load_transcription(cls, data: Mapping[str, Any] | None, with_text: bool = True) -> TranscriptionResult:
        """`with_text=False` leaves out the cues, words and revisions: what a table row needs
        (its languages) without reading a long transcript."""
        data = data or {}
        if not with_text:
            data = {key: value for key, value in data.items() if key not in ("cues", "words", "revisions")}
        return TranscriptionResult(
            cues=tuple(cls.load_cue(cue) for cue in data.get("cues", ())),
            languages=tuple(data.get("languages") or ()),
            speech_detected=bool(data.get("speech_detected")),
            duration_ms=int(data.get("duration_ms") or 0),
            quality=dict(data.get("quality") or {}),
            language_detection=tuple(
                LanguageShare(
                    language=str(share["language"]),
                    speech_seconds=float(share.get("speech_seconds", 0.0)),
                    confidence=float(share.get("confidence", 0.0)),
                )
                for share in data.get("language_detection") or ()
            ),
            words=tuple(cls.load_word(word) for word in data.get("words") or ()),
            revisions=tuple(
                Revision(
                    tuple(cls.load_cue(cue) for cue in revision["cues"]),
                    str(revision.get("created_at", "")),
                    str(revision.get("author", "")),
                )
                for revision in data.get("revisions") or ()
            ),
        )

    @staticmethod
    def dump_moderation(result: ModerationResult) -> dict[str, Any]:
        return {
            "category": result.category,
            "detected": result.detected,
            "detection_results": list(result.detection_results),
            "frames": [
                {"frame_number": f.frame_number, "time_ms": f.time_ms, "label": f.label, "confidence": f.confidence}
                for f in result.frames
            ],
            "frames_scored": result.frames_scored,
            "interval_s": result.interval_s,
            "stopped_by": result.stopped_by,
        }

    @staticmethod
    def load_moderation(data: Mapping[str, Any]) -> ModerationResult:
        return ModerationResult(
            category=str(data["category"]),
            detected=bool(data["detected"]),
            detection_results=tuple(data["detection_results"]),
            frames=tuple(
                ModerationFrame(int(f["frame_number"]), int(f["time_ms"]), str(f["label"]), float(f["confidence"]))
                for f in data["frames"]
            ),
            frames_scored=int(data.get("frames_scored", 0)),
            interval_s=float(data.get("interval_s", 0.0)),
            stopped_by=data.get("stopped_by"),
        )

    # cues and words

    @staticmethod
    def dump_cue(cue: Cue) -> CueJSON:
        data = CueJSON(start=cue.start_ms, end=cue.end_ms, lines=list(cue.lines), language=cue.language)
        if cue.speaker:
            data["speaker"] = cue.speaker
        if cue.settings:
            data["settings"] = cue.settings
        return data

    @staticmethod
    def load_cue(data: Mapping[str, Any]) -> Cue:
        # Results stored before cues had a language have none.
        return Cue(
            data["start"],
            data["end"],
            tuple(data["lines"]),
            data.get("language", ""),
            speaker=data.get("speaker", ""),
            settings=data.get("settings", ""),
        )

    @staticmethod
    def dump_word(word: WordTiming) -> WordJSON:
        data = WordJSON(start=word.start_ms, end=word.end_ms, text=word.text)
        if word.speaker:
            data["speaker"] = word.speaker
        return data

    @staticmethod
    def load_word(data: Mapping[str, Any] | Sequence[Any]) -> WordTiming:
        if isinstance(data, Sequence):  # stored before words had named fields
            start, end, text = data
            return WordTiming(int(start), int(end), str(text))
        return WordTiming(int(data["start"]), int(data["end"]), str(data["text"]), str(data.get("speaker", "")))

    # a flagged frame's detections

    @staticmethod
    def dump_detections(detections: Iterable[Detection]) -> list[DetectionJSON]:
        return [{"label": d.label, "confidence": round(float(d.confidence), 4)} for d in detections]

    @staticmethod
    def load_detections(data: Iterable[Mapping[str, Any]]) -> list[Detection]:
        return [Detection(str(item["label"]), float(item["confidence"])) for item in data]

    # options

    @staticmethod
    def dump_options(options: TaskOptions) -> OptionsJSON:
        """Only what differs from the defaults (most tasks store `{}`)."""
        defaults = TaskOptions()
        data: dict[str, Any] = {}
        for name in TaskOptions.__dataclass_fields__:
            value = getattr(options, name)
            if value != getattr(defaults, name) or (name == "task" and options.api):
                data[name] = value
        return OptionsJSON(**data)  # type: ignore[typeddict-item]

    @staticmethod
    def load_options(data: Mapping[str, Any] | None) -> TaskOptions:
        data = data or {}
        return TaskOptions(
            api=str(data.get("api", "")),
            task=str(data.get("task") or "transcribe"),
            words=bool(data.get("words")),
            detect_only=bool(data.get("detect_only")),
            prompt=str(data.get("prompt") or ""),
            temperature=float(data.get("temperature") or 0.0),
        )
