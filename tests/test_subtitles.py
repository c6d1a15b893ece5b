"""Stage 7, subtitles: cues from timed words by broadcast rules (their WebVTT and SRT text: test_cues.py)."""

from __future__ import annotations

import random

import pytest

from aitasks.cues import Cue, full_text
from aitasks.pipeline.subtitles import (
    CueRules,
    build_cues,
    quality_report,
    rule_breaks,
    rules_for,
    wrap_lines,
)
from aitasks.pipeline.transcribe import TimedWord

PROSE = (
    "The morning light spread slowly across the valley, and the village began to wake. Farmers walked to "
    "their fields with tools on their shoulders, while the baker pulled the first loaves from the oven. "
    "Children ran along the dusty road, laughing and calling to one another. At the edge of the square, an "
    "old man opened the shutters of his shop and set out baskets of apples, pears and plums. He had sold "
    "fruit in the same place for forty years; his father had done so before him. The church clock struck "
    "seven, as it had done for more than a century. Nobody remembered who had built it, but everyone agreed "
    "that it kept perfect time. Why would anyone want to change it? A stranger arrived on the morning bus, "
    "carrying a small suitcase and a map that was far too old. She asked the way to the river, thanked the "
    "driver, and walked off without looking back. By noon the whole village knew her name. By evening they "
    "had invented three different stories about why she had come. The truth, as usual, was simpler than any "
    "of them: she had come to paint the bridge. She stayed until the autumn rains, and the painting still hangs "
    "in the school."
)


def spoken(text: str, start_ms: int = 0, language: str = "eng", seed: int = 1, pauses: bool = True) -> list[TimedWord]:
    """Words with plausible timings: about 3 words a second, longer pauses after sentences."""
    rng = random.Random(seed)
    words = []
    time = start_ms
    for token in text.split():
        duration = 90 + 50 * len(token.strip(".,;:?!")) + rng.randint(-30, 60)
        words.append(TimedWord(time, time + duration, spelled(token, language), language))
        time += duration
        if pauses and token.endswith((".", "?", "!")):
            time += rng.randint(250, 900)
        elif pauses and token.endswith((",", ";", ":")):
            time += rng.randint(120, 400)
        else:
            time += rng.randint(20, 120)
    return words


def evenly(tokens: list[str], language: str = "eng", every_ms: int = 300, length_ms: int = 250) -> list[TimedWord]:
    return [
        TimedWord(i * every_ms, i * every_ms + length_ms, spelled(token, language), language)
        for i, token in enumerate(tokens)
    ]


def spelled(token: str, language: str) -> str:
    """A word as Whisper writes it: with its leading space where the language uses spaces."""
    return token if language in ("chi", "jpn") else " " + token


def cue_words(cue: Cue) -> list[str]:
    return cue.text.split()


# --- the rules on realistic speech --------------------------------------------------------


def test_almost_all_cues_of_real_prose_keep_every_rule() -> None:
    words = spoken(PROSE)
    assert len(words) >= 200
    report = quality_report(build_cues(words))
    assert report["within_rules"] >= 0.98 * report["cues"]
    assert report["too_long_lines"] == report["too_many_lines"] == report["too_long"] == report["too_close"] == 0


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_prose_read_fast_without_pauses_still_keeps_the_rules(seed: int) -> None:
    words = spoken(PROSE, seed=seed, pauses=False)
    cues = build_cues(words)
    report = quality_report(cues)
    assert report["within_rules"] >= 0.98 * report["cues"]


def test_no_word_is_lost_added_or_reordered() -> None:
    words = spoken(PROSE)
    cues = build_cues(words)
    assert full_text(cues) == "".join(word.text for word in words).strip()
    assert [token for cue in cues for token in cue_words(cue)] == [word.text.strip() for word in words]


def test_lines_have_at_most_42_characters_and_cues_at_most_2_lines() -> None:
    cues = build_cues(spoken(PROSE))
    assert all(len(line) <= 42 for cue in cues for line in cue.lines)
    assert all(1 <= len(cue.lines) <= 2 for cue in cues)
    assert any(len(cue.lines) == 2 for cue in cues)


def test_no_cue_lasts_longer_than_7_seconds_even_when_spoken_slowly() -> None:
    slow = evenly("one two three four five six seven eight nine ten eleven twelve".split(), every_ms=1000)
    cues = build_cues(slow)
    assert len(cues) > 1
    assert all(cue.end_ms - cue.start_ms <= 7000 for cue in cues)


def test_one_drawn_out_word_is_cut_to_7_seconds() -> None:
    cues = build_cues([TimedWord(0, 9000, " Hmmmmmmm", "eng"), TimedWord(9100, 9500, " yes.", "eng")])
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(0, 7000), (9100, 9933)]


def test_a_short_cue_is_held_for_833_ms_when_the_next_cue_leaves_room() -> None:
    cues = build_cues([TimedWord(1000, 1200, " Yes.", "eng"), TimedWord(5000, 5300, " No.", "eng")])
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(1000, 1833), (5000, 5833)]


