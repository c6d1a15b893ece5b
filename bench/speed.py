"""Issue 2's speed bench: our whole pipeline against plain faster-whisper on the same long clip.

The clip (231 s of LJ Speech by default) is muxed into an MP4 and served over HTTP from
127.0.0.1; the pipeline downloads it, decodes it, finds speech, identifies the language,
transcribes and builds cues. Plain faster-whisper gets the original audio file with its
defaults (beam 5, no VAD, sequential). Each variant runs in its own process, so its peak RSS
is its own; model load and a first call on a second of audio (the worker's warm-up, which the
service runs when a worker starts) are timed apart from processing. The pipeline runs as the
worker does: with glibc's malloc tuned (aitasks/malloc_tuning.py, which `manage.py qcluster`
applies); "plain, tuned malloc" is plain faster-whisper under the same tunables, so that the
ratio does not hide in the environment. "before" is the pipeline as before issue 13 (one
replica on all cores, glibc's defaults).

    .venv/bin/python bench/speed.py [--audio PATH] [--repeat N] [--rounds N] [--also NAME=VALUE,...]

Prints a table (variant, load s, process s, RTF = audio s / process s, WER, peak RSS MB),
the ratio pipeline RTF / plain RTF, the pipeline's seconds per stage, and its encoder passes
(30 s windows encoded, reused encodings not counted) against the windows its speech needs.
`--also` adds the pipeline once more with those environment settings (e.g.
`AITASKS_WHISPER_CPU_THREADS=1`), and `--other PATH` the pipeline of another checkout (its own
bench/speed.py, e.g. main's), in the same rounds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/speech beside the checkout, or two levels up from a worktree (../../shared/speech).
SPEECH = (
    Path(os.environ["AITASKS_SPEECH_DIR"])
    if os.environ.get("AITASKS_SPEECH_DIR")
    else next(
        (
            folder
            for folder in (ROOT.parent / "shared" / "speech", ROOT.parent.parent / "shared" / "speech")
            if folder.is_dir()
        ),
        ROOT.parent / "shared" / "speech",
    )
)
MANIFEST = SPEECH / "manifest.tsv"
DEFAULT_AUDIO = SPEECH / "derived" / "ljspeech_LJ001-0001-0032_concat.flac"
VARIANTS = ("pipeline", "before", "plain", "plain-tuned", "also", "other")
# "before": the pipeline with the threading it had before issue 13 (1 CTranslate2 replica on all cores, batches of 8).
BEFORE_ENV = {
    "AITASKS_WHISPER_CPU_WORKERS": "1",
    "AITASKS_WHISPER_CPU_THREADS": str(os.cpu_count() or 1),
    "AITASKS_WHISPER_BATCH_SIZE": "8",
}
# "also" (with --also NAME=VALUE,...): the pipeline once more with these settings, in the same rounds.
ALSO_ENV: dict[str, str] = {}
# "other" (with --other PATH): the pipeline of another checkout (e.g. main's), in the same rounds.
OTHER: list[Path] = []
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from textnorm import error_rate  # noqa: E402


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("AITASKS_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    os.environ.setdefault("AITASKS_MODEL_CACHE_DIR", str(ROOT / "var" / "models"))
    os.environ.setdefault("AITASKS_DATA_DIR", tempfile.mkdtemp(prefix="aitasks-bench-"))
    import django

    django.setup()


def read_manifest() -> list[dict[str, str]]:
    with MANIFEST.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t", quoting=csv.QUOTE_NONE))


def manifest_row(audio: Path) -> dict[str, str] | None:
    for row in read_manifest():
        if (SPEECH / row["file"]).resolve() == audio.resolve():
            return row
    return None


def decode(path: Path, max_duration_s: float = 4 * 3600) -> object:
    """16 kHz mono float32, as the pipeline decodes it."""
    from aitasks.pipeline.audio import decode_first_audio_track

    return decode_first_audio_track(path, max_duration_s)


def mux(samples: object, target: Path, codec: str = "alac") -> Path:
    """`samples` as the audio track of an MP4, losslessly (ALAC) by default: the pipeline hears
    the clip as plain faster-whisper does, up to 16-bit rounding. `codec="aac"` writes the usual
    MP4 audio, as users upload it: that changed words on conversational clips by up to 10 points
    of WER either way (Whisper's output shifts with inaudible differences), so whoever compares
    must give plain faster-whisper the samples decoded from the same file."""
    from tests.media import write_mp4

    return write_mp4(target, [samples], audio_codec=codec)


def serve(folder: Path) -> object:
    """A real HTTP server on 127.0.0.1 for `folder` (the test suite's)."""
    from tests.conftest import MediaServer

    return MediaServer(folder)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def clocks() -> tuple[float, float]:
    """Wall and CPU (all threads of this process) seconds: on a shared machine CPU time is the steadier."""
    return time.perf_counter(), time.process_time()


def stage_seconds(changes: list[tuple[tuple[float, float], str]], end: tuple[float, float]) -> dict[str, list[float]]:
    """[wall s, CPU s] per stage from the clocks at each stage change."""
    seconds: dict[str, list[float]] = {}
    for (start, stage), (following, _next) in zip(changes, [*changes[1:], (end, "")], strict=True):
        total = seconds.setdefault(stage, [0.0, 0.0])
        total[0] += following[0] - start[0]
        total[1] += following[1] - start[1]
    return seconds


class EncoderCounter:
    """Wraps the CTranslate2 model: counts the windows each call encodes (mel input, not encoder output)."""

    def __init__(self, model: object) -> None:
        self._model = model
        self.windows = 0

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._model, name)
        if name not in ("encode", "generate", "detect_language", "align") or not callable(attribute):
            return attribute

        def counted(features: object, *args: object, **kwargs: object) -> object:
            shape = tuple(features.shape)  # type: ignore[attr-defined]
            if len(shape) == 3 and shape[1] in (80, 128):  # mel frames: this call runs the encoder
                self.windows += shape[0]
            return attribute(features, *args, **kwargs)

        return counted


def count_encoder_passes(engine: object) -> EncoderCounter | None:
    """Counts the engine's encoder passes, where the engine is faster-whisper's (else None):
    beneath the kept encodings (kept_encodings.py), so that a window reused is not counted."""
    whisper = getattr(engine, "_whisper", None)
    if whisper is None or not hasattr(whisper, "model"):
        return None
    holder, name = (whisper.model, "inner") if hasattr(whisper.model, "inner") else (whisper, "model")
    setattr(holder, name, EncoderCounter(getattr(holder, name)))
    return getattr(holder, name)


def speech_windows(audio: Path) -> int:
    """The fewest encoder passes the speech needs: its 30 s decoding windows."""
    from aitasks.pipeline import speech

    return len(speech.group_into_windows(speech.find_speech(decode(audio))))


# --- the children: one variant each, one JSON line on stdout ------------------------------


def child_pipeline(url: str, repeat: int, audio: Path) -> dict[str, object]:
    setup_django()
    from aitasks.cues import full_text
    from aitasks.engines import get_engine
    from aitasks.pipeline.runner import Job, run_pipeline
    from aitasks.warmup import warm_up

    started = time.perf_counter()
    engine = get_engine()  # imports faster-whisper, assembles/loads the model: what a worker does once
    warm_up()  # ... and warms up, before its first task
    load_s = time.perf_counter() - started
    counter = count_encoder_passes(engine)
    threading = f"{getattr(engine, 'cpu_workers', '?')} × {getattr(engine, 'cpu_threads', '?')} threads"
    runs = []
    for _ in range(repeat):
        if counter is not None:
            counter.windows = 0
        changes: list[tuple[tuple[float, float], str]] = []

        def report(percent: int, stage: str, changes: list[tuple[tuple[float, float], str]] = changes) -> None:
            if not changes or changes[-1][1] != stage:
                changes.append((clocks(), stage))

        with tempfile.TemporaryDirectory(prefix="aitasks-speed-") as workdir:
            started = clocks()
            outcome = run_pipeline(Job(url=url, workdir=Path(workdir)), report)
            ended = clocks()
        runs.append(
            {
                "process_s": ended[0] - started[0],
                "cpu_s": ended[1] - started[1],
                "stages": stage_seconds(changes, ended),
                "text": full_text(outcome.cues),
                "cues": len(outcome.cues),
                "languages": outcome.languages,
                "encoder_passes": counter.windows if counter is not None else None,
            }
        )
    result = {"load_s": load_s, "runs": runs, "peak_rss_mb": peak_rss_mb(), "threading": threading}
    return result | {"speech_windows": speech_windows(audio)}


def child_plain(audio: Path, repeat: int) -> dict[str, object]:
    setup_django()
    from django.conf import settings

    from aitasks.engines.model_files import model_directory
    from aitasks.warmup import warm_up_tone

    model_dir = model_directory("base", settings.AITASKS_MODEL_CACHE_DIR)
    started = time.perf_counter()
    from faster_whisper import WhisperModel

    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=os.cpu_count())
    for _segment in model.transcribe(warm_up_tone())[0]:
        pass  # the same first call as the pipeline's warm-up
    load_s = time.perf_counter() - started
    runs = []
    for _ in range(repeat):
        started = clocks()
        segments, _info = model.transcribe(str(audio))  # defaults: beam 5, no VAD
        text = " ".join(segment.text.strip() for segment in segments)  # a generator: decoding happens here
        ended = clocks()
        runs.append({"process_s": ended[0] - started[0], "cpu_s": ended[1] - started[1], "text": text})
    return {"load_s": load_s, "runs": runs, "peak_rss_mb": peak_rss_mb()}


