"""A repetition that was spoken stays; a decoding loop does not.

The words below are recorded faster-whisper output (base, int8 on the CPU, batched decoding
but where noted) on espeak-ng speech, as (text, start s, end s, probability).
"""

from __future__ import annotations

import numpy as np
import pytest

from aitasks.cues import render_vtt
from aitasks.engines.repetitions import (
    Heard,
    collapse_repeats,
    has_loop,
    is_spoken,
    loops,
    loud_spans,
    runs_in,
)
from aitasks.engines.safeguards import Verdict, judge
from aitasks.pipeline import speech, subtitles, transcribe
from tests import media

Recorded = list[tuple[str, float, float, float]]

# "I said: words, words, words, words. That is all." (espeak, 140 words a minute).
SPOKEN = [
    (" I", 0.0, 0.62, 0.85), (" said.", 0.62, 1.06, 0.37), (" Words,", 1.38, 1.8, 0.82), (" words,", 2.26, 2.68, 0.98),
    (" words,", 2.98, 3.54, 0.99), (" words.", 3.74, 4.3, 0.99), (" That", 4.64, 4.94, 0.53), (" is", 4.94, 5.18, 0.54),
    (" all.", 5.18, 5.4, 0.98),
]  # fmt: skip
# Six "Words," spoken (150 words a minute): the batched decoder wrote seven, the last squeezed
# into 0.16 s; Whisper's sequential decoder wrote the six.
SEVEN_FOR_SIX = [
    (" word", 0.0, 0.84, 0.21), (" word", 0.84, 1.74, 0.41), (" word", 1.74, 2.44, 0.85), (" word", 2.44, 3.22, 0.91),
    (" word", 3.22, 3.76, 0.91), (" word", 3.76, 4.34, 0.85), (" word", 4.34, 4.5, 0.82),
]  # fmt: skip
SIX_ALONE = [
    (" Words,", 0.0, 0.96, 0.13), (" words,", 1.24, 1.68, 0.93), (" words,", 1.96, 2.46, 0.96),
    (" words,", 2.6, 3.2, 0.96), (" words,", 3.32, 3.9, 0.96), (" words.", 3.94, 4.56, 0.97),
]  # fmt: skip
# Twelve slow "uh"s a second apart (29 s): forty-two, most squeezed together or without width.
UH_LOOP_ENDS = [
    0.36, 3.22, 5.4, 6.46, 8.24, 10.24, 10.34, 12.32, 15.32, 17.3, 17.8, 17.8, 17.8, 17.8, 20.02, 20.04, 20.04, 20.04,
    20.04, 20.06, 22.18, 22.78, 22.78, 22.78, 24.02, 24.28, 24.48, 24.48, 24.48, 24.52, 24.52, 24.52, 24.52, 24.56,
    24.56, 24.68, 24.68, 24.68, 25.22, 25.22, 27.38, 29.1,
]  # fmt: skip
UH_LOOP = [(" uh", start, end, 0.97) for start, end in zip([0.0, *UH_LOOP_ENDS], UH_LOOP_ENDS, strict=False)]
# Six slow "uh"s (14 s): six, but out of step with the audio and stretched over 2.4 s each.
UH_STRETCHED = [
    (" Uh...", 2.86, 4.26, 0.19), (" Uh...", 4.26, 5.66, 0.84), (" Uh...", 5.66, 7.9, 0.95),
    (" Uh...", 7.9, 10.32, 0.96), (" Uh...", 10.32, 10.34, 0.96), (" Uh...", 10.34, 12.7, 0.95),
]  # fmt: skip


def texts(recorded: Recorded) -> list[str]:
    return [text for text, _start, _end, _probability in recorded]


def heard(recorded: Recorded, loud: bool = True) -> list[Heard]:
    return [Heard(start, end, probability, loud) for _text, start, end, probability in recorded]


def spoken_runs(recorded: Recorded, loud: bool = True) -> list[bool]:
    return [is_spoken(run, heard(recorded, loud)) for run in runs_in(texts(recorded))]


def test_repeated_words_that_take_the_time_words_take_over_sound_are_spoken() -> None:
    assert spoken_runs(SPOKEN) == [True]
    assert spoken_runs(SIX_ALONE) == [True]
    assert not has_loop(texts(SPOKEN), heard(SPOKEN))


