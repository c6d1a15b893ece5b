"""Cues and their text formats: WebVTT and SRT written and read back, timestamps, and uploaded
subtitle files (WebVTT kept, SRT converted, anything else refused with a reason)."""

from __future__ import annotations

import pytest

from aitasks.cues import (
    Cue,
    InvalidSubtitles,
    format_timestamp,
    full_text,
    parse_srt,
    parse_timestamp,
    parse_vtt,
    render_srt,
    render_vtt,
    to_vtt,
)
from aitasks.pipeline.subtitles import rule_breaks
from aitasks.results import TaskJSON

# Hours, an ampersand and angle brackets, two lines, a cue that starts where the last ends.
CUES = [
    Cue(9, 3689, ("Text",), ""),
    Cue(3769, 6000, ("Two", "lines"), ""),
    Cue(3_723_004, 3_725_000, ("Tom & Jerry", "<3 a --> b"), ""),
    Cue(3_725_000, 36_000_000, ("Ten hours later",), ""),
]


# --- the cue itself ----------------------------------------------------------------------------


def test_a_cue_round_trips_through_its_dict() -> None:
    cue = Cue(100, 2000, ("Hello", "world"), "eng")
    assert TaskJSON.dump_cue(cue) == {"start": 100, "end": 2000, "lines": ["Hello", "world"], "language": "eng"}
    assert TaskJSON.load_cue(TaskJSON.dump_cue(cue)) == cue
    assert TaskJSON.load_cue({"start": 1, "end": 2, "lines": ["x"]}).language == ""


def test_a_cues_speaker_and_settings_round_trip_through_its_dict() -> None:
    cue = Cue(100, 2000, ("Hello",), "eng", speaker="Speaker 2", settings="line:0 align:start")
    assert TaskJSON.dump_cue(cue)["speaker"] == "Speaker 2"
    assert TaskJSON.load_cue(TaskJSON.dump_cue(cue)) == cue


def test_full_text_joins_cues_with_spaces_except_in_unspaced_languages() -> None:
    assert full_text([Cue(0, 1, ("Hello",), "eng"), Cue(2, 3, ("big", "world"), "eng")]) == "Hello big world"
    assert Cue(0, 1, ("今日は", "天気"), "jpn").text == "今日は天気"


# --- timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "00:00:00.000"),
        (999, "00:00:00.999"),
        (61_001, "00:01:01.001"),
        (3_723_004, "01:02:03.004"),
        (36_000_000, "10:00:00.000"),
        (-5, "00:00:00.000"),
    ],
)
def test_format_timestamp(ms: int, text: str) -> None:
    assert format_timestamp(ms) == text


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("00:00:00.000", 0),
        ("01:02:03.004", 3_723_004),
        ("01:02:03,004", 3_723_004),  # SRT
        ("02:03.004", 123_004),  # WebVTT may leave out the hours
        ("123:00:00.000", 442_800_000),
        ("00:01.5", 1500),
        ("00:01.05", 1050),
    ],
)
def test_parse_timestamp(text: str, ms: int) -> None:
    assert parse_timestamp(text) == ms


@pytest.mark.parametrize("text", ["", "1.000", "00:00:xx.000", "00:00:01", "00:00:01.0000", "1234567:00:00.000"])
def test_a_bad_timestamp_is_refused_with_the_shape_it_should_have(text: str) -> None:
    with pytest.raises(InvalidSubtitles, match=r"bad timestamp .*: expected hours:minutes:seconds\.milliseconds"):
        parse_timestamp(text)


# --- writing -----------------------------------------------------------------------------------


def test_it_renders_webvtt_exactly() -> None:
    cues = [Cue(9, 3689, ("Text",), "eng"), Cue(3769, 6000, ("Two", "lines"), "eng")]
    assert render_vtt(cues) == (
        "WEBVTT\n\n1\n00:00:00.009 --> 00:00:03.689\nText\n\n2\n00:00:03.769 --> 00:00:06.000\nTwo\nlines\n\n"
    )


def test_webvtt_of_no_cues_is_just_the_header() -> None:
    assert render_vtt([]) == "WEBVTT\n\n"