# --- the parent ---------------------------------------------------------------------------


def run_child(variant: str, audio: Path, url: str, repeat: int) -> dict[str, object]:
    from aitasks.malloc_tuning import tuned_environment

    root = OTHER[0] if variant == "other" else ROOT
    child = {"other": "pipeline", "plain-tuned": "plain"}.get(variant, variant)
    command = [sys.executable, str(root / "bench" / "speed.py"), "--child", child, "--audio", str(audio), "--url", url]
    env = os.environ | (BEFORE_ENV if variant == "before" else ALSO_ENV if variant == "also" else {})
    if variant in ("pipeline", "also", "other", "plain-tuned"):
        env = tuned_environment(env)  # as the worker runs (manage.py qcluster)
    done = subprocess.run([*command, "--repeat", str(repeat)], capture_output=True, text=True, cwd=root, env=env)
    if done.returncode != 0:
        sys.exit(f"{variant} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=DEFAULT_AUDIO)
    parser.add_argument("--repeat", type=int, default=1, help="processing runs per variant (median reported)")
    parser.add_argument("--rounds", type=int, default=1, help="variants run in turn this many times (noisy machines)")
    parser.add_argument(
        "--also", default="", help="NAME=VALUE,...: one more pipeline variant with these environment settings"
    )
    parser.add_argument(
        "--other", type=Path, help="another checkout (e.g. main's) whose pipeline runs in the same rounds"
    )
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    ALSO_ENV.update(pair.split("=", 1) for pair in args.also.split(",") if pair)  # type: ignore[arg-type]
    OTHER.extend([args.other.resolve()] if args.other else [])
    if args.child in ("pipeline", "before", "also"):
        print(json.dumps(child_pipeline(args.url, args.repeat, args.audio)))
        return
    if args.child == "plain":
        print(json.dumps(child_plain(args.audio, args.repeat)))
        return

    setup_django()
    row = manifest_row(args.audio)
    reference = row["reference"] if row and row["reference_kind"] in ("human", "test-expected") else ""
    language = row["language"] if row else "en"
    samples = decode(args.audio)
    audio_s = len(samples) / 16_000
    folder = Path(tempfile.mkdtemp(prefix="aitasks-speed-serve-"))
    mux(samples, folder / "clip.mp4")
    server = serve(folder)
    print(f"audio: {args.audio} ({audio_s:.1f} s), served as {server.url('clip.mp4')}; {os.cpu_count()} CPU cores")
    print(f"repeat: {args.repeat} × {args.rounds} rounds; process s = median over the runs; model load timed apart\n")
    results: dict[str, dict[str, object]] = {}
    try:
        for _round in range(args.rounds):  # variants in turn: a busy spell hits them alike
            wanted = {"also": bool(ALSO_ENV), "other": bool(OTHER)}
            for variant in (variant for variant in VARIANTS if wanted.get(variant, True)):
                result = run_child(variant, args.audio, server.url("clip.mp4"), args.repeat)
                if variant in results:
                    results[variant]["runs"] += result["runs"]  # type: ignore[operator]
                    results[variant]["peak_rss_mb"] = max(results[variant]["peak_rss_mb"], result["peak_rss_mb"])  # type: ignore[type-var]
                else:
                    results[variant] = result
    finally:
        server.close()

    print(f"load: {os.getloadavg()[0]:.1f} (1-min load average; above {os.cpu_count()} others share the CPU)\n")
    print(f"{'variant':<40} {'load s':>7} {'process s':>10} {'RTF':>7} {'CPU s':>7} {'WER':>7} {'peak RSS MB':>12}")
    rtf = {}
    labels = {
        "pipeline": f"aitasks pipeline ({results['pipeline']['threading']})",
        "before": f"same, before issue 13 ({results['before']['threading']})",
        "also": f"same, {args.also} ({results.get('also', {}).get('threading')})",
        "other": f"pipeline of {args.other} ({results.get('other', {}).get('threading')})",
        "plain": "faster-whisper defaults",
        "plain-tuned": "same, tuned malloc",
    }
    for variant, result in results.items():
        runs = result["runs"]
        process_s = statistics.median(run["process_s"] for run in runs)
        cpu_s = statistics.median(run["cpu_s"] for run in runs)
        rtf[variant] = audio_s / process_s
        wers = [error_rate(reference, run["text"], language) for run in runs] if reference else []
        wer = f"{100 * statistics.median(wers):.1f} %" if wers else "n/a"
        print(
            f"{labels[variant]:<40} {result['load_s']:>7.2f} {process_s:>10.1f} {rtf[variant]:>6.1f}× {cpu_s:>7.1f} "
            f"{wer:>7} {result['peak_rss_mb']:>12.0f}"
        )
        if len(runs) > 1:
            print(f"{'':<40} runs: " + ", ".join(f"{run['process_s']:.1f} s" for run in runs))
    print(f"\nratio pipeline RTF / plain RTF: {rtf['pipeline'] / rtf['plain']:.2f}")
    print(f"ratio pipeline RTF / plain RTF, both with tuned malloc: {rtf['pipeline'] / rtf['plain-tuned']:.2f}")
    print(f"ratio pipeline RTF / before issue 13: {rtf['pipeline'] / rtf['before']:.2f}")
    if ALSO_ENV:
        print(f"ratio {args.also} RTF / pipeline RTF: {rtf['also'] / rtf['pipeline']:.2f}")
    if OTHER:
        print(f"ratio pipeline RTF / {args.other}'s: {rtf['pipeline'] / rtf['other']:.2f}")
    for variant in [variant for variant in ("pipeline", "before", "also", "other") if variant in results]:
        per_round = [run["process_s"] for run in results[variant]["runs"]]  # type: ignore[index]
        plain = [run["process_s"] for run in results["plain"]["runs"]]  # type: ignore[index]
        ratios = [theirs / mine for mine, theirs in zip(per_round, plain, strict=False)]
        print(f"  {variant} / plain per round: " + ", ".join(f"{ratio:.2f}" for ratio in ratios))

    pipeline_runs = results["pipeline"]["runs"]
    wall_total = statistics.median(sum(wall for wall, _cpu in run["stages"].values()) for run in pipeline_runs)
    cpu_total = statistics.median(sum(cpu for _wall, cpu in run["stages"].values()) for run in pipeline_runs)
    print("\npipeline stages (median)   wall s   share    CPU s   share")
    for stage in pipeline_runs[0]["stages"]:
        wall = statistics.median(run["stages"].get(stage, [0.0, 0.0])[0] for run in pipeline_runs)
        cpu = statistics.median(run["stages"].get(stage, [0.0, 0.0])[1] for run in pipeline_runs)
        print(
            f"  {stage:<24} {wall:>7.2f} {100 * wall / (wall_total or 1):>5.1f} % "
            f"{cpu:>7.2f} {100 * cpu / (cpu_total or 1):>5.1f} %"
        )
    last = pipeline_runs[-1]
    print(f"  cues: {last['cues']}, languages: {', '.join(last['languages'])}")
    passes = last.get("encoder_passes")
    needed = results["pipeline"].get("speech_windows")
    if passes is not None:
        print(f"  encoder passes (30 s windows encoded): {passes}; the speech needs {needed} (its decoding windows)")
    if "other" in results:
        print(f"  {args.other}'s encoder passes: {results['other']['runs'][-1].get('encoder_passes')}")  # type: ignore[index]


if __name__ == "__main__":
    main()