def test_short_sentences_close_together_share_a_cue() -> None:
    cues = build_cues([TimedWord(1000, 1200, " Yes.", "eng"), TimedWord(2000, 2300, " Sure.", "eng")])
    assert [(cue.start_ms, cue.end_ms, cue.text) for cue in cues] == [(1000, 2300, "Yes. Sure.")]


def test_a_short_cue_is_held_only_until_80_ms_before_the_next_one() -> None:
    # A change of language forces a second cue 300 ms later: the first cannot last 833 ms.
    cues = build_cues([TimedWord(1000, 1200, " Yes.", "eng"), TimedWord(1500, 1800, " Bonjour.", "fre")])
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(1000, 1420), (1500, 2333)]
    assert quality_report(cues)["too_short"] == 1


def test_a_cue_is_held_long_enough_to_read_at_20_characters_a_second() -> None:
    text = "Reading takes longer than saying, sometimes."  # 44 characters: 2.2 s to read
    words = [TimedWord(i * 100, i * 100 + 90, " " + token, "eng") for i, token in enumerate(text.split())]
    (cue,) = build_cues(words)
    assert cue.end_ms - cue.start_ms == 2200
    assert not rule_breaks([cue], 0)["too_fast"]


def test_a_fast_cue_keeps_its_speed_when_the_next_cue_follows_at_once() -> None:
    first = "Reading takes longer than saying, sometimes."
    words = [TimedWord(i * 100, i * 100 + 90, " " + token, "eng") for i, token in enumerate(first.split())]
    words.append(TimedWord(2000, 2300, " Bonjour.", "fre"))
    cues = build_cues(words)
    assert cues[0].end_ms == 1920
    assert rule_breaks(cues, 0)["too_fast"]


def test_cues_never_overlap_and_keep_80_ms_apart() -> None:
    words = spoken(PROSE, pauses=False)
    cues = build_cues(words)
    for before, after in zip(cues, cues[1:], strict=False):
        assert after.start_ms - before.end_ms >= 80
        assert before.start_ms < before.end_ms


def test_words_with_overlapping_times_do_not_make_overlapping_cues() -> None:
    words = [TimedWord(1000, 1400, " Hello.", "eng"), TimedWord(1000, 1400, " Bonjour.", "fre")]
    cues = build_cues(words)
    assert len(cues) == 2
    assert cues[1].start_ms - cues[0].end_ms >= 80
    assert all(cue.end_ms > cue.start_ms for cue in cues)


# --- where cues break ------------------------------------------------------------------------


def test_a_cue_breaks_at_a_sentence_end_rather_than_after_a_comma() -> None:
    text = "We left the house early, before the rain came. The road was quiet and we reached the coast by nine."
    cues = build_cues(evenly(text.split()))
    assert cues[0].text == "We left the house early, before the rain came."


def test_a_cue_breaks_after_a_comma_rather_than_between_plain_words() -> None:
    text = "When the lights went out in the old theatre on the hill, everyone in the audience started to laugh at once"
    cues = build_cues(evenly(text.split()))
    assert cues[0].text.endswith("on the hill,")


def test_a_pause_of_a_second_and_a_half_always_ends_a_cue() -> None:
    words = [
        TimedWord(0, 300, " Wait", "eng"),
        TimedWord(1800, 2100, " for", "eng"),
        TimedWord(2150, 2400, " it", "eng"),
    ]
    cues = build_cues(words)
    assert [cue.text for cue in cues] == ["Wait", "for it"]


def test_a_shorter_pause_does_not_end_a_short_cue() -> None:
    words = [
        TimedWord(0, 300, " Wait", "eng"),
        TimedWord(1700, 2000, " for", "eng"),
        TimedWord(2050, 2300, " it", "eng"),
    ]
    assert [cue.text for cue in build_cues(words)] == ["Wait for it"]


def test_a_change_of_language_always_ends_a_cue() -> None:
    words = evenly(["Good", "morning", "everyone"]) + [
        TimedWord(900 + i * 300, 1150 + i * 300, " " + token, "fre") for i, token in enumerate(["bonjour", "à", "tous"])
    ]
    cues = build_cues(words)
    assert [(cue.text, cue.language) for cue in cues] == [("Good morning everyone", "eng"), ("bonjour à tous", "fre")]


def test_a_cue_never_breaks_inside_a_word() -> None:
    words = spoken(PROSE, seed=9)
    spoken_words = {word.text.strip() for word in words}
    for cue in build_cues(words):
        for line in cue.lines:
            assert all(token in spoken_words for token in line.split())


def test_a_pair_of_long_words_goes_into_two_cues_rather_than_an_overlong_line() -> None:
    words = [TimedWord(0, 900, " " + "a" * 40, "eng"), TimedWord(950, 1900, " " + "b" * 43, "eng")]
    cues = build_cues(words)
    assert [cue.lines for cue in cues] == [("a" * 40,), ("b" * 43,)]


def test_one_enormous_word_stays_whole_and_breaks_the_line_rule() -> None:
    url = "https://example.com/a-very-long-address/that-goes-on-and-on/and-on.mp4"
    (cue,) = build_cues([TimedWord(0, 3000, " " + url, "eng")])
    assert cue.lines == (url,)
    assert quality_report([cue])["too_long_lines"] == 1


