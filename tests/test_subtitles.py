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


def assert_in_sync(cues: list[Cue], words: list[TimedWord]) -> None:
    """Each cue is on screen with its own words (of a spaced language): it appears at most
    lead_in_ms before its first word and lag_ms after it, stays until at least cut_ms before its
    last word ends, and is held after its last word only as long as it takes to read."""
    rest = [word for word in words if word.text.strip()]
    for cue in cues:
        own, rest = rest[: len(cue_words(cue))], rest[len(cue_words(cue)) :]
        assert [word.text.strip() for word in own] == cue_words(cue)
        assert {word.language for word in own} == {cue.language}
        rules = rules_for(cue.language)
        first, last = own[0], own[-1]
        assert first.start_ms - rules.lead_in_ms <= cue.start_ms <= first.start_ms + rules.lag_ms, cue
        assert (
            last.end_ms - rules.cut_ms <= cue.end_ms <= max(last.end_ms, cue.start_ms + rules.reading_ms(cue.text))
        ), cue
    assert not rest


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


@pytest.mark.parametrize(("seed", "pauses"), [(1, True), (5, True), (2, False), (3, False)])
def test_cues_of_prose_are_shown_with_their_words(seed: int, pauses: bool) -> None:
    words = spoken(PROSE, start_ms=700, seed=seed, pauses=pauses)
    assert_in_sync(build_cues(words), words)


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


def test_a_short_cue_leads_in_into_the_pause_before_it_when_the_next_follows_at_once() -> None:
    # A change of language forces a second cue 300 ms later: the first shows from 413 ms before its word.
    cues = build_cues([TimedWord(1000, 1200, " Yes.", "eng"), TimedWord(1500, 1800, " Bonjour.", "fre")])
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(587, 1420), (1500, 2333)]
    assert quality_report(cues)["within_rules"] == 2


def test_a_short_cue_leads_in_at_most_half_a_second_and_the_next_cue_waits_for_the_rest() -> None:
    words = [TimedWord(1000, 1100, " Yes.", "eng"), TimedWord(1200, 1800, " Bonjour.", "fre")]
    cues = build_cues(words)
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(500, 1333), (1413, 2246)]
    assert quality_report(cues)["within_rules"] == 2
    assert_in_sync(cues, words)


def test_a_cue_is_held_long_enough_to_read_at_20_characters_a_second() -> None:
    text = "Reading takes longer than saying, sometimes."  # 44 characters: 2.2 s to read
    words = [TimedWord(i * 100, i * 100 + 90, " " + token, "eng") for i, token in enumerate(text.split())]
    (cue,) = build_cues(words)
    assert cue.end_ms - cue.start_ms == 2200
    assert not rule_breaks([cue], 0)["too_fast"]


def test_a_fast_cue_borrows_a_quarter_second_from_the_next_cue_and_no_more() -> None:
    # 44 characters said in 2 s from the start of the file, then at once another language: the
    # first cue cannot lead in, and the next starts 250 ms after its word, the most it may lag.
    first = "Reading takes longer than saying, sometimes."
    words = [TimedWord(i * 100, i * 100 + 90, " " + token, "eng") for i, token in enumerate(first.split())]
    words.append(TimedWord(2000, 2300, " Bonjour.", "fre"))
    cues = build_cues(words)
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(0, 2170), (2250, 3083)]
    assert rule_breaks(cues, 0)["too_fast"]
    assert_in_sync(cues, words)


def test_a_fast_cue_borrows_from_the_pause_before_it() -> None:
    # The same words a second later: the cue leads in 280 ms into the silence and keeps the rules.
    first = "Reading takes longer than saying, sometimes."
    words = [TimedWord(1000 + i * 100, 1090 + i * 100, " " + token, "eng") for i, token in enumerate(first.split())]
    words.append(TimedWord(3000, 3300, " Bonjour.", "fre"))
    cues = build_cues(words)
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(720, 2920), (3000, 3833)]
    assert quality_report(cues)["within_rules"] == 2
    assert_in_sync(cues, words)


def test_a_fast_cue_borrows_from_the_slower_cues_on_both_sides() -> None:
    # No pause anywhere: the cue after starts 250 ms after its word (as late as it may), and
    # "Hello there.", read in 833 ms but said in 1 s, ends 110 ms before its last word ends.
    first = "Reading takes longer than saying, sometimes."
    words = [TimedWord(0, 400, " Hello", "eng"), TimedWord(400, 1000, " there.", "eng")]
    words += [TimedWord(1000 + i * 100, 1090 + i * 100, " " + token, "fre") for i, token in enumerate(first.split())]
    words.append(TimedWord(3000, 3400, " Okay.", "eng"))
    cues = build_cues(words)
    assert [(cue.start_ms, cue.end_ms) for cue in cues] == [(0, 890), (970, 3170), (3250, 4083)]
    assert quality_report(cues)["within_rules"] == 3
    assert_in_sync(cues, words)


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


# --- recorded fast speakers -----------------------------------------------------------------

