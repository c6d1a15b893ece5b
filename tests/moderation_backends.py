"""A moderation backend as an operator plugs one in (AITASKS_MODERATION_BACKENDS), for the
tests only: it "finds" its label in every mostly red frame.

No picture the tests could make would show real nudity or sport, so this backend is how the
tests reach the paths that need a detection (flagged frames, thumbnails, stop_objects, the
sport result) with frames whose answer is known. The real models are tested too, on frames
they must leave alone (test_moderation.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from aitasks.moderation.backends import Detection

LABEL = {"nsfw": "nsfw", "hard_nudity": "BUTTOCKS_EXPOSED", "soft_nudity": "BELLY_EXPOSED", "sport": "football"}


class RedFrames:
    def __init__(self, category: str) -> None:
        self.label = LABEL[category]

    @classmethod
    def available(cls) -> bool:
        return True

    @classmethod
    def from_settings(cls, category: str) -> RedFrames:
        return cls(category)

    def load(self) -> None:
        pass

    def score(self, images: list[Any]) -> list[list[Detection]]:
        found = []
        for image in images:
            red, green, blue = np.asarray(image.convert("RGB"), dtype=np.float32).mean(axis=(0, 1))
            redness = max(0.0, min(1.0, (red - max(green, blue)) / 255))
            found.append([Detection(self.label, round(redness, 4))] if redness > 0.2 else [])
        return found
