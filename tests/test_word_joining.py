"""Words are joined as Whisper spells them: its own leading spaces, nothing added or removed.

The words below are recorded faster-whisper output (base model, word timestamps) on espeak-ng
speech: Whisper writes "3.5" as " 3" + ".5" and "well-known" as " well" + "-known"; joining
stripped words with spaces gave "3 .5" and "well -known" (and "all -in -half" in translations).
"""

from __future__ import annotations

import pytest

from aitasks.cues import full_text, parse_vtt, render_srt, render_vtt
from aitasks.engines.repetitions import collapse_repeats
from aitasks.pipeline.subtitles import build_cues, join_words
from aitasks.pipeline.transcribe import TimedWord
from tests.test_repetitions import subtitled

# (text, start s, end s) as recorded, English transcription.
RECORDED_EN = [
    (" The", 0.0, 0.14), (" price", 0.14, 0.4), (" is", 0.4, 0.66), (" 3", 0.66, 0.92), (".5", 0.92, 1.58),
    (" dollars,", 1.58, 2.04), (" an", 2.4, 2.52), (" all", 2.52, 2.66), (" in", 2.66, 2.82), (" deal.", 2.82, 3.18),
    (" Don't", 3.56, 3.98), (" worry,", 3.98, 4.34), (" it's", 4.62, 4.84), (" a", 4.84, 4.92), (" well", 4.92, 5.16),
    ("-known", 5.16, 5.44), (" state", 5.44, 6.1), (" of", 6.1, 6.32), (" the", 6.32, 6.48), (" art", 6.48, 6.7),
    (" plan.", 6.7, 7.08),
]  # fmt: skip
# German speech: transcribed (comma decimal) and translated to English by Whisper.
RECORDED_DE = [
    (" Paket,", 1.38, 1.84),
    (" für", 2.02, 2.18),
    (" 3", 2.18, 2.58),
    (",5", 2.58, 3.16),
    (" Euro.", 3.16, 3.64),
]
RECORDED_DE_EN = [(" package,", 1.4, 1.72), (" 3", 2.04, 2.46), (".5€.", 2.46, 3.66)]


def timed(recorded: list[tuple[str, float, float]], language: str) -> list[TimedWord]:
    return [TimedWord(int(start * 1000), int(end * 1000), text, language) for text, start, end in recorded]


def test_numbers_hyphens_and_apostrophes_come_out_whole() -> None:
    text = join_words(timed(RECORDED_EN, "eng"))
    assert text == "The price is 3.5 dollars, an all in deal. Don't worry, it's a well-known state of the art plan."
    assert join_words(timed(RECORDED_DE, "ger")) == "Paket, für 3,5 Euro."
    assert join_words(timed(RECORDED_DE_EN, "eng")) == "package, 3.5€."


def test_subtitles_keep_whisper_spelling_in_every_cue() -> None:
    cues = build_cues(timed(RECORDED_EN, "eng"))
    assert "3.5 dollars" in full_text(cues)
    assert "well-known" in full_text(cues)
    assert "3 .5" not in full_text(cues) and "well -known" not in full_text(cues)


def test_the_translated_words_of_the_issue_stay_whole() -> None:
    # de→en: Whisper's words " all" "-in" "-half" once came out as "all -in -half".
    words = timed(
        [(" It", 0.0, 0.2), (" was", 0.2, 0.4), (" all", 0.4, 0.6), ("-in", 0.6, 0.8), ("-half.", 0.8, 1.2)], "eng"
    )
    assert join_words(words) == "It was all-in-half."


def test_a_line_or_cue_never_breaks_between_the_parts_of_a_word() -> None:
    # Long enough to need two lines and several cues: no line may end with "well" or "3".
    words = timed(RECORDED_EN * 3, "eng")
    words = [TimedWord(index * 300, index * 300 + 250, word.text, "eng") for index, word in enumerate(words)]
    cues = build_cues(words)
    lines = [line for cue in cues for line in cue.lines]
    assert all(not line.startswith(("-known", ".5")) for line in lines)
    assert "".join(word.text for word in words).strip().replace(" ", "") == "".join(lines).replace(" ", "")


def test_chinese_is_joined_as_written_and_breaks_only_between_words() -> None:
    words = [
        TimedWord(index * 300, index * 300 + 250, text, "chi")
        for index, text in enumerate(["我们", "今天", "去", "公园", "散步", "吧。"] * 3)
    ]
    cues = build_cues(words)
    assert cues[0].text.startswith("我们今天去公园散步吧。")
    word_ends = {0}
    for word in words:
        word_ends.add(max(word_ends) + len(word.text))
    position = 0
    for line in (line for cue in cues for line in cue.lines):
        assert len(line) <= 16 and position in word_ends
        position += len(line)
    assert position == max(word_ends)


# --- symbols and numbers ---------------------------------------------------------------------

