"""Words are joined as Whisper spells them: its own leading spaces, nothing added or removed.

The words below are recorded faster-whisper output (base model, word timestamps) on espeak-ng
speech: Whisper writes "3.5" as " 3" + ".5" and "well-known" as " well" + "-known"; joining
stripped words with spaces gave "3 .5" and "well -known" (and "all -in -half" in translations).
"""

from __future__ import annotations

from aitasks.cues import full_text
from aitasks.pipeline.subtitles import build_cues, join_words
from aitasks.pipeline.transcribe import TimedWord

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