def test_webvtt_escapes_ampersands_and_angle_brackets() -> None:
    vtt = render_vtt([Cue(0, 1000, ("Tom & Jerry <3",), "eng"), Cue(1100, 2000, ("a --> b",), "eng")])
    assert "\nTom &amp; Jerry &lt;3\n" in vtt
    assert "\na --&gt; b\n" in vtt
    assert vtt.count("-->") == 2  # only the timings


def test_it_renders_srt_with_commas_in_times() -> None:
    cues = [Cue(9, 3689, ("Text",), "eng"), Cue(3_723_004, 3_725_000, ("Tom & Jerry", "<3"), "eng")]
    assert render_srt(cues) == (
        "1\n00:00:00,009 --> 00:00:03,689\nText\n\n2\n01:02:03,004 --> 01:02:05,000\nTom & Jerry\n<3\n\n"
    )


# --- reading -----------------------------------------------------------------------------------


def test_webvtt_reads_back_as_the_cues_it_was_written_from() -> None:
    assert parse_vtt(render_vtt(CUES)) == CUES
    assert parse_vtt(render_vtt([])) == []


def test_srt_reads_back_as_the_cues_it_was_written_from() -> None:
    assert parse_srt(render_srt(CUES)) == CUES


def test_webvtt_notes_styles_settings_and_markup_are_read_as_written() -> None:
    vtt = (
        "WEBVTT - a title\n\nNOTE made by hand\n\nSTYLE\n::cue { color: lime }\n\n"
        "intro\n00:01.000 --> 00:02.500 align:start\n<v Anna>Hi!\n"
    )
    assert parse_vtt(vtt) == [Cue(1000, 2500, ("<v Anna>Hi!",), "", settings="align:start")]


def test_webvtt_cue_settings_are_written_back_as_they_were_read() -> None:
    vtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500 line:0   position:20% align:start\nTop left\n\n"
    cues = parse_vtt(vtt)
    assert cues[0].settings == "line:0 position:20% align:start"
    assert "00:00:01.000 --> 00:00:02.500 line:0 position:20% align:start\n" in render_vtt(cues)
    assert parse_vtt(render_vtt(cues)) == cues


def test_a_track_read_in_its_language_has_that_languages_cue_rules() -> None:
    fourteen = "今日は天気がいいですね本当に"
    vtt = f"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n{fourteen}\n"
    (cue,) = parse_vtt(vtt, language="jpn")
    assert cue.language == "jpn" and cue.text == fourteen
    assert rule_breaks([cue], 0)["too_long_lines"]  # 13 characters a line in Japanese, not 42
    assert not rule_breaks(parse_vtt(vtt), 0)["too_long_lines"]
    assert parse_srt("1\n00:00:01,000 --> 00:00:02,000\nHallo\n", language="ger")[0].language == "ger"


def test_srt_pixel_boxes_after_the_times_are_not_kept_as_webvtt_settings() -> None:
    (cue,) = parse_srt("1\n00:00:01,000 --> 00:00:02,000 X1:100 X2:200 Y1:10 Y2:50\nHello\n")
    assert cue.settings == "" and "X1" not in render_vtt([cue])


def test_windows_line_ends_and_a_byte_order_mark_are_read() -> None:
    assert parse_srt("\ufeff1\r\n00:00:01,000 --> 00:00:03,500\r\nHello\r\n") == [Cue(1000, 3500, ("Hello",), "")]


# --- uploaded files ----------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hello world\n", "a WebVTT file starts with the line WEBVTT"),
        ("WEBVTT\n\n1\n00:02.000 --> 00:01.000\nBackwards\n", "cue 1: ends before it starts"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nFine\n\n2\nno timing\nhere\n", "cue 2: no 'start --> end' line"),
    ],
)
def test_bad_webvtt_is_refused_with_the_cue_at_fault(text: str, message: str) -> None:
    with pytest.raises(InvalidSubtitles, match=message):
        parse_vtt(text)


def test_bad_srt_is_refused_with_the_cue_at_fault() -> None:
    with pytest.raises(InvalidSubtitles, match=r"cue 2: bad timing line '00:00:03 --> 00:00:04'"):
        parse_srt("1\n00:00:01,000 --> 00:00:02,000\nFine\n\n2\n00:00:03 --> 00:00:04\nNo milliseconds\n")
