"""Content moderation for one task: fetch → sample frames (frames.py) → score them with the
category's backend (backends.py) → the flagged frames, with a small JPEG of each."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from ..pipeline import fetch
from ..pipeline.errors import PipelineError
from ..results import Detection, ModerationFrame, ModerationResult
from . import frames
from .backends import LABELS, FrameScorer, get_scorer, supported_categories

BATCH = 8  # frames scored per model call
THUMBNAIL_WIDTH = 240
MAX_THUMBNAILS = 60  # per task; past that, evenly spaced flagged frames keep theirs
NUDITY = ("hard_nudity", "soft_nudity")

ProgressReport = Callable[[int, str], None]


class InvalidStopObjects(ValueError):
    pass


def parse_stop_objects(value: str, category: str) -> dict[str, float | None]:
    """`"FEMALE_BREAST_EXPOSED:0.8, ANUS_EXPOSED"` → {label: threshold or None}, checked
    against the category's labels."""
    parsed: dict[str, float | None] = {}
    for entry in filter(None, (item.strip() for item in value.split(","))):
        label, separator, threshold = (part.strip() for part in entry.partition(":"))
        if category not in NUDITY:
            raise InvalidStopObjects("stop_objects is only for the hard_nudity and soft_nudity categories")
        if label not in LABELS[category]:
            raise InvalidStopObjects(f"{label!r} is not a {category} label ({', '.join(LABELS[category])})")
        if not separator:
            parsed[label] = None
            continue
        try:
            number = float(threshold)
        except ValueError:
            raise InvalidStopObjects(f"{entry!r}: the threshold after ':' must be a number") from None
        if not 0 < number <= 1:
            raise InvalidStopObjects(f"{entry!r}: the threshold must be above 0 and at most 1")
        parsed[label] = number
    return parsed


def format_stop_objects(parsed: dict[str, float | None]) -> str:
    return ",".join(label if threshold is None else f"{label}:{threshold:g}" for label, threshold in parsed.items())


@dataclass(frozen=True)
class ModerationJob:
    url: str
    workdir: Path
    category: str
    stop_objects: str = ""
    max_duration_s: float = 4 * 3600
    max_frames: int = 600
    local_file: Path | None = None
    fetch_policy: fetch.FetchPolicy = field(default_factory=fetch.FetchPolicy.from_settings)


@dataclass(frozen=True)
class Flag:
    frame_number: int
    time_ms: int
    detections: list[Detection]  # above their thresholds, most confident first
    jpeg: bytes


@dataclass(frozen=True)
class ModerationOutcome:
    category: str
    flags: list[Flag]
    frames_scored: int
    interval_s: float
    stopped_by: str | None = None  # the stop object that ended the scan

    def to_result(self) -> ModerationResult:
        """What the task stores (aitasks.results)."""
        found = {detection.label for flag in self.flags for detection in flag.detections}
        return ModerationResult(
            category=self.category,
            detected=bool(self.flags),
            detection_results=tuple(label for label in LABELS[self.category] if label in found),
            frames=tuple(
                ModerationFrame(flag.frame_number, flag.time_ms, detection.label, round(float(detection.confidence), 4))
                for flag in self.flags
                for detection in flag.detections
            ),
            frames_scored=self.frames_scored,
            interval_s=round(self.interval_s, 3),
            stopped_by=self.stopped_by,
        )

    def thumbnails(self) -> list[Flag]:
        """The flagged frames that keep a JPEG: all, or MAX_THUMBNAILS evenly spaced."""
        if len(self.flags) <= MAX_THUMBNAILS:
            return self.flags
        step = len(self.flags) / MAX_THUMBNAILS
        return [self.flags[int(index * step)] for index in range(MAX_THUMBNAILS)]


def thresholds(category: str, stop_objects: dict[str, float | None]) -> dict[str, float]:
    default = (
        settings.AITASKS_MODERATION_NSFW_THRESHOLD if category == "nsfw" else settings.AITASKS_MODERATION_THRESHOLD
    )
    levels = dict.fromkeys(LABELS[category], default)
    for label, threshold in stop_objects.items():
        if threshold is not None:
            levels[label] = min(default, threshold)
    return levels


def run_moderation(job: ModerationJob, report: ProgressReport) -> ModerationOutcome:
    stop_objects = parse_stop_objects(job.stop_objects, job.category)
    if job.category not in supported_categories():  # switched off since the task was queued
        raise PipelineError(f"content moderation category {job.category!r} is not enabled on this installation")
    scorer = get_scorer(job.category)  # before the download: a model that cannot load fails fast
    if job.local_file is None:
        report(1, "download")
        origin = job.workdir / "origin"

        def on_download(done: int, total: int | None) -> None:
            if total:
                report(1 + int(19 * min(done, total) / total), "download")

        fetch.download(job.url, origin, job.fetch_policy, on_download)
    else:
        origin = job.local_file

    report(20, "frames")
    outcome = _scan(origin, job, scorer, stop_objects, report)
    if job.local_file is None:
        origin.unlink(missing_ok=True)
    return outcome


def _scan(
    origin: Path,
    job: ModerationJob,
    scorer: FrameScorer,
    stop_objects: dict[str, float | None],
    report: ProgressReport,
) -> ModerationOutcome:
    levels = thresholds(job.category, stop_objects)
    stop_levels = {label: threshold or levels[label] for label, threshold in stop_objects.items()}
    duration_s = frames.video_duration(origin)
    interval = frames.interval_s(duration_s, job.max_frames)
    flags: list[Flag] = []
    scored = 0
    for batch in _batches(frames.sample_frames(origin, job.max_duration_s, job.max_frames), BATCH):
        results = scorer.score([frame.image for frame in batch])
        for frame, detections in zip(batch, results, strict=True):
            scored += 1
            kept = sorted(
                (detection for detection in detections if detection.confidence >= levels.get(detection.label, 2.0)),
                key=lambda detection: -detection.confidence,
            )
            if kept:
                flags.append(Flag(frame.frame_number, frame.time_ms, kept, _thumbnail(frame.image)))
            for detection in kept:
                if detection.confidence >= stop_levels.get(detection.label, 2.0):
                    return ModerationOutcome(job.category, flags, scored, interval, stopped_by=detection.label)
        # Every batch, known duration or not: the report is also the worker's heartbeat, and
        # where a cancelled task stops.
        done = min(1.0, batch[-1].time_ms / 1000 / duration_s) if duration_s else 0.0
        report(20 + int(75 * done), "moderation")
    return ModerationOutcome(job.category, flags, scored, interval)


def _batches(items: Iterator[frames.SampledFrame], size: int) -> Iterator[list[frames.SampledFrame]]:
    batch: list[frames.SampledFrame] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _thumbnail(image: Any) -> bytes:
    width = min(THUMBNAIL_WIDTH, image.width)
    height = max(2, round(image.height * width / image.width))
    buffer = io.BytesIO()
    image.resize((width, height)).save(buffer, format="JPEG", quality=72, optimize=True)
    return buffer.getvalue()
