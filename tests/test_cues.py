"""Uploaded subtitle files: WebVTT kept, SRT converted, anything else refused with a reason."""

from __future__ import annotations

import pytest

from aitasks.cues import InvalidSubtitles, to_vtt


def test_webvtt_is_kept_as_it_is() -> None:
    vtt = "WEBVTT - a title\n\nNOTE made by hand\n\n00:01.000 --> 00:02.500 align:start\n<v Anna>Hi!\n"
    assert to_vtt(vtt) == vtt


def test_srt_becomes_webvtt() -> None:
    srt = "\ufeff1\r\n00:00:01,000 --> 00:00:03,500\r\nHello\r\nthere\r\n\r\n2\r\n01:00:04,000 --> 01:00:05,000\r\nLater\r\n"
    assert to_vtt(srt) == (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.500\nHello\nthere\n\n2\n01:00:04.000 --> 01:00:05.000\nLater\n\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hello world", r"WebVTT \(starting with WEBVTT\) or SRT"),
        ("WEBVTTX\n\n00:01.000 --> 00:02.000\nHi\n", "starts with the line WEBVTT"),
        ("WEBVTT\n", "no cues"),
        ("WEBVTT\n\n00:01.000 -> 00:02.000\nHi\n", "no 'start --> end' line"),
        ("1\n00:00:05,000 --> 00:00:01,000\nBackwards\n", "ends before it starts"),
        ("1\n00:00:xx,000 --> 00:00:01,000\nBad\n", "bad timing line"),
        ("WEBVTT\n\n" + "00:01.000 --> 00:02.000\n" + "x" * (5 * 1024 * 1024) + "\n", "larger than 5 MB"),
    ],
)
def test_bad_subtitle_files_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidSubtitles, match=message):
        to_vtt(text)