# Whisper's words for these sentences, recorded from faster-whisper's own word splitting
# (Tokenizer.split_to_word_tokens, then merge_punctuations) on the Whisper base tokenizer's ids of
# the text: "%", "$" and "@" are words of their own, "€" and "°" stay on their number, and French,
# German and Spanish write " %", " €" and " ?" as words with a space before them.
SYMBOLS = {
    "eng": [
        [" There", " is", " a", " 12", "%", " chance", " of", " rain", " tomorrow."],
        [" It", " costs", " €50,", " $20", " or", " £10", " at", " 25°C."],
        [" We", " sold", " 1", ",000", ".5", " tons,", " about", " 3", ".5", " each,", " 24", "/7."],
        [" I", " write", " C++", " and", " C", "#,", " mail", " me", " at", " anna", ".smith", "@example", ".com",
         " &", " co", " <b", ">."],
    ],
    "fre": [
        [" Il", " y", " a", " 12", " %", " de", " chances", " de", " pluie,", " à", " 25", " °C,", " pour", " 3", ",5",
         " €."],
        [" Vraiment", " ?", " Il", " a", " dit", " :", " «", " oui", " »", " !"],
    ],
    "ger": [
        [" Es", " gibt", " eine", " Regenwahrscheinlichkeit", " von", " 12", " %,", " es", " kostet", " 3", ",5", " €",
         " oder", " 1", ".000", ",5", " €."],
    ],
    "spa": [[" Hay", " un", " 12", " %", " de", " probabilidad,", " cuesta", " 3", ",5", " €", " y", " ¿vienes", " 24",
             "/7?"]],
    "jpn": [["明", "日", "は", "12", "%", "の", "確", "率", "で", "雨", "が", "降", "ります。"]],
    "chi": [["明", "天", "有", "12", "%", "的", "概", "率", "下", "雨，", "价", "格", "是", "3.", "5", "元。"]],
}  # fmt: skip
WHOLE = {
    "eng": ["12%", "€50", "$20", "£10", "25°C", "1,000.5", "3.5", "24/7", "C++", "C#", "anna.smith@example.com", "&"],
    "fre": ["12 %", "25 °C", "3,5 €", "Vraiment ?", "dit :", "« oui »", "oui » !"],
    "ger": ["12 %", "3,5 €", "1.000,5 €"],
    "spa": ["12 %", "3,5 €", "¿vienes", "24/7?"],
    "jpn": ["12%"],
    "chi": ["12%", "3.5"],
}


def spread(texts: list[str], language: str, every_ms: int = 300) -> list[TimedWord]:
    return [
        TimedWord(index * every_ms, index * every_ms + every_ms - 50, text, language)
        for index, text in enumerate(texts)
    ]


@pytest.mark.parametrize("language", list(SYMBOLS))
def test_symbols_and_numbers_come_out_whole_in_the_text_and_the_cues(language: str) -> None:
    for texts in SYMBOLS[language]:
        words = spread(texts, language)
        assert collapse_repeats(texts, str) == texts  # the engine's last resort keeps every word
        assert join_words(words) == "".join(texts).strip()
        assert full_text(build_cues(words)).replace(" ", "") == "".join(texts).replace(" ", "")
    text = " ".join(join_words(spread(texts, language)) for texts in SYMBOLS[language])
    for whole in WHOLE[language]:
        assert whole in text, whole


FILLER = {
    "fre": " On annonce pour demain matin un risque de pluie sur tout le nord du pays".split(" ")[1:],
    "ger": " Morgen früh gibt es im ganzen Norden des Landes wieder viel Regen und Wind".split(" ")[1:],
    "spa": " Mañana por la mañana habrá lluvia en todo el norte del país y mucho viento".split(" ")[1:],
    "jpn": ["明日", "の", "朝", "は", "北", "の", "地方", "で", "雨", "が", "降る", "でしょう"],
    "chi": ["明天", "早上", "北方", "地区", "会", "有", "大", "雨", "和", "大", "风"],
}
UNBROKEN = {  # words that no line may break between, as Whisper splits them
    "fre": [[" 12", " %"], [" 3", ",5", " €"], [" Vraiment", " ?"], [" dit", " :"], [" «", " oui", " »"]],
    "ger": [[" 12", " %,"], [" 3", ",5", " €"], [" 1", ".000", ",5", " €."]],
    "spa": [[" 12", " %"], [" 3", ",5", " €"], [" 24", "/7?"]],
    "jpn": [["12", "%"], ["3.", "5"]],
    "chi": [["12", "%"], ["3.", "5"]],
}


@pytest.mark.parametrize("language", list(UNBROKEN))
def test_a_line_never_breaks_inside_a_number_or_before_its_symbol(language: str) -> None:
    # Each group at every place in a sentence of two lines: the best balanced break falls on it
    # somewhere, and must move.
    filler = [word if language in ("jpn", "chi") else " " + word for word in FILLER[language]]
    for group in UNBROKEN[language]:
        whole = "".join(group).strip()
        for place in range(len(filler) + 1):
            words = spread(filler[:place] + group + filler[place:], language, every_ms=150)
            lines = [line for cue in build_cues(words) for line in cue.lines]
            assert any(whole in line for line in lines), (whole, lines)


def test_the_webvtt_escapes_ampersands_and_angle_brackets_and_reads_them_back() -> None:
    words = spread(SYMBOLS["eng"][3], "eng")
    vtt = render_vtt(build_cues(words))
    assert "&amp; co &lt;b&gt;." in vtt and "C++" in vtt and "anna.smith@example.com" in vtt
    assert full_text(parse_vtt(vtt)) == join_words(words)
    assert "& co <b>." in render_srt(build_cues(words))


def test_a_twelve_percent_chance_keeps_its_percent_sign() -> None:
    # Recorded: " 12" "%" from the model; the cue once read "There is a 12 chance of rain tomorrow."
    text, vtt = subtitled("There is a 12% chance of rain tomorrow.", speed=150)
    assert "12%" in text and "12%" in vtt, text