# Word times as the base model gave them on bench/quality.py's files (../shared/speech).
# faster-whisper/multilingual.mp3, 0-8.7 s: about 18 characters a second, with short pauses.
LICENCE = [
    (0, 440, " Permission"), (440, 620, " is"), (620, 940, " hereby"), (940, 1300, " granted,"),
    (1740, 1900, " free"), (1900, 2020, " of"), (2020, 2360, " charge,"), (2680, 2800, " to"),
    (2800, 2960, " any"), (2960, 3280, " person"), (3280, 3600, " obtaining"), (3600, 3840, " a"),
    (3840, 4140, " copy"), (4140, 4320, " of"), (4320, 4400, " this"), (4400, 4820, " software"),
    (4820, 5200, " and"), (5200, 5640, " associated"), (5640, 6280, " documentation"), (6280, 6820, " files"),
    (6820, 7040, " to"), (7040, 7220, " deal"), (7220, 7400, " in"), (7400, 7480, " the"),
    (7480, 7860, " software"), (7860, 8200, " without"), (8200, 8660, " restriction,"),
]  # fmt: skip
# verbatim/2ch-distinct_2spk_de_AusschnittTherapieDJIMic2.m4a, 42.1-53.1 s: after a pause of
# 1.5 s, "tatsächlich … kennenlernen." is 85 characters in 3.1 s (27 a second).
THERAPY = [
    (42104, 42424, " dann"), (42424, 42844, " kann"), (42844, 42984, " ich"), (42984, 43424, " nachvollziehen,"),
    (43544, 43604, " das"), (43604, 43764, " ist"), (43764, 43984, " vielleicht"), (43984, 44204, " dann"),
    (44204, 44704, " aufregende"), (44704, 45044, " Schritte."), (45664, 45724, " Ja,"),
    (47244, 47244, " tatsächlich"), (47244, 47504, " geht"), (47504, 47644, " es"), (47644, 47804, " heute"),
    (47804, 48164, " darum,"), (48284, 48384, " dass"), (48384, 48544, " wir"), (48544, 48724, " uns"),
    (48724, 48944, " beide"), (48944, 49344, " erstmal"), (49344, 49464, " ein"), (49464, 49684, " bisschen"),
    (49684, 50324, " kennenlernen."), (50524, 50584, " Ich"), (50584, 50704, " habe"),
    (50704, 51144, " tatsächlich"), (51144, 51564, " sehr"), (51564, 51784, " viele"), (51784, 52184, " Fragen"),
    (52184, 52644, " primär"), (52644, 52824, " an"), (52824, 53084, " sie,"),
]  # fmt: skip


def recorded(timings: list[tuple[int, int, str]], language: str) -> list[TimedWord]:
    return [TimedWord(start, end, text, language) for start, end, text in timings]


def test_a_fast_english_speaker_gets_cues_that_keep_every_rule_in_sync() -> None:
    words = recorded(LICENCE, "eng")
    cues = build_cues(words)
    report = quality_report(cues)
    assert report["within_rules"] == report["cues"] == 3
    assert_in_sync(cues, words)
    # The cue after "granted," is shown from before its first word, in the pause.
    assert cues[1].start_ms < 1740


def test_a_german_speaker_too_fast_to_read_breaks_one_cue_and_it_gets_all_the_time_it_may() -> None:
    words = recorded(THERAPY, "ger")
    cues = build_cues(words)
    assert_in_sync(cues, words)
    broken = [index for index in range(len(cues)) if any(rule_breaks(cues, index).values())]
    assert len(broken) == 1
    (index,) = broken
    fast, after = cues[index], cues[index + 1]
    assert rule_breaks(cues, index)["too_fast"] and cue_words(fast)[0] == "tatsächlich"
    # From half a second before its first word until 80 ms before the next cue, which starts a
    # quarter second after its own first word.
    assert fast.start_ms == 47244 - 500
    assert after.start_ms - fast.end_ms == 80
    next_word = next(word for word in words if word.text.strip() == cue_words(after)[0] and word.start_ms > 47244)
    assert after.start_ms == next_word.start_ms + 250


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


# --- phrases ---------------------------------------------------------------------------------


def test_a_long_sentence_is_cut_between_phrases_not_after_an_article_or_preposition() -> None:
    # 21 words at an even pace with no comma or pause: the balanced cut would fall after "zum".
    text = (
        "Für die besten Aussichten auf Hongkong sollten Sie die Insel verlassen und zum "
        "gegenüberliegenden Ufer von Kowloon fahren, wo man gut isst"
    )
    cues = build_cues(evenly(text.split(), "ger", every_ms=450, length_ms=400))
    assert len(cues) > 1
    for cue in cues[:-1]:
        last = cue.text.split()[-1].lower()
        assert last not in {"und", "zum", "die", "auf", "von", "den"}, [c.text for c in cues]
    english = build_cues(evenly(("we walked along the river " * 6).split(), every_ms=420, length_ms=380))
    assert all(cue.text.split()[-1] not in {"the", "along"} for cue in english[:-1]), [c.text for c in english]


def test_a_line_does_not_end_with_a_word_that_needs_the_next() -> None:
    first, second = wrap_lines("She asked the way to the old river and then walked off to the", rules_for("eng"))
    assert not first.endswith((" the", " to", " and"))
    first, second = wrap_lines("Er griff auch alles an was ins Wasser kam und zum Ufer schwamm", rules_for("ger"))
    assert first.split()[-1] not in {"ins", "und", "zum"}, (first, second)


def test_a_hesitation_after_a_preposition_does_not_end_the_cue_there() -> None:
    words = evenly("Ich bin Verhaltenstherapeut in Ausbildung am".split(), "ger", every_ms=700, length_ms=600)
    later = evenly("Otto-Selz-Institut in Mannheim und sitze hier heute mit meinen Patienten.".split(), "ger", 700, 600)
    words += [TimedWord(w.start_ms + 5400, w.end_ms + 5400, w.text, w.language) for w in later]  # 1 s pause after "am"
    cues = build_cues(words)
    assert all(not cue.text.endswith(" am") for cue in cues), [cue.text for cue in cues]