def test_a_loop_squeezed_together_or_stretched_out_of_step_is_not_speech() -> None:
    assert spoken_runs(UH_LOOP) == [False]
    assert spoken_runs(UH_STRETCHED) == [False]
    assert spoken_runs(SEVEN_FOR_SIX) == [False]  # one copy squeezed in where the audio holds none


def test_a_repetition_over_silence_or_guessed_words_is_a_loop() -> None:
    assert spoken_runs(SPOKEN, loud=False) == [False]
    guessed = [(text, start, end, 0.3) for text, start, end, _probability in SPOKEN]
    assert spoken_runs(guessed) == [False]


def test_without_evidence_of_how_it_was_heard_every_run_is_a_loop() -> None:
    assert len(loops(texts(SPOKEN))) == 1
    assert has_loop(texts(SPOKEN))


def test_judge_keeps_a_spoken_repetition_and_decodes_a_loop_again() -> None:
    text = "".join(texts(SPOKEN))
    assert judge(text, texts(SPOKEN), -0.39, 0.09, heard(SPOKEN)) is Verdict.KEEP
    assert judge(text, texts(SPOKEN), -0.39, 0.09) is Verdict.DECODE_AGAIN  # the text alone
    stretched = "".join(texts(UH_STRETCHED))
    assert judge(stretched, texts(UH_STRETCHED), -0.39, 0.54, heard(UH_STRETCHED)) is Verdict.DECODE_AGAIN


def test_the_last_resort_collapses_loops_only() -> None:
    assert "".join(collapse_repeats(texts(SIX_ALONE), str, heard(SIX_ALONE))) == "".join(texts(SIX_ALONE))
    # Seven written for six spoken: the squeezed seventh goes, the six stay.
    assert "".join(collapse_repeats(texts(SEVEN_FOR_SIX), str, heard(SEVEN_FOR_SIX))) == " word" * 6
    assert "".join(collapse_repeats(texts(UH_LOOP), str, heard(UH_LOOP))) == " uh"


def test_words_of_symbols_alone_stay_outside_a_collapsed_loop() -> None:
    # Recorded: " 12" "%" as two words; "%" has no letters to compare, and was once dropped.
    words = [" There", " is", " a", " 12", "%", " chance", "…", " so", " so", "%", " so", " so", "."]
    assert "".join(collapse_repeats(words, str)) == " There is a 12% chance… so."


def test_sound_is_heard_where_the_audio_is_loud_for_its_window() -> None:
    samples = np.concatenate([media.silence(1.0), media.tone(1.0, level=0.3), media.tone(1.0, level=0.003)])
    clip = (0.0, 3.0)
    assert loud_spans(samples, media.RATE, clip, [(0.2, 0.8), (1.2, 1.3), (0.9, 1.02), (2.2, 2.8)]) == [
        False,  # silence
        True,
        True,  # its last frame reaches the tone
        False,  # 40 dB below the window's level
    ]
    assert loud_spans(np.zeros(16_000, np.float32), media.RATE, (0.0, 1.0), [(0.0, 1.0)]) == [False]


# --- the real model, through the pipeline's stages --------------------------------------------


def subtitled(text: str, speed: int) -> tuple[str, str]:
    """The words heard in espeak-ng's `text` (between a second of silence each side), as the
    pipeline finds speech, transcribes and subtitles it: (their text, the WebVTT)."""
    from aitasks.engines import get_engine

    clip = np.concatenate([media.silence(1.0), media.speak(text, speed=speed), media.silence(1.0)])
    regions = speech.find_speech(clip)
    words = transcribe.transcribe(get_engine(), clip, speech.group_into_windows(regions), "eng", "eng", regions=regions)
    return "".join(word.text for word in words), render_vtt(subtitles.build_cues(words))


def test_a_number_said_four_times_stays_four_times() -> None:
    # Recorded: " 7 7 7 7 8"; the loop guard once cut it to " 7, 8".
    text, vtt = subtitled("Seven, seven, seven, seven, eight.", speed=130)
    assert text.lower().replace("seven", "7").count("7") >= 4, text
    assert vtt.lower().replace("seven", "7").count("7") >= 4, vtt


@pytest.mark.slow
def test_a_word_said_six_times_survives_the_fallback() -> None:
    # Recorded: five "words" (the loop guard once left one); a count with five threes, four of them.
    text, _vtt = subtitled("Words, words, words, words, words, words.", speed=150)
    assert text.lower().count("word") >= 4, text
    text, _vtt = subtitled("One, two, three, three, three, three, three, four.", speed=130)
    assert text.lower().replace("three", "3").count("3") >= 4, text
