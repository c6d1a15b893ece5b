"""Media files read with PyAV: probing the header of real MP4 files, as the upload paths do."""

from __future__ import annotations

from pathlib import Path

import pytest

from aitasks.pipeline.errors import PipelineError
from aitasks.pipeline.media import MediaInfo, probe
from tests import media

HOUR = 3600


def test_it_reads_duration_and_picture_size_from_the_header(media_dir: Path) -> None:
    info = probe(media_dir / "silence.mp4", max_duration_s=HOUR)
    assert (info.width, info.height) == (64, 48)
    assert info.duration_ms is not None and abs(info.duration_ms - 4000) < 100


def test_a_file_without_pictures_has_no_size(tmp_path: Path) -> None:
    path = media.write_mp4(tmp_path / "audio-only.mp4", [media.silence(1.5)], video=False)
    info = probe(path, max_duration_s=HOUR)
    assert info == MediaInfo(info.duration_ms, None, None)
    assert info.duration_ms is not None and abs(info.duration_ms - 1500) < 100


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("page.html", "^file is not a media file$"),
        ("empty.mp4", "^file is not a media file$"),
        ("video-only.mp4", "^no audio track$"),
    ],
)
def test_it_refuses_what_is_not_media_with_sound(media_dir: Path, name: str, message: str) -> None:
    with pytest.raises(PipelineError, match=message):
        probe(media_dir / name, max_duration_s=HOUR)


def test_it_refuses_a_file_longer_than_the_limit_as_the_decoder_does(tmp_path: Path) -> None:
    path = media.write_mp4(tmp_path / "long.mp4", [media.silence(150)], video=False)
    with pytest.raises(PipelineError, match=r"^media longer than the limit \(2 min > 1 min\)$"):
        probe(path, max_duration_s=60)
    assert probe(path, max_duration_s=151).duration_ms is not None