def test_empty_words_are_skipped_and_no_words_make_no_cues() -> None:
    assert build_cues([]) == []
    assert build_cues([TimedWord(0, 100, " ", "eng")]) == []
    assert [cue.text for cue in build_cues(evenly(["Hi", "", "there"]))] == ["Hi there"]


def test_words_lose_the_leading_space_whisper_gives_them() -> None:
    (cue,) = build_cues(evenly(["Hello", "world."]))
    assert cue.lines == ("Hello world.",)


# --- Chinese, Japanese, Korean -----------------------------------------------------------------


def test_chinese_and_korean_lines_have_at_most_16_characters_and_japanese_13() -> None:
    assert rules_for("chi").max_line_chars == 16
    assert rules_for("kor").max_line_chars == 16
    assert rules_for("jpn").max_line_chars == 13
    assert rules_for("eng").max_line_chars == 42


def test_chinese_is_joined_without_spaces_and_wrapped_at_16_characters() -> None:
    characters = list("今天天气很好我们去公园散步吧然后我们一起吃午饭再去看电影晚上回家休息明天再见")
    cues = build_cues(evenly(characters, "chi", every_ms=200, length_ms=180))
    assert "".join(line for cue in cues for line in cue.lines) == "".join(characters)
    assert all(" " not in cue.text for cue in cues)
    assert all(len(line) <= 16 for cue in cues for line in cue.lines)
    assert max(len(line) for cue in cues for line in cue.lines) > 13


def test_japanese_lines_have_at_most_13_characters() -> None:
    words = evenly(
        ["今日は", "とても", "良い", "天気", "ですね。", "公園に", "散歩に", "行きましょう。"], "jpn", 400, 350
    )
    cues = build_cues(words)
    assert all(len(line) <= 13 for cue in cues for line in cue.lines)
    assert "".join(cue.text for cue in cues) == "今日はとても良い天気ですね。公園に散歩に行きましょう。"


def test_japanese_lines_break_between_words_not_inside_them() -> None:
    words = evenly(["今日は", "とても", "良い", "天気", "ですね。"], "jpn", 400, 350)
    (cue,) = build_cues(words)
    assert cue.lines == ("今日はとても", "良い天気ですね。")


def test_korean_keeps_its_spaces() -> None:
    (cue,) = build_cues(evenly(["안녕하세요", "여러분"], "kor"))
    assert cue.text == "안녕하세요 여러분"


# --- wrap_lines ------------------------------------------------------------------------------


def test_a_short_text_stays_on_one_line() -> None:
    assert wrap_lines("Short enough.", CueRules()) == ("Short enough.",)
    assert wrap_lines("x" * 42, CueRules()) == ("x" * 42,)


def test_a_long_text_breaks_into_two_balanced_lines() -> None:
    first, second = wrap_lines("The quick brown fox jumps over the lazy dog and runs far away", CueRules())
    assert abs(len(first) - len(second)) <= 8
    assert f"{first} {second}" == "The quick brown fox jumps over the lazy dog and runs far away"


def test_a_line_prefers_to_end_at_a_comma() -> None:
    assert wrap_lines("When the rain stopped at last, we all went outside to play", CueRules()) == (
        "When the rain stopped at last,",
        "we all went outside to play",
    )


def test_wrap_lines_breaks_only_where_it_is_told_words_end() -> None:
    assert wrap_lines("今日はとても良い天気ですね。", rules_for("jpn"), breaks=[3, 6, 8, 10]) == (
        "今日はとても",
        "良い天気ですね。",
    )
    assert wrap_lines("x" * 50, CueRules(), breaks=[]) == ("x" * 50,)


# --- checking --------------------------------------------------------------------------------


def test_the_quality_report_counts_each_broken_rule() -> None:
    cues = [
        Cue(0, 500, ("Too short.",), "eng"),  # too short
        Cue(520, 9000, ("Far too long on screen.",), "eng"),  # too close to the one before, too long
        Cue(10_000, 11_000, ("x" * 43, "y" * 10, "z"), "eng"),  # long line, three lines, too fast
        Cue(20_000, 22_000, ("Just right.",), "eng"),
    ]
    assert quality_report(cues) == {
        "cues": 4,
        "within_rules": 1,
        "too_long_lines": 1,
        "too_many_lines": 1,
        "too_short": 1,
        "too_long": 1,
        "too_fast": 1,
        "too_close": 1,
    }


def test_the_quality_report_of_nothing_is_zero() -> None:
    assert quality_report([]) == {
        "cues": 0,
        "within_rules": 0,
        "too_long_lines": 0,
        "too_many_lines": 0,
        "too_short": 0,
        "too_long": 0,
        "too_fast": 0,
        "too_close": 0,
    }


def test_rule_breaks_uses_the_limits_of_the_cues_language() -> None:
    fourteen = "今日はとても良い天気ですね。"
    assert rule_breaks([Cue(0, 3000, (fourteen,), "jpn")], 0)["too_long_lines"]
    assert not rule_breaks([Cue(0, 3000, (fourteen,), "chi")], 0)["too_long_lines"]
